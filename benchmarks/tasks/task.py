"""A benchmark task is a declaration: dataset family, what the model is asked, what is scored.

``Task.requests`` turns one dataset sample into the model requests of that task (one, or one per dialogue turn;
a cycle's ``legs`` are requested leg by leg, each from the previous leg's output: benchmarks/tasks/legs.py);
everything else (caching, storing, scoring) is shared by all tasks, so a new task is a new declaration, not a new
code path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, cast

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.context import ScoredTask
from benchmarks.scoring.metric_spec import OUTPUT_KINDS, OutputKind
from benchmarks.scoring.registry import declaration_problems
from benchmarks.tasks.legs import Leg, leg_problems, scored_legs
from nextgpt.core.errors import TaskError
from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import GenerationRequest, MediaInput

__all__ = ["TASK_GROUPS", "Leg", "OutputKind", "Task", "TaskGroup", "cycle_task", "get_task", "register_suite",
           "register_task", "registered_tasks", "suite_tasks", "task_group"]


@dataclass(frozen=True)
class Task:
    name: str
    #: dataset family (see benchmarks.datasets.registry.FAMILIES)
    family: str
    #: what the model must produce: text (captioning), one medium (text->X, editing), or a dialogue
    output: OutputKind
    #: names of registered metrics (benchmarks.scoring.registry) that apply to ``output``
    metrics: tuple[str, ...]
    #: the user's message; ``{caption}`` and ``{instruction}`` are filled from the sample
    prompt: str
    #: whether the sample's input media go to the model (captioning, editing)
    uses_inputs: bool
    max_new_tokens: int = 32
    description: str = ""
    #: free-form generation settings recorded with every cached output (part of the cache key)
    settings: dict[str, object] = field(default_factory=dict)
    #: the one metric that answers "how good is the model at this task" (overview tables, report charts);
    #: empty means the first of ``metrics``.  The paper's choice where it reports the task.
    headline: str = ""
    #: a cross-modal cycle (image -> caption -> image...): its legs, each one request stored as turn = leg index;
    #: ``output`` is then the last leg's and ``metrics`` every leg's metrics (see ``cycle_task``)
    legs: tuple[Leg, ...] = ()

    def __post_init__(self) -> None:
        if self.legs:
            self._check_legs()
        if self.output not in OUTPUT_KINDS:
            raise TaskError(f"task {self.name}: unknown output {self.output!r}; expected one of "
                            f"{', '.join(OUTPUT_KINDS)}")
        if not self.metrics:
            raise TaskError(f"task {self.name}: declares no metric")
        problems = [] if self.legs else declaration_problems(self.output, tuple(self.metrics))
        if problems:
            raise TaskError(f"task {self.name}: " + "; ".join(problems))
        if self.headline and self.headline not in self.metrics:
            raise TaskError(f"task {self.name}: headline metric {self.headline!r} is not one of its metrics "
                            f"({', '.join(self.metrics)})")

    def _check_legs(self) -> None:
        problems = leg_problems(self.legs)
        if problems:
            raise TaskError(f"task {self.name}: " + "; ".join(problems))
        if self.output != self.legs[-1].output:
            raise TaskError(f"task {self.name}: output {self.output!r} is not the last leg's output "
                            f"{self.legs[-1].output!r}")
        declared = [m for leg in self.legs for m in leg.metrics]
        if sorted(self.metrics) != sorted(declared):
            raise TaskError(f"task {self.name}: metrics ({', '.join(self.metrics)}) must be exactly the legs' "
                            f"metrics ({', '.join(declared)}): a cycle's metric is scored on the leg that declares it")

    @property
    def headline_metric(self) -> str:
        """The task's primary metric: ``headline`` when declared, else its first metric."""
        return self.headline or self.metrics[0]

    @property
    def group(self) -> TaskGroup:
        """What kind of task this is, from what it asks: captioning (media -> text), text-to-x, editing
        (media + text -> media), dialogue or cycle.  Leaderboards and reports put one group in one table."""
        return "cycle" if self.legs else task_group(self.output, self.uses_inputs)

    @property
    def produced_modality(self) -> Modality | None:
        return cast(Modality, self.output) if self.output in MODALITIES else None

    def scoring(self) -> ScoredTask:
        """What the scorers need of this task (they sit below the task layer and never see a Task)."""
        return ScoredTask(self.name, self.output, tuple(self.metrics), scored_legs(self.legs))

    def requests(self, sample: Sample, seed: int) -> list[GenerationRequest]:
        """The model request of ``sample`` (dialogues go turn by turn through ``dialogue_request``)."""
        if self.output == "dialogue":
            raise TaskError(f"task {self.name}: dialogues are generated turn by turn (dialogue_request)")
        if self.legs:
            raise TaskError(f"task {self.name}: cycles are generated leg by leg (benchmarks.tasks.legs.leg_request)")
        media = tuple(MediaInput(f.modality, f.path) for f in sample.inputs) if self.uses_inputs else ()
        try:
            text = self.prompt.format(caption=sample.captions[0] if sample.captions else "",
                                      instruction=sample.instruction or "")
        except (KeyError, IndexError) as error:
            raise TaskError(f"task {self.name}: prompt {self.prompt!r} needs {error}") from error
        if self.output == "text":
            allowed: frozenset[Modality] = frozenset()
            want: frozenset[Modality] = frozenset()
        else:
            allowed = want = frozenset({cast(Modality, self.output)})
        return [GenerationRequest(text=text, media=media, want=want, allowed_outputs=allowed, seed=seed,
                                  max_new_tokens=self.max_new_tokens)]

    def dialogue_request(self, sample: Sample, turn: int, history: tuple[tuple[str, str], ...],
                         seed: int) -> GenerationRequest:
        """Turn ``turn`` of a dialogue after ``history`` (earlier user messages and the model's answers).
        Nothing is forced: the model must choose the output modality itself."""
        item = sample.turns[turn]
        media = tuple(MediaInput(f.modality, f.path) for f in item.media)
        return GenerationRequest(text=item.text, media=media, seed=seed + turn, history=history,
                                 max_new_tokens=self.max_new_tokens)


