"""The leaderboard as Markdown that reads in a terminal and in a PR comment: the headline table, then one table
per task group, then the notes on marked cells and the legend.

Every line is kept within ``width`` characters (MAX_WIDTH by default) where the data allows it: a group whose
tasks do not fit in one table becomes one table per task (headed ``### TASK``, columns without the task prefix);
a table that is still too wide is cut into consecutive tables at column boundaries (whole groups of the
headline first), each repeating the model column.  Rows without a cell in a table are left out of it.  A single
column wider than ``width`` (a very long model label) is the one case that stays wider.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from leaderboards.sections import (
    HEADLINE,
    Section,
    cell_lookup,
    cell_text,
    display_label,
    grouped_notes,
    headline_text,
    placements_of,
    sections,
)
from reports.text_table import metric_label

#: the widest line the tables aim for (measured on a default-suite run beside the paper's rows: see
#: reports/README.md and tests/reports/test_leaderboard_layout.py)
MAX_WIDTH = 150
MODEL_HEADER = "model"

Lookup = dict[tuple[str, str, str], dict[str, Any]]


@dataclass(frozen=True)
class Column:
    header: str
    #: one cell per row of the table (empty where the row has no value)
    cells: tuple[str, ...]

    @property
    def width(self) -> int:
        return max([len(self.header), *(len(cell) for cell in self.cells)])


def render_markdown(long: pd.DataFrame, legend: str, *, width: int = MAX_WIDTH) -> str:
    found = sections(long)
    lookup = cell_lookup(long)
    labels = {model: display_label(model, run_id) for model, run_id in zip(long["model"], long["run_id"],
                                                                           strict=True)}
    groups = {p.task: p.group for p in placements_of(long)} if not long.empty else {}
    lines: list[str] = []
    for section in found:
        rows = [labels[model] for model in section.models]
        if section.key == HEADLINE:
            lines += ["## Headline: one metric per task", ""]
            units = _units(section, lambda task, _: groups[task], _headline_column(section, lookup),
                           lambda task, metric: f"{task} {metric_label(metric)}")
            lines += _tables(rows, units, width)
        else:
            lines += [f"## {section.key}", ""]
            lines += _group_tables(section, rows, lookup, width)
    if not found:
        lines += ["(no results)", ""]
    notes = grouped_notes(long)
    if notes:
        lines += ["Notes:", ""]
        for note in notes:
            lines += textwrap.wrap(note, width, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)
        lines.append("")
    lines += textwrap.wrap(legend, width, break_on_hyphens=False)
    return "\n".join(lines) + "\n"


def _group_tables(section: Section, rows: list[str], lookup: Lookup, width: int) -> list[str]:
    """One table for the group when it fits in ``width``, else one table per task."""
    cells = _value_column(section, lookup)
    whole = _units(section, lambda *_: section.key, cells, lambda task, metric: f"{task} {metric_label(metric)}")
    if _table_width(rows, [column for unit in whole for column in unit]) <= width:
        return _tables(rows, whole, width)
    lines: list[str] = []
    for task in section.tasks:
        single = Section(section.key, tuple(c for c in section.columns if c[0] == task), section.models)
        units = _units(single, lambda _, metric: metric, _value_column(single, lookup),
                       lambda _, metric: metric_label(metric))
        heading = [] if task == section.key else [f"### {task}", ""]  # not "## dialogue" over "### dialogue"
        lines += [*heading, *_tables(rows, units, width)]
    return lines


def _value_column(section: Section, lookup: Lookup) -> Callable[[str, str], tuple[str, ...]]:
    def cells(task: str, metric: str) -> tuple[str, ...]:
        return tuple(cell_text(lookup.get((model, task, metric))) for model in section.models)
    return cells


def _headline_column(section: Section, lookup: Lookup) -> Callable[[str, str], tuple[str, ...]]:
    def cells(task: str, metric: str) -> tuple[str, ...]:
        return tuple(headline_text(lookup.get((model, task, metric))) for model in section.models)
    return cells


def _units(section: Section, unit_of: Callable[[str, str], str], cells: Callable[[str, str], tuple[str, ...]],
           header: Callable[[str, str], str]) -> list[list[Column]]:
    """The section's columns, in order, in runs of equal ``unit_of`` (kept together when tables are cut)."""
    units: dict[str, list[Column]] = {}
    for task, metric in section.columns:
        units.setdefault(unit_of(task, metric), []).append(Column(header(task, metric), cells(task, metric)))
    return list(units.values())


def _tables(rows: Sequence[str], units: list[list[Column]], width: int) -> list[str]:
    """Markdown tables of ``rows`` x the columns of ``units``, as few as fit in ``width``, each followed by a
    blank line."""
    lines: list[str] = []
    for chunk in _pack(rows, units, width):
        keep = [i for i in range(len(rows)) if any(column.cells[i] for column in chunk)]
        kept_rows = [rows[i] for i in keep]
        kept = [Column(c.header, tuple(c.cells[i] for i in keep)) for c in chunk]
        lines += [*_pipe_table(kept_rows, kept), ""]
    return lines


def _pack(rows: Sequence[str], units: list[list[Column]], width: int) -> list[list[Column]]:
    """Greedy: whole units while they fit; a unit too wide on its own is cut column by column."""
    chunks: list[list[Column]] = []
    current: list[Column] = []
    for unit in units:
        pieces = [unit] if _table_width(rows, unit) <= width else [[column] for column in unit]
        for piece in pieces:
            if current and _table_width(rows, current + piece) > width:
                chunks.append(current)
                current = []
            current = current + piece
    if current:
        chunks.append(current)
    return chunks


def _table_width(rows: Sequence[str], columns: Sequence[Column]) -> int:
    label = max([len(MODEL_HEADER), *(len(row) for row in rows)])
    return 1 + (label + 3) + sum(column.width + 3 for column in columns)


def _pipe_table(rows: Sequence[str], columns: Sequence[Column]) -> list[str]:
    label = max([len(MODEL_HEADER), *(len(row) for row in rows)])
    widths = [column.width for column in columns]

    def line(first: str, cells: Sequence[str]) -> str:
        body = " | ".join(cell.rjust(w) for cell, w in zip(cells, widths, strict=True))
        return f"| {first.ljust(label)} | {body} |"

    rule = "|:" + "-" * (label + 1) + "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"
    header = f"| {MODEL_HEADER.ljust(label)} | " + " | ".join(
        column.header.rjust(w) for column, w in zip(columns, widths, strict=True)) + " |"
    return [header, rule, *(line(row, [column.cells[i] for column in columns]) for i, row in enumerate(rows))]
