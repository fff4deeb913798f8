"""The NExT-GPT paper's reference rows (``paper_reference.json``), converted to this suite's units.

A reference number is comparable with a run's number only when the run scored the same public dataset with the
canonical feature networks; :func:`paper_comparability` says why not otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reports.errors import ReportInputError

REFERENCE_FILE = Path(__file__).with_name("paper_reference.json")


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
    #: dataset name -> {"family": ..., "loader": public loader name or None}
    datasets: dict[str, dict[str, Any]]
    units: str
    not_included: tuple[str, ...]

    def for_task(self, task: str, metric: str | None = None, model: str | None = None) -> list[ReferenceRow]:
        return [r for r in self.rows if r.task == task and (metric is None or r.metric == metric)
                and (model is None or r.model == model)]


@cache
def load_reference(path: Path = REFERENCE_FILE) -> ReferenceData:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        source = data["source"]
        rows = tuple(ReferenceRow(model=r["model"], task=r["task"], metric=r["metric"],
                                  value=round(float(r["printed"]) * float(r["factor"]), 10),
                                  printed=float(r["printed"]), dataset=r["dataset"],
                                  source=f"{source}, {r['where']}") for r in data["rows"])
        datasets = dict(data["datasets"])
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise ReportInputError(f"paper reference file {path} is unreadable or malformed ({error!r})") from error
    unknown = sorted({r.dataset for r in rows} - set(datasets))
    if unknown:
        raise ReportInputError(f"{path}: rows name datasets missing from \"datasets\": {', '.join(unknown)}")
    return ReferenceData(rows, datasets, str(data.get("units", "")), tuple(data.get("not_included", ())))


def paper_comparability(row: ReferenceRow, provenance: dict[str, Any], run_settings: dict[str, Any],
                        reference: ReferenceData) -> str | None:
    """Why a run's score (its inner provenance, its run settings) cannot stand beside ``row``; None if it can."""
    if provenance.get("extractor") is not None and provenance.get("extractor_canonical") is not True:
        return f"extractor {provenance.get('extractor')!r} is not the canonical network"
    dataset = reference.datasets[row.dataset]
    spec = str((run_settings.get("data") or {}).get(dataset["family"], "synthetic"))
    loader = dataset.get("loader")
    if loader is None:
        return f"dataset: cannot verify that {spec!r} is the paper's {row.dataset}"
    if spec.split(":", 1)[0] != loader:
        return f"dataset {spec.split(':', 1)[0]!r} is not {row.dataset}"
    return None
