"""Leaderboard: runs from a results store beside the paper's reference rows (the paper's rows from
benchmarks/tasks/paper_reference.json, nowhere else).

The data is one long table (LONG_COLUMNS: a row per model or run, task and metric, with its task's group,
whether the metric is the task's headline, and the paper model the row is or measured).  Each (task, metric)
has a *reference provenance*: the paper's (canonical networks on the public dataset) when the paper reports it,
else the first run's.  A cell computed
differently is kept but **marked** (and its reason listed), never silently ranked with the others; the long
table carries ``comparable`` and ``note`` per cell.

A *measured* row is a run of a model the paper prints (``run --paper-model SD-1.5`` stores ``paper_model`` in
the run's model description): it is labelled ``SD-1.5 (measured: RUN)``, sits right after the paper's SD-1.5 row
in every table, and is checked against that row's protocol (its dataset, canonical networks and settings), so
whether the user's SD-1.5 FID can stand beside the paper's 11.21 is said in the cell (MARK) and its note.

Views of it: ``headline()`` and ``group_tables()`` (numbers, for pandas users), ``wide()`` (every column in one
table, the ``--wide`` output); text forms: Markdown (headline + group tables, leaderboards/markdown.py), CSV
(the long table), HTML (leaderboards/html_board.py) and JSON (leaderboards/json_board.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from benchmarks.store import StoredMetric
from benchmarks.tasks.paper import ReferenceData, ReferenceRow, load_reference
from leaderboards.sections import HEADLINE, MARK, model_order, placements_of, sections
from reports.compare_labels import board_label, measured_model
from reports.pairing import comparability_problem
from reports.paper_comparison import paper_comparability
from reports.rundata import RunData
from reports.text_table import DOWN, UNKNOWN_DIRECTION, UP, metric_label

#: the long table's columns; ``group``, ``headline`` and ``paper_model`` came last so older readers of the CSV
#: keep working.  ``paper_model``: the paper's model a paper row is, or a measured run was run as; empty otherwise
LONG_COLUMNS = ["model", "kind", "run_id", "task", "metric", "value", "ci_low", "ci_high", "n", "source",
                "comparable", "note", "group", "headline", "paper_model"]
#: their dtypes (missing numbers are NaN / <NA>; ``run_id`` is missing on the paper's rows)
LONG_DTYPES: dict[str, str] = {"model": "str", "kind": "str", "run_id": "str", "task": "str", "metric": "str",
                               "value": "float64", "ci_low": "float64", "ci_high": "float64", "n": "Int64",
                               "source": "str", "comparable": "bool", "note": "str", "group": "str",
                               "headline": "bool", "paper_model": "str"}

__all__ = ["LONG_COLUMNS", "LONG_DTYPES", "MARK", "Leaderboard", "build_leaderboard"]


@dataclass
class Leaderboard:
    #: one row per (model or run, task, metric): LONG_COLUMNS, typed as LONG_DTYPES
    long: pd.DataFrame

    def headline(self, field: str = "value") -> pd.DataFrame:
        """Rows: models/runs (runs first); columns: tasks (by group); cells: ``field`` (``value``, ``ci_low``,
        ``ci_high``, ``n``...) of the task's headline metric, NaN where a row has none."""
        found = [s for s in sections(self.long) if s.key == HEADLINE]
        if not found:
            return pd.DataFrame()
        frame = self._grid(found[0].models, found[0].columns, field)
        frame.columns = pd.Index([task for task, _ in found[0].columns], name="task")
        return frame

    def group_tables(self, field: str = "value") -> dict[str, pd.DataFrame]:
        """Task group -> a frame of ``field`` with columns ``(task, metric)`` (a MultiIndex) and the models that
        have a cell in the group as rows, in the order of ``benchmarks.tasks.TASK_GROUPS`` (then ``other``)."""
        return {s.key: self._grid(s.models, s.columns, field) for s in sections(self.long) if s.key != HEADLINE}

    def _grid(self, models: tuple[str, ...], columns: tuple[tuple[str, str], ...], field: str) -> pd.DataFrame:
        fields = [column for column in LONG_COLUMNS if column not in ("model", "task", "metric")]
        if field not in fields:
            raise KeyError(f"field {field!r} is not a leaderboard column; expected one of {', '.join(fields)}")
        table = self.long.drop_duplicates(["model", "task", "metric"]).set_index(["model", "task", "metric"])[field]
        grid = table.unstack(["task", "metric"]).reindex(index=list(models), columns=pd.MultiIndex.from_tuples(
            columns, names=["task", "metric"]))
        grid.index.name = "model"
        return grid

    def wide(self) -> pd.DataFrame:
        """Rows: models/runs; columns: ``task metric (↑/↓)``; incomparable cells carry MARK."""
        if self.long.empty:
            return pd.DataFrame()
        frame = self.long.copy()
        frame["column"] = [f"{t} {metric_label(m)}" for t, m in zip(
            frame["task"], frame["metric"], strict=True)]
        frame["cell"] = [_cell(v, c) for v, c in zip(frame["value"], frame["comparable"], strict=True)]
        order = list(dict.fromkeys(frame["column"]))
        rows = model_order(self.long)
        table = frame.pivot_table(index="model", columns="column", values="cell", aggfunc="first")
        return table.reindex(index=rows, columns=order).fillna("")

    def notes(self) -> list[str]:
        """One line per marked cell (the ``--wide`` layout; the others list them grouped by row and reason)."""
        marked = self.long[~self.long["comparable"].astype(bool)]
        return [f"{MARK} {r.model} / {r.task} {r.metric}: {r.note}" for r in marked.itertuples()]

    def to_markdown(self, *, wide: bool = False, width: int | None = None) -> str:
        """The headline table and one table per task group (lines within ``width``, default
        leaderboards.markdown.MAX_WIDTH); ``wide=True``: every column in one table, as before."""
        if not wide:
            from leaderboards.markdown import MAX_WIDTH, render_markdown

            return render_markdown(self.long, _legend(self.long, headline=True), width=width or MAX_WIDTH)
        table = self.wide()
        body = table.to_markdown() if not table.empty else "(no results)"
        return "\n".join([body, "", *[f"- {n}" for n in self.notes()], "", _legend(self.long)]) + "\n"

    def to_csv(self) -> str:
        return str(self.long.to_csv(index=False))

    def to_json(self) -> str:
        """The documented JSON form (leaderboards/json_board.py: schema 1)."""
        from leaderboards.json_board import render_json

        return render_json(self.long, _legend(self.long, headline=True))

    def to_html(self, *, wide: bool = False) -> str:
        """A page with the headline table and one table per group; ``wide=True``: the single wide table."""
        from reports.html_page import esc, page

        if not wide:
            from leaderboards.html_board import render_html

            return render_html(self.long, _legend(self.long, headline=True))
        table = self.wide()
        html = table.to_html(escape=True, classes="metrics", border=0) if not table.empty else "<p>(no results)</p>"
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes())
        return page("Leaderboard", f"<h1>Leaderboard</h1>{html}<ul class='notes'>{notes}</ul>"
                                   f"<p class='small'>{esc(_legend(self.long))}</p>")


