"""The numbers the NExT-GPT paper publishes, in one place: ``paper_reference.json`` beside this module.

The file is data with its sources: each row is a number as printed in the paper, where it is printed (table or
appendix section), the factor that converts it to this suite's units and the dataset it was measured on.  The
HTML report, the leaderboard and the task benchmarks read paper numbers only through :func:`load_reference`
(tests/reports/test_paper_reference.py checks that what they show comes from this file).  Loading checks every
row against the task declarations: a row naming a task or a metric no task declares, or a dataset of another
family than the task's, would be shown beside the wrong scores or never.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from benchmarks.tasks.task import get_task
from nextgpt.core.errors import NextGPTError, TaskError

REFERENCE_FILE = Path(__file__).with_name("paper_reference.json")
_ROW_FIELDS = ("model", "task", "metric", "printed", "factor", "dataset", "where")


@dataclass(frozen=True)
class ReferenceDataset:
    """A dataset the paper reports numbers on."""

    name: str
    #: the dataset family of the tasks that run on it (benchmarks.datasets.registry.FAMILIES)
    family: str
    #: the public loader that reads it (``coco``, ``msrvtt``...); None when this suite has none, so no run can
    #: be shown to have used the paper's data
    loader: str | None


@dataclass(frozen=True)
class ReferenceRow:
    model: str
    task: str
    metric: str
    #: in this suite's units (printed * factor)
    value: float
    printed: float
    dataset: str
    #: e.g. "NExT-GPT paper v3, Table 4"
    source: str


@dataclass(frozen=True)
class ReferenceData:
    rows: tuple[ReferenceRow, ...]
    datasets: dict[str, ReferenceDataset]
    units: str
    #: numbers of the paper this suite does not show, and why
    not_included: tuple[str, ...]

    def for_task(self, task: str, metric: str | None = None, model: str | None = None) -> list[ReferenceRow]:
        return [r for r in self.rows if r.task == task and (metric is None or r.metric == metric)
                and (model is None or r.model == model)]


def load_reference(path: Path | None = None) -> ReferenceData:
    """The paper's rows (``path``: another reference file, default :data:`REFERENCE_FILE`); read once per path.
    TaskError naming the file, the row and the field when the file is unreadable or a row is wrong."""
    return _load(Path(path or REFERENCE_FILE))


@cache
def _load(path: Path) -> ReferenceData:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise TaskError(f"paper reference file {path} is unreadable ({error}); expected the JSON of "
                        "benchmarks/tasks/paper_reference.json") from error
    if not isinstance(data, dict):
        raise TaskError(f"paper reference file {path}: expected a JSON object, got {type(data).__name__}")
    source = _field(data, "source", str, f"{path}")
    datasets = {name: _dataset(name, item, f"{path}: datasets.{name}")
                for name, item in _field(data, "datasets", dict, f"{path}").items()}
    rows = tuple(_row(item, source, datasets, f"{path}: rows[{index}]")
                 for index, item in enumerate(_field(data, "rows", list, f"{path}")))
    not_included = data.get("not_included", [])
    if not isinstance(not_included, list) or not all(isinstance(n, str) for n in not_included):
        raise TaskError(f"{path}: field \"not_included\" must be a list of strings")
    return ReferenceData(rows, datasets, str(data.get("units", "")), tuple(not_included))


def _field(data: dict[str, Any], name: str, kind: type, where: str) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TaskError(f"{where}: field {name!r} must be {_kind(kind)}, got {value!r}")
    return value


def _kind(kind: type) -> str:
    return {str: "a string", dict: "an object", list: "a list"}.get(kind, "a number")


def _dataset(name: str, item: Any, where: str) -> ReferenceDataset:
    if not isinstance(item, dict):
        raise TaskError(f"{where}: expected an object with \"family\" and \"loader\", got {item!r}")
    loader = item.get("loader")
    if loader is not None and not isinstance(loader, str):
        raise TaskError(f"{where}: field 'loader' must be a loader name or null, got {loader!r}")
    return ReferenceDataset(name, _field(item, "family", str, where), loader)


def _row(item: Any, source: str, datasets: dict[str, ReferenceDataset], where: str) -> ReferenceRow:
    if not isinstance(item, dict):
        raise TaskError(f"{where}: expected an object with the fields {', '.join(_ROW_FIELDS)}, got {item!r}")
    missing = [name for name in _ROW_FIELDS if name not in item]
    if missing:
        raise TaskError(f"{where}: missing field(s) {', '.join(missing)}")
    printed, factor = _field(item, "printed", float | int, where), _field(item, "factor", float | int, where)
    row = ReferenceRow(model=_field(item, "model", str, where), task=_field(item, "task", str, where),
                       metric=_field(item, "metric", str, where), value=round(float(printed) * float(factor), 10),
                       printed=float(printed), dataset=_field(item, "dataset", str, where),
                       source=f"{source}, {_field(item, 'where', str, where)}")
    _check_row(row, datasets, where)
    return row


def _check_row(row: ReferenceRow, datasets: dict[str, ReferenceDataset], where: str) -> None:
    """The row must stand beside a score some task produces, on data of that task's family."""
    if row.dataset not in datasets:
        raise TaskError(f"{where}: dataset {row.dataset!r} is not one of \"datasets\" "
                        f"({', '.join(sorted(datasets))})")
    try:
        task = get_task(row.task)
    except NextGPTError as error:
        raise TaskError(f"{where}: {error}") from error
    if row.metric not in task.metrics:
        raise TaskError(f"{where}: task {task.name} does not declare metric {row.metric!r} (its metrics: "
                        f"{', '.join(task.metrics)})")
    family = datasets[row.dataset].family
    if family != task.family:
        raise TaskError(f"{where}: dataset {row.dataset!r} is of family {family!r}, task {task.name} reads "
                        f"{task.family!r}")
