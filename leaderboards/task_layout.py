"""Where each task's numbers go on a leaderboard: its group (one table per group), its headline metric (the
headline table's one column per task) and the order of its metric columns.

All of it comes from the task declarations (``benchmarks.tasks``: ``Task.group``, ``Task.headline_metric``,
``Task.metrics``).  A run may hold a task that is not registered in this process (a plugin's task read without
the plugin installed); such a task goes to the group ``other`` with its first metric in name order (the order
the store lists them) as its headline, rather than being refused or dropped.  Likewise a metric that is not
registered gets the direction mark ``?`` instead of failing the whole board.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from benchmarks.scoring.registry import higher_is_better
from benchmarks.tasks import TASK_GROUPS, registered_tasks
from nextgpt.core.errors import NextGPTError
from reports.text_table import DOWN, UP

#: the group of a task this process has no declaration for
OTHER_GROUP = "other"
#: the groups in the order the tables show them
GROUP_ORDER: tuple[str, ...] = (*TASK_GROUPS, OTHER_GROUP)
#: the direction mark of a metric this process has no declaration for
UNKNOWN_DIRECTION = "?"


@dataclass(frozen=True)
class TaskPlacement:
    task: str
    group: str
    headline: str
    #: the task's metrics as its columns are ordered: declared order first, then any others by name
    metrics: tuple[str, ...]


def place_tasks(task_metrics: dict[str, Iterable[str]]) -> list[TaskPlacement]:
    """A placement for each task of ``task_metrics`` (task -> the metrics the board holds for it), ordered by
    group (GROUP_ORDER), then as the tasks were registered (unregistered ones by name)."""
    declared = {task.name: (position, task) for position, task in enumerate(registered_tasks())}
    placements: list[tuple[tuple[int, int, str], TaskPlacement]] = []
    for name, metrics in task_metrics.items():
        held = sorted(set(metrics))
        if name in declared:
            position, task = declared[name]
            order = [m for m in task.metrics if m in held] + [m for m in held if m not in task.metrics]
            placement = TaskPlacement(name, task.group, task.headline_metric, tuple(order))
        else:
            position = len(declared)
            placement = TaskPlacement(name, OTHER_GROUP, held[0] if held else "", tuple(held))
        placements.append(((GROUP_ORDER.index(placement.group), position, name), placement))
    return [placement for _, placement in sorted(placements, key=lambda item: item[0])]


def direction_mark(metric: str) -> str:
    """↑ / ↓ from the metric registry; ``?`` for a metric no installed code declares."""
    try:
        return UP if higher_is_better(metric) else DOWN
    except NextGPTError:
        return UNKNOWN_DIRECTION


def direction_known(metric: str) -> bool | None:
    """higher_is_better for JSON: True, False, or None when the metric is not registered here."""
    mark = direction_mark(metric)
    return None if mark == UNKNOWN_DIRECTION else mark == UP


def metric_heading(metric: str) -> str:
    """``fid ↓``; ``my_metric ?`` when the metric is not registered."""
    return f"{metric} {direction_mark(metric)}"
