"""``nextgpt-bench report RUN``: one folder (index.html + copied media) that opens from disk, offline.

The page opens with the answer and ends with the evidence:

1. a one-line run header, then the **overview**: per task its headline metric with its 95% CI and the
   difference against a baseline (another run, with compare's paired interval, or the paper where comparable),
   a table with a one-row chart per task (reports/overview.py, reports/overview_html.py);
2. the sample **gallery**;

A task the run skipped (the model cannot do it) is listed as "skipped: REASON" wherever the page lists the tasks:
the run header's count, the overview, the gallery, the Run section and the metric tables.
3. the **detail**: run settings and model, a metrics table per task group (direction from the metric registry,
   value, CI, n, the paper's number beside it -- from benchmarks/tasks/paper_reference.json -- whether it is
   comparable, and the difference against a baseline run), plots (metric vs the paper's NExT-GPT number;
   latency per stage), per-stage timing and memory when the run was profiled, and provenance.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchmarks.store import ResultsStore, StoredMetric
from benchmarks.tasks.paper import load_reference
from reports.compare import CompareRow, Comparison
from reports.errors import ReportInputError
from reports.gallery import gallery_items, item_html
from reports.html_page import esc, fmt, page, table
from reports.overview import ReportBaseline, build_overview, paper_model_of, paper_row
from reports.overview_html import GROUP_TITLES, arrow, overview_section
from reports.paper_comparison import paper_comparability
from reports.run_files import write_text_atomically
from reports.rundata import RunData, load_from_store
from reports.stage_records import (
    latency_summary,
    number,
    other_fields,
    peak_memory,
    seconds_per_call,
    stage_order,
    throughput,
)
from reports.svg_plots import bar_chart
from reports.task_layout import GROUP_ORDER, declarations, ordered_tasks, place_task, stored_task_group
from reports.text_table import direction, metric_direction

#: the sections after the overview, in page order, as the contents line links them
LATER_SECTIONS = (("samples", "Samples"), ("run", "Run"), ("metrics", "Metrics"), ("plots", "Plots"),
                  ("stages", "Stages"), ("provenance", "Provenance"))


def render_run_report(store: ResultsStore, run_id: str, out_dir: Path, *, max_samples: int = 8,
                      baseline: ReportBaseline = "paper") -> Path:
    """Write the report of ``run_id`` into ``out_dir`` -> path of index.html.  ``baseline``: ``"paper"`` (the
    NExT-GPT paper's numbers, where comparable), ``"none"``, or this run against a baseline run, built by
    :func:`reports.overview.compare_to_baseline` (which refuses an incomparable baseline)."""
    run = load_from_store(store, run_id)
    if isinstance(baseline, Comparison) and baseline.b.run_id != run_id:
        raise ReportInputError(f"the baseline comparison is of run {baseline.b.run_id}, not of {run_id}; build it "
                               "with compare_to_baseline(this run, baseline run)")
    overview = build_overview(run, baseline)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = [_run_line(run), overview_section(overview), _contents(), _gallery(run, store, out_dir, max_samples),
                _settings(run), _metric_tables(run, overview.comparison), _plots(run, store), _timings(run),
                _provenance(run)]
    index = out_dir / "index.html"
    write_text_atomically(index, page(f"nextgpt-bench report {run_id}", "\n".join(s for s in sections if s)),
                          what="report")
    return index


def _when(seconds: Any) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds)) if isinstance(seconds, int | float) else "-"


def _run_line(run: RunData) -> str:
    """The title and one line saying which run this is; a failed run's error and toy networks are said here."""
    info, settings = run.info, run.settings
    status = str(info.get("status", "-"))
    facts = [f"<b>{esc(run.run_id)}</b>",
             f"<span class=\"{'good' if status == 'complete' else 'bad'}\">{esc(status)}</span>",
             esc(_model_summary(info.get("model") or {}))]
    scope = [f"{len(run.tasks)} task(s)"] + ([f"{len(run.skipped)} skipped"] if run.skipped else []) + [
        f"{key} {settings[key]}" for key in ("limit", "seed") if settings.get(key) is not None]
    facts += [esc(", ".join(scope)), f"finished {esc(_when(info.get('finished')))}"]
    parts = ["<h1>nextgpt-bench report</h1>", f"<p class=\"runline\">{' · '.join(facts)}</p>"]
    if info.get("error"):
        parts.append(f"<pre class=\"warn\">{esc(info['error'])}</pre>")
    if settings.get("extractors") == "toy":
        parts.append("<p class=\"warn small\">Scored with toy feature networks (fid[toy], clip_score[toy-clip], "
                     "fad[toy-audio]): usable to compare your own checkpoints, <b>not comparable with published "
                     "numbers</b>.</p>")
    return "".join(parts)


def _model_summary(model: dict[str, Any]) -> str:
    """``checkpoint tiny-trained (cpu, float32)`` (the folder's name; the Run section has the path), ``preset
    tiny (cpu, float32)``, an adapter and its source's name (``diffusers-text-to-image sd15 (cpu)``), or the
    record itself; then the paper's row the run stands for, when ``run --paper-model`` named one."""
    runtime = ", ".join(str(model[key]) for key in ("device", "dtype") if model.get(key))
    label = f", paper row {model['paper_model']}" if model.get("paper_model") else ""
    for kind in ("checkpoint", "preset"):
        if model.get(kind):
            name = Path(str(model[kind])).name or str(model[kind])
            return f"{kind} {name}" + (f" ({runtime})" if runtime else "") + label
    if model.get("adapter") and model.get("source"):
        name = Path(str(model["source"])).name or str(model["source"])
        return f"{model['adapter']} {name}" + (f" ({runtime})" if runtime else "") + label
    return "model " + json.dumps(model, sort_keys=True) if model else "model -"


def _contents() -> str:
    links = " · ".join(f"<a href=\"#{anchor}\">{esc(title)}</a>" for anchor, title in LATER_SECTIONS)
    return f"<p class=\"toc small\">Below: {links}</p>"


def _settings(run: RunData) -> str:
    info = run.info
    rows = [["run", esc(run.run_id)], ["status", esc(info.get("status", "-"))],
            ["started / finished", esc(f"{_when(info.get('created'))} / {_when(info.get('finished'))}")],
            ["model", _key_values(info.get("model") or {})],
            ["model fingerprint", esc(info.get("model_fingerprint", "-"))],
            ["settings", _key_values(run.settings)],
            ["skipped tasks", _skipped_list(run) if run.skipped else "none"],
            ["store", esc(run.source)]]
    if info.get("error"):  # a failed run: its error, as the runner stored it
        rows.insert(2, ["error", f"<pre class=\"warn\">{esc(info['error'])}</pre>"])
    return "<h2 id=\"run\">Run</h2>" + table([], rows)


def _skipped_list(run: RunData) -> str:
    return "<br>".join(f"<b>{esc(task)}</b>: skipped: {esc(run.skipped[task])}"
                       for task in ordered_tasks(run.skipped))


def _key_values(values: dict[str, Any]) -> str:
    return "<br>".join(f"<b>{esc(key)}</b>: {esc(json.dumps(value, sort_keys=True))}"
                       for key, value in sorted(values.items()))


def _paper_cell(run: RunData, record: StoredMetric) -> tuple[str, str]:
    reference = load_reference()
    ours = paper_row(reference, record.task, record.metric, paper_model_of(run))
    if ours is None:
        return "-", ""
    problem = paper_comparability(ours, record.result.provenance, run.settings, reference)
    verdict = "<span class=\"good\">comparable</span>" if problem is None else \
        f"<span class=\"warn\">not comparable: {esc(problem)}</span>"
    return (f"{fmt(ours.value)} <span class=\"small\">({esc(ours.model)}; printed {esc(f'{ours.printed:g}')}; "
            f"{esc(ours.source)})</span>"), verdict


def _metric_tables(run: RunData, comparison: Comparison | None = None) -> str:
    """A table per task group; with a baseline run (``comparison``), each metric's difference against it."""
    against = {(row.task, row.metric): row for row in comparison.rows} if comparison is not None else {}
    parts = ["<h2 id=\"metrics\">Metrics</h2>"]
    declared = declarations()
    placements = [place_task(task, [metric for name, metric in run.metrics if name == task], declared)
                  for task in ordered_tasks(run.tasks, declared)]
    for group in GROUP_ORDER:
        records = [run.metrics[(p.task, metric)] for p in placements if p.group == group for metric in p.metrics]
        skipped = [task for task in ordered_tasks(run.skipped, declared)
                   if stored_task_group(task, declared) == group and task not in run.tasks]
        if not records and not skipped:
            continue
        header = ["task", "metric", "better", "value", "95% CI", "n", "paper (this suite's units)",
                  "comparable with paper", "warnings"]
        if comparison is not None:
            header.append(f"this − baseline {comparison.a.run_id} (paired 95% CI)")
        rows = []
        for record in records:
            paper, verdict = _paper_cell(run, record)
            ci = "-" if record.ci is None else f"[{fmt(record.ci[0])}, {fmt(record.ci[1])}]"
            warnings = record.result.provenance.warnings
            row = [esc(record.task), esc(record.result.qualified_name) + _tokenizer_note(record),
                   arrow(metric_direction(record.metric)), fmt(record.value), ci, esc(record.n), paper, verdict,
                   f"<span class=\"small\">{len(warnings)} warning(s)</span>" if warnings else ""]
            if comparison is not None:
                row.append(_baseline_difference(against.get((record.task, record.metric))))
            rows.append(row)
        rows += [[esc(task), f"<span class=\"muted\">skipped: {esc(run.skipped[task])}</span>"]
                 + [""] * (len(header) - 2) for task in skipped]
        parts.append(f"<h3>{esc(GROUP_TITLES.get(group, group))}</h3>" + table(header, rows, numeric={3, 5}))
    return "".join(parts)


def _baseline_difference(row: CompareRow | None) -> str:
    """One metric of ``compare BASELINE RUN`` (B is this run); None when the baseline run lacks the metric."""
    if row is None:
        return "<span class=\"small muted\">not in the baseline run</span>"
    if row.refused:
        return f"<span class=\"warn\">refused: {esc(row.refused)}</span>"
    paired = row.paired
    if paired is None or paired.difference is None:
        return f"<span class=\"small muted\">{esc(paired.note if paired else 'n/a')}</span>"
    interval = "" if paired.ci is None else f" [{fmt(paired.ci[0])}, {fmt(paired.ci[1])}]"
    verdict = row.verdict_of_b
    css = {"better": "good", "worse": "bad"}.get(verdict, "small")
    return (f"{esc(f'{paired.difference:+.4g}')}{interval} "
            f"<span class=\"{css}\" title=\"{esc(paired.note)}\">{esc(verdict)}</span>")


def _tokenizer_note(record: StoredMetric) -> str:
    """Caption metrics depend on the tokenizer (ptb-python, ptb-java, sacreBLEU's 13a): shown beside the name."""
    tokenizer = record.result.provenance.tokenizer
    return f" <span class=\"small\">tokenizer: {esc(tokenizer)}</span>" if tokenizer else ""


def _plots(run: RunData, store: ResultsStore) -> str:
    """One small chart per metric the paper reports (each on its own scale), then latency."""
    reference = load_reference()
    charts = []
    for (task, metric), record in sorted(run.metrics.items()):
        paper = paper_row(reference, task, metric, paper_model_of(run))
        if paper is not None and record.value is not None:
            charts.append(bar_chart(f"{task} {record.result.qualified_name} {direction(metric)}", [
                ("this run", float(record.value), "#2563eb"), (f"paper: {paper.model}", paper.value, "#9ca3af")]))
    latency = _latency_bars(run, store)
    parts = ["<h2 id=\"plots\">Plots</h2>"]
    if charts:
        parts.append("<p class=\"small\">Each metric against the paper's number in this suite's units; the "
                     "table above says whether they are comparable.</p><div class=\"plots\">"
                     + "".join(charts) + "</div>")
    if latency:
        parts.append(bar_chart(latency[0], latency[1], " s"))
    return "".join(parts) if len(parts) > 1 else ""


def _latency_bars(run: RunData, store: ResultsStore) -> tuple[str, list[tuple[str, float, str]]] | None:
    if run.stage_timings:
        bars = []
        for task, stages in sorted(run.stage_timings.items()):
            for stage in stage_order(stages):
                record = stages[stage]
                per_call = seconds_per_call(record)
                if per_call is not None:
                    bars.append((f"{task} {stage}", per_call, "#059669"))
        return ("latency per stage (seconds per call)", bars) if bars else None
    bars = [(task, seconds, "#059669") for task, seconds in store.mean_generation_seconds(run.run_id).items()]
    return ("generation latency per task (seconds per output; run not profiled per stage)", bars) if bars else None


def _timings(run: RunData) -> str:
    if not run.stage_timings:
        return ("<h2 id=\"stages\">Stages</h2><p class=\"small\">No per-stage timing or memory: this run was not "
                "profiled.</p>")
    rows = []
    for task, stages in sorted(run.stage_timings.items()):
        for stage in stage_order(stages):
            record = stages[stage]
            memory = peak_memory(record)
            extra = other_fields(record)
            rows.append([esc(task), esc(stage), fmt(number(record.get("seconds"))), esc(record.get("calls", "-")),
                         fmt(seconds_per_call(record)), esc(latency_summary(record)),
                         f"{fmt(memory[1] / 2**20)} <span class=\"small\">({esc(memory[0])})</span>" if memory
                         else "-", esc(throughput(record)),
                         f"<span class=\"small\">{esc(json.dumps(extra, sort_keys=True))}</span>" if extra else ""])
    return "<h2 id=\"stages\">Stages</h2>" + table(["task", "stage", "seconds", "calls", "seconds/call", "latency",
                                                    "peak memory (MiB)", "throughput", "other"], rows,
                                                   numeric={2, 3, 4})


def _provenance(run: RunData) -> str:
    items = []
    for (task, _), record in sorted(run.metrics.items()):
        warnings = "".join(f"<li class=\"warn\">{esc(w)}</li>" for w in record.result.provenance.warnings)
        items.append(f"<details><summary>{esc(task)} / {esc(record.result.qualified_name)}</summary>"
                     f"<ul>{warnings}</ul><pre>{esc(json.dumps(record.result.to_dict(), indent=1))}"
                     "</pre></details>")
    return "<h2 id=\"provenance\">Provenance</h2>" + "".join(items)


def _gallery(run: RunData, store: ResultsStore, out_dir: Path, max_samples: int) -> str:
    parts = ["<h2 id=\"samples\">Samples</h2>"]
    for task in ordered_tasks([*run.tasks, *run.sample_ids]):
        items = gallery_items(store, run.run_id, task, run.sample_scores.get(task, {}), run.settings, max_samples)
        if items:
            parts.append(f"<h3>{esc(task)}</h3><div class=\"gallery\">"
                         + "".join(item_html(item, out_dir) for item in items) + "</div>")
    parts += [f"<h3>{esc(task)}</h3><p class=\"small muted\">skipped: {esc(run.skipped[task])}</p>"
              for task in ordered_tasks(run.skipped) if task not in run.sample_ids]
    if len(parts) == 1:
        parts.append("<p class=\"small\">No stored output to show.</p>")
    return "".join(parts)
