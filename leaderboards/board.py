"""Leaderboard: runs from a results store beside the paper's reference rows, one column per task metric (its
direction from the metric registry; the paper's rows from benchmarks/tasks/paper_reference.json, nowhere else).

Each column has a *reference provenance*: the paper's (canonical networks on the public dataset) when the paper
reports the column, else the first run's.  A cell computed differently is kept but **marked** (and its reason
listed), never silently ranked with the others; the CSV carries ``comparable`` and ``note`` per cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from benchmarks.tasks.paper import ReferenceData, load_reference
from reports.pairing import comparability_problem
from reports.paper_comparison import paper_comparability
from reports.rundata import RunData
from reports.text_table import DOWN, UP, metric_label

LONG_COLUMNS = ["model", "kind", "run_id", "task", "metric", "value", "ci_low", "ci_high", "n", "source",
                "comparable", "note"]
MARK = "†"


@dataclass
class Leaderboard:
    #: one row per (model or run, task, metric): LONG_COLUMNS
    long: pd.DataFrame

    def wide(self) -> pd.DataFrame:
        """Rows: models/runs; columns: ``task metric (↑/↓)``; incomparable cells carry MARK."""
        if self.long.empty:
            return pd.DataFrame()
        frame = self.long.copy()
        frame["column"] = [f"{t} {metric_label(m)}" for t, m in zip(
            frame["task"], frame["metric"], strict=True)]
        frame["cell"] = [_cell(v, c) for v, c in zip(frame["value"], frame["comparable"], strict=True)]
        order = list(dict.fromkeys(frame["column"]))
        rows = list(dict.fromkeys(frame["model"]))
        table = frame.pivot_table(index="model", columns="column", values="cell", aggfunc="first")
        return table.reindex(index=rows, columns=order).fillna("")

    def notes(self) -> list[str]:
        marked = self.long[~self.long["comparable"].astype(bool)]
        return [f"{MARK} {r.model} / {r.task} {r.metric}: {r.note}" for r in marked.itertuples()]

    def to_markdown(self) -> str:
        wide = self.wide()
        body = wide.to_markdown() if not wide.empty else "(no results)"
        return "\n".join([body, "", *[f"- {n}" for n in self.notes()], "", _legend()]) + "\n"

    def to_csv(self) -> str:
        return str(self.long.to_csv(index=False))

    def to_html(self) -> str:
        from reports.html_page import esc, page

        wide = self.wide()
        table = wide.to_html(escape=True, classes="metrics", border=0) if not wide.empty else "<p>(no results)</p>"
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes())
        return page("Leaderboard", f"<h1>Leaderboard</h1>{table}<ul class='notes'>{notes}</ul>"
                                   f"<p class='small'>{esc(_legend())}</p>")


def _cell(value: Any, comparable: Any) -> str:
    text = "n/a" if value is None or pd.isna(value) else f"{value:.4g}"
    return text if comparable else f"{text} {MARK}"


def _legend() -> str:
    return (f"{UP} higher is better, {DOWN} lower is better. {MARK}: computed differently from the column's "
            "reference (see the notes): shown, not comparable. Paper rows: NExT-GPT paper v3 "
            "(benchmarks/tasks/paper_reference.json), converted to this suite's units.")


def build_leaderboard(runs: list[RunData], *, include_paper: bool = True, tasks: list[str] | None = None,
                      reference: ReferenceData | None = None) -> Leaderboard:
    reference = reference or load_reference()
    records: list[dict[str, Any]] = []
    columns = sorted({key for run in runs for key in run.metrics}, key=lambda k: (k[0], k[1]))
    if include_paper:
        columns += [(r.task, r.metric) for r in reference.rows if (r.task, r.metric) not in columns]
    if tasks:
        columns = [c for c in columns if c[0] in tasks]
    for task, metric in columns:
        papers = reference.for_task(task, metric) if include_paper else []
        first = next((run for run in runs if (task, metric) in run.metrics), None)
        for row in papers:
            records.append({"model": row.model, "kind": "paper", "run_id": None, "task": task, "metric": metric,
                            "value": row.value, "ci_low": None, "ci_high": None, "n": None,
                            "source": row.source, "comparable": True, "note": f"printed {row.printed:g}"})
        for run in runs:
            record = run.metrics.get((task, metric))
            if record is None:
                continue
            if papers:
                problem = paper_comparability(papers[0], record.result.provenance, run.settings, reference)
                problem = problem and f"not comparable with the paper rows: {problem}"
            else:
                problem = None if run is first or first is None else comparability_problem(first, run, task, metric)
                problem = problem and f"not comparable with {first.run_id if first else '?'}: {problem}"
            records.append({"model": _label(run), "kind": "run", "run_id": run.run_id, "task": task,
                            "metric": metric, "value": record.value,
                            "ci_low": record.ci[0] if record.ci else None,
                            "ci_high": record.ci[1] if record.ci else None, "n": record.n, "source": run.source,
                            "comparable": problem is None, "note": problem or ""})
    return Leaderboard(pd.DataFrame.from_records(records, columns=LONG_COLUMNS))


def _label(run: RunData) -> str:
    model = run.info.get("model") or {}
    what = model.get("checkpoint") or model.get("preset") or model.get("source") or "model"
    return f"{what} ({run.run_id})"
