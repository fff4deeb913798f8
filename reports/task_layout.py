"""Where a stored task goes on a report page and on a leaderboard: its group, the order of its metrics, its headline
metric, and the order of the tasks. One rule for both (reports/overview.py and reports/run_report.py, leaderboards/).

Everything comes from the task declarations (``benchmarks.tasks``: ``Task.group``, ``Task.metrics``,
``Task.headline_metric``), applied to the metrics that are *held* (stored in the run, or on the board):

* **group**: the task's declared group; a task that is not registered in this process (a plugin's task read
  without the plugin installed) goes to :data:`OTHER_GROUP`, shown after the declared groups;
* **metric order**: the task's declared order first, then any other held metric by name (an unregistered task's
  metrics all by name);
* **headline**: the declared headline metric when it is held; otherwise the first held metric in that order, with
  the reason in :attr:`TaskPlacement.fallback`. So a stored task always has a headline: it is never refused and
  never left out of a headline table;
* **task order**: by group (:data:`GROUP_ORDER`), then as the tasks were registered (image, video, audio), then
  by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from benchmarks.tasks import TASK_GROUPS, Task, registered_tasks

#: the group of a task that is not registered in this process
OTHER_GROUP = "other"
#: the groups in the order the pages and tables show them
GROUP_ORDER: tuple[str, ...] = (*TASK_GROUPS, OTHER_GROUP)

#: task name -> (registration position, declaration)
Declarations = Mapping[str, tuple[int, Task]]


@dataclass(frozen=True)
class TaskPlacement:
    task: str
    group: str
    #: the headline metric (see the module docstring for the fallback)
    headline: str
    #: the held metrics in column order: declared order first, then any others by name
    metrics: tuple[str, ...]
    #: why ``headline`` is not the task's declared headline metric; empty when it is
    fallback: str = ""


def declarations() -> dict[str, tuple[int, Task]]:
    """The registered tasks by name, with their registration position."""
    return {task.name: (position, task) for position, task in enumerate(registered_tasks())}


def stored_task_group(task: str, declared: Declarations | None = None) -> str:
    """The group of a stored task: its declared group, or :data:`OTHER_GROUP` when it is not registered here."""
    found = (declarations() if declared is None else declared).get(task)
    return found[1].group if found else OTHER_GROUP


def ordered_tasks(tasks: Iterable[str], declared: Declarations | None = None) -> list[str]:
    """``tasks`` without repeats, by group, then registration order, then name."""
    declared = declarations() if declared is None else declared
    unregistered = len(declared)

    def key(task: str) -> tuple[int, int, str]:
        position = declared[task][0] if task in declared else unregistered
        return GROUP_ORDER.index(stored_task_group(task, declared)), position, task

    return sorted(dict.fromkeys(tasks), key=key)


def place_task(task: str, held: Iterable[str], declared: Declarations | None = None) -> TaskPlacement:
    """The placement of ``task`` given the metrics held for it (at least one)."""
    names = sorted(set(held))
    if not names:
        raise ValueError(f"task {task!r}: no stored metric, so nothing to place")
    declared = declarations() if declared is None else declared
    if task not in declared:
        return TaskPlacement(task, OTHER_GROUP, names[0], tuple(names),
                             f"task {task} is not registered here: first stored metric")
    declaration = declared[task][1]
    order = tuple([m for m in declaration.metrics if m in names] + [m for m in names if m not in declaration.metrics])
    if declaration.headline_metric in names:
        return TaskPlacement(task, declaration.group, declaration.headline_metric, order)
    return TaskPlacement(task, declaration.group, order[0], order,
                         f"headline {declaration.headline_metric} not stored: first stored metric")


def place_tasks(task_metrics: Mapping[str, Iterable[str]]) -> list[TaskPlacement]:
    """A placement per task of ``task_metrics`` (task -> the metrics held for it), in task order."""
    declared = declarations()
    return [place_task(task, task_metrics[task], declared) for task in ordered_tasks(task_metrics, declared)]
