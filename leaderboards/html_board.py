"""The leaderboard as one self-contained HTML page (reports/html_page.py: no script, no fetch): the headline
table (each value over its interval), then one table per task group (two header rows: the task over its
metrics; a group with more than MAX_GROUP_COLUMNS columns gets one table per task), the notes and the legend.
Tables wider than the page scroll sideways inside it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from leaderboards.sections import (
    HEADLINE,
    Section,
    cell_lookup,
    cell_text,
    display_label,
    grouped_notes,
    interval_text,
    sections,
)
from reports.html_page import esc, page
from reports.text_table import metric_label

#: about what fits in 1200 px (checked in Chromium at 1280 px): captioning (24) and editing (13) go task by task
MAX_GROUP_COLUMNS = 12
#: page-local rules (the shared CSS is reports/html_page.py's); the CSP allows inline styles, never scripts
STYLE = ("<style>.board{overflow-x:auto}.board td{white-space:nowrap}"
         ".board .ci{display:block;color:#59636e;font-size:.8em}</style>")

Lookup = dict[tuple[str, str, str], dict[str, Any]]


def render_html(long: pd.DataFrame, legend: str) -> str:
    lookup = cell_lookup(long)
    labels = {model: display_label(model, run_id) for model, run_id in zip(long["model"], long["run_id"],
                                                                           strict=True)}
    parts = [STYLE, "<h1>Leaderboard</h1>"]
    found = sections(long)
    for section in found:
        if section.key == HEADLINE:
            parts += ["<h2>Headline: one metric per task</h2>", _headline_table(section, labels, lookup)]
            continue
        parts.append(f"<h2>{esc(section.key)}</h2>")
        pieces = [section] if len(section.columns) <= MAX_GROUP_COLUMNS else [
            _only(section, task, lookup) for task in section.tasks]
        parts += [_group_table(piece, labels, lookup) for piece in pieces]
    if not found:
        parts.append("<p>(no results)</p>")
    notes = "".join(f"<li>{esc(note)}</li>" for note in grouped_notes(long))
    parts.append(f"<ul class='notes'>{notes}</ul><p class='small'>{esc(legend)}</p>")
    return page("Leaderboard", "".join(parts))


def _only(section: Section, task: str, lookup: Lookup) -> Section:
    """The part of a group section that is one task: its columns, and the rows with a cell in them."""
    columns = tuple(column for column in section.columns if column[0] == task)
    models = tuple(m for m in section.models if any((m, t, metric) in lookup for t, metric in columns))
    return Section(section.key, columns, models)


def _headline_table(section: Section, labels: dict[str, str], lookup: Lookup) -> str:
    head = "<tr><th>model</th>" + "".join(
        f"<th>{esc(task)}<br>{_breakable(metric_label(metric))}</th>" for task, metric in section.columns) + "</tr>"
    body = "".join(
        f"<tr><td>{esc(labels[model])}</td>" + "".join(
            _headline_cell(lookup.get((model, task, metric))) for task, metric in section.columns) + "</tr>"
        for model in section.models)
    return f"<div class='board'><table class='metrics'><thead>{head}</thead><tbody>{body}</tbody></table></div>"


def _headline_cell(row: dict[str, Any] | None) -> str:
    interval = interval_text(row)
    below = f"<span class='ci'>{esc(interval)}</span>" if interval else ""
    return f"<td class='num'>{esc(cell_text(row))}{below}</td>"


def _group_table(section: Section, labels: dict[str, str], lookup: Lookup) -> str:
    spans = "".join(f"<th colspan='{sum(1 for t, _ in section.columns if t == task)}'>{esc(task)}</th>"
                    for task in section.tasks)
    head = (f"<tr><th rowspan='2'>model</th>{spans}</tr><tr>"
            + "".join(f"<th>{_breakable(metric_label(metric))}</th>" for _, metric in section.columns) + "</tr>")
    body = "".join(
        f"<tr><td>{esc(labels[model])}</td>" + "".join(
            f"<td class='num'>{esc(cell_text(lookup.get((model, task, metric))))}</td>"
            for task, metric in section.columns) + "</tr>"
        for model in section.models)
    return f"<div class='board'><table class='metrics'><thead>{head}</thead><tbody>{body}</tbody></table></div>"


def _breakable(heading: str) -> str:
    """Escaped, with a line-break opportunity after each underscore (``signal_<wbr>exact ↑``): metric names
    are one long word to a browser, and a header only as wide as its numbers keeps a table within the page."""
    return esc(heading).replace("_", "_<wbr>")