def cycle_task(name: str, family: str, legs: tuple[Leg, ...], *, description: str, headline: str = "",
               max_new_tokens: int = 32) -> Task:
    """A cycle task from its legs: output is the last leg's, metrics every leg's (the last leg's first: tables show
    what the cycle ends with before what it went through), the prompt and inputs those of the first leg."""
    return Task(name=name, family=family, output=legs[-1].output if legs else "text",
                metrics=tuple(m for leg in reversed(legs) for m in leg.metrics), prompt=legs[0].prompt if legs else "",
                uses_inputs=bool(legs) and legs[0].media == "sample", max_new_tokens=max_new_tokens,
                description=description, headline=headline, legs=legs)


TaskGroup = Literal["captioning", "text-to-x", "editing", "dialogue", "cycle"]
#: the groups in the order tables show them
TASK_GROUPS: tuple[TaskGroup, ...] = ("captioning", "text-to-x", "editing", "dialogue", "cycle")


def task_group(output: str, uses_inputs: bool) -> TaskGroup:
    """The group of a single-request task or a dialogue (a task with legs is a ``cycle``: ``Task.group``)."""
    if output == "dialogue":
        return "dialogue"
    if output == "text":
        return "captioning"
    return "editing" if uses_inputs else "text-to-x"


_TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    if task.name in _TASKS:
        raise TaskError(f"task {task.name!r} is registered twice")
    _TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    if name not in _TASKS:
        raise TaskError(f"unknown task {name!r}; registered tasks: {', '.join(sorted(_TASKS))}")
    return _TASKS[name]


def registered_tasks() -> list[Task]:
    return list(_TASKS.values())


_SUITES: dict[str, Callable[[], list[str]]] = {}


def register_suite(name: str, tasks: Callable[[], list[str]]) -> None:
    _SUITES[name] = tasks


def suite_tasks(name: str) -> list[Task]:
    if name not in _SUITES:
        raise TaskError(f"unknown suite {name!r}; expected one of {', '.join(sorted(_SUITES))}")
    return [get_task(task) for task in _SUITES[name]()]
