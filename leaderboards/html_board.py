"""The leaderboard as one self-contained HTML page (reports/html_page.py: no script, no fetch): the headline
table, then one table per task group (two header rows: the task over its metrics), the notes and the legend.
A page scrolls sideways, so no table is cut here."""

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
    headline_text,
    sections,
)
from leaderboards.task_layout import metric_heading
from reports.html_page import esc, page

Lookup = dict[tuple[str, str, str], dict[str, Any]]


def render_html(long: pd.DataFrame, legend: str) -> str:
    lookup = cell_lookup(long)
    labels = {model: display_label(model, run_id) for model, run_id in zip(long["model"], long["run_id"],
                                                                           strict=True)}
    parts = ["<h1>Leaderboard</h1>"]
    for section in sections(long):
        if section.key == HEADLINE:
            parts.append("<h2>Headline: one metric per task</h2>")
            parts.append(_table(section, labels, lookup, headline=True))
        else:
            parts.append(f"<h2>{esc(section.key)}</h2>")
            parts.append(_table(section, labels, lookup, headline=False))
    if len(parts) == 1:
        parts.append("<p>(no results)</p>")
    notes = "".join(f"<li>{esc(note)}</li>" for note in grouped_notes(long))
    parts.append(f"<ul class='notes'>{notes}</ul><p class='small'>{esc(legend)}</p>")
    return page("Leaderboard", "".join(parts))


def _table(section: Section, labels: dict[str, str], lookup: Lookup, *, headline: bool) -> str:
    text = headline_text if headline else cell_text
    if headline:
        head = "<tr><th>model</th>" + "".join(
            f"<th>{esc(task)}<br>{esc(metric_heading(metric))}</th>" for task, metric in section.columns) + "</tr>"
    else:
        spans = "".join(f"<th colspan='{sum(1 for t, _ in section.columns if t == task)}'>{esc(task)}</th>"
                        for task in section.tasks)
        head = (f"<tr><th rowspan='2'>model</th>{spans}</tr><tr>"
                + "".join(f"<th>{esc(metric_heading(metric))}</th>" for _, metric in section.columns) + "</tr>")
    body = "".join(
        f"<tr><td>{esc(labels[model])}</td>" + "".join(
            f"<td class='num'>{esc(text(lookup.get((model, task, metric))))}</td>"
            for task, metric in section.columns) + "</tr>"
        for model in section.models)
    return f"<table class='metrics'><thead>{head}</thead><tbody>{body}</tbody></table>"
