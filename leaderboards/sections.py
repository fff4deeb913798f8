"""The readable layout of a leaderboard, shared by its Markdown, HTML and JSON forms: a headline section (one
column per task: its headline metric) and one section per task group (every metric of the group's tasks).

A section names its columns ``(task, metric)`` and its rows (the models that have a cell in it: runs first, in
the order given, then the paper's rows); the values stay in the long table.  ``cell_text`` and
``headline_text`` are how a cell reads in the text forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pandas as pd

from reports.task_layout import GROUP_ORDER, TaskPlacement, place_tasks

MARK = "†"
HEADLINE = "headline"


@dataclass(frozen=True)
class Section:
    #: ``headline`` or a group name
    key: str
    #: ``(task, metric)`` per column, in display order
    columns: tuple[tuple[str, str], ...]
    #: the ``model`` values of its rows, in display order
    models: tuple[str, ...]

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(task for task, _ in self.columns))


def placements_of(long: pd.DataFrame) -> list[TaskPlacement]:
    metrics: dict[str, list[str]] = {}
    for task, metric in zip(long["task"], long["metric"], strict=True):
        metrics.setdefault(task, []).append(metric)
    return place_tasks(metrics)


def model_order(long: pd.DataFrame) -> list[str]:
    """Runs first (in the order they were given), then the paper's rows (in the reference file's order), each
    followed by the runs measured as that paper model (``paper_model``), so a measured SD-1.5 sits right under
    the paper's SD-1.5.  A run measured as a model without a paper row on this board stays with the runs."""
    runs = long[long["kind"] == "run"]
    papers = list(dict.fromkeys(long[long["kind"] != "run"]["model"]))
    claims = runs["paper_model"] if "paper_model" in runs else [None] * len(runs)  # a long table of before
    claimed = {model: paper for model, paper in zip(runs["model"], claims, strict=True)
               if not missing(paper) and paper in papers}
    order = [model for model in dict.fromkeys(runs["model"]) if model not in claimed]
    for paper in papers:
        order += [paper, *(model for model in dict.fromkeys(runs["model"]) if claimed.get(model) == paper)]
    return order


def sections(long: pd.DataFrame) -> list[Section]:
    """The headline section, then one section per group that holds a cell (GROUP_ORDER)."""
    if long.empty:
        return []
    placements = placements_of(long)
    order = model_order(long)
    present = set(zip(long["task"], long["metric"], strict=True))
    headline = tuple((p.task, p.headline) for p in placements if (p.task, p.headline) in present)
    found = [_section(long, HEADLINE, headline, order)]
    for group in GROUP_ORDER:
        columns = tuple((p.task, metric) for p in placements if p.group == group for metric in p.metrics)
        if columns:
            found.append(_section(long, group, columns, order))
    return [section for section in found if section.columns]


def _section(long: pd.DataFrame, key: str, columns: tuple[tuple[str, str], ...], order: list[str]) -> Section:
    wanted = set(columns)
    holders = {model for model, task, metric in zip(long["model"], long["task"], long["metric"], strict=True)
               if (task, metric) in wanted}
    return Section(key, columns, tuple(model for model in order if model in holders))


def cell_lookup(long: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, Any]]:
    """``(model, task, metric)`` -> that long row as a dict (the first, should a model repeat a cell)."""
    lookup: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in long.to_dict("records"):
        lookup.setdefault((row["model"], row["task"], row["metric"]), row)
    return lookup


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def cell_text(row: dict[str, Any] | None) -> str:
    """``0.1234``, ``312.4 †`` (not comparable), ``n/a`` (scored but unavailable), empty (no such cell)."""
    if row is None:
        return ""
    text = "n/a" if missing(row["value"]) else f"{row['value']:.4g}"
    return text if row["comparable"] else f"{text} {MARK}"


def interval_text(row: dict[str, Any] | None) -> str:
    """``[0.101, 0.146]`` when the cell has a value and a stored interval, else empty."""
    if row is None or any(missing(row[key]) for key in ("value", "ci_low", "ci_high")):
        return ""
    return f"[{row['ci_low']:.3g}, {row['ci_high']:.3g}]"


def headline_text(row: dict[str, Any] | None) -> str:
    """A headline cell: the value with its interval where one is known, ``0.1234 [0.101, 0.146]``."""
    if row is None:
        return ""
    text = "n/a" if missing(row["value"]) else f"{row['value']:.4g}"
    interval = interval_text(row)
    text = f"{text} {interval}" if interval else text
    return text if row["comparable"] else f"{text} {MARK}"


def display_label(model: str, run_id: Any) -> str:
    """A run's row label with its checkpoint folder shortened to the folder's name: ``tiny-trained (RUN)``
    instead of the absolute path of the shipped checkpoint.  The run id keeps it unique; the long table, the
    CSV and the JSON keep the full label."""
    if missing(run_id) or not model.endswith(f" ({run_id})"):
        return model
    what = model[: -len(f" ({run_id})")]
    return f"{PurePath(what).name or what} ({run_id})"


def grouped_notes(long: pd.DataFrame) -> list[str]:
    """Why cells are marked, one line per (row, reason) listing its cells, rows and cells in display order:
    ``† tiny-trained (RUN): t2i fid, t2v fid: not comparable with the paper rows: extractor 'toy' ...``."""
    marked = long[~long["comparable"].astype(bool)]
    if marked.empty:
        return []
    rows = {model: position for position, model in enumerate(model_order(long))}
    columns = {(p.task, metric): position for position, (p, metric) in enumerate(
        (p, metric) for p in placements_of(long) for metric in p.metrics)}
    cells: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    for model, run_id, task, metric, note in zip(marked["model"], marked["run_id"], marked["task"],
                                                 marked["metric"], marked["note"], strict=True):
        cells.setdefault((model, display_label(model, run_id), note), []).append(
            (columns[(task, metric)], f"{task} {metric}"))
    ordered = sorted(cells.items(), key=lambda item: (rows[item[0][0]], min(cells for cells, _ in item[1])))
    return [f"{MARK} {label}: {', '.join(name for _, name in sorted(where))}: {note}"
            for (_, label, note), where in ordered]