def _cell(value: Any, comparable: Any) -> str:
    text = "n/a" if value is None or pd.isna(value) else f"{value:.4g}"
    return text if comparable else f"{text} {MARK}"


def _legend(long: pd.DataFrame, *, headline: bool = False) -> str:
    text = (f"{UP} higher is better, {DOWN} lower is better. {MARK}: computed differently from the column's "
            "reference (see the notes): shown, not comparable. Paper rows: NExT-GPT paper v3 "
            "(benchmarks/tasks/paper_reference.json), converted to this suite's units.")
    if headline:
        text += " Headline: each task's primary metric, [low, high] its stored confidence interval."
    if "paper_model" in long and (long["paper_model"].notna() & (long["kind"] == "run")).any():
        text += (" Measured rows (MODEL (measured: RUN)): a run of a model the paper prints (run --paper-model), "
                 f"right after that model's paper row, {MARK} where its protocol differs from the paper's.")
    if any(metric_label(metric).endswith(UNKNOWN_DIRECTION) for metric in set(long["metric"])):
        text += f" {UNKNOWN_DIRECTION}: the metric is not registered in this process (is its extension installed?)."
    return text


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
                            "source": row.source, "comparable": True, "note": f"printed {row.printed:g}",
                            "paper_model": row.model})
        for run in runs:
            record = run.metrics.get((task, metric))
            if record is None:
                continue
            claimed = measured_model(run).paper_model
            if papers:
                problem = _paper_problem(papers, claimed, record, run, reference)
            else:
                problem = None if run is first or first is None else comparability_problem(first, run, task, metric)
                problem = problem and f"not comparable with {first.run_id if first else '?'}: {problem}"
            records.append({"model": board_label(run), "kind": "run", "run_id": run.run_id, "task": task,
                            "metric": metric, "value": record.value,
                            "ci_low": record.ci[0] if record.ci else None,
                            "ci_high": record.ci[1] if record.ci else None, "n": record.n, "source": run.source,
                            "comparable": problem is None, "note": problem or "",
                            "paper_model": claimed})
    return Leaderboard(typed_long(records))


def _paper_problem(papers: list[ReferenceRow], claimed: str | None, record: StoredMetric, run: RunData,
                   reference: ReferenceData) -> str | None:
    """Why a run's cell cannot stand beside the paper's rows of its column (None: it can).  A run measured as
    one of those models is held to that model's row (``not comparable with the paper's SD-1.5 row: ...``); any
    other run to the column's rows, which share their dataset."""
    own = next((row for row in papers if row.model == claimed), None)
    problem = paper_comparability(own or papers[0], record.result.provenance, run.settings, reference)
    if problem is None:
        return None
    return f"not comparable with the paper's {own.model} row: {problem}" if own else \
        f"not comparable with the paper rows: {problem}"


def typed_long(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The long table of ``records`` (LONG_COLUMNS but ``group`` and ``headline``, which come from the task
    declarations: reports/task_layout.py), typed as LONG_DTYPES."""
    frame = pd.DataFrame.from_records(records, columns=LONG_COLUMNS)
    placements = {p.task: p for p in placements_of(frame)}
    frame["group"] = [placements[task].group for task in frame["task"]]
    frame["headline"] = [placements[task].headline == metric
                         for task, metric in zip(frame["task"], frame["metric"], strict=True)]
    return frame.astype(LONG_DTYPES)
