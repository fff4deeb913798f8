"""``nextgpt-bench report RUN``: one folder (index.html + copied media) that opens from disk, offline.

Sections: run settings and model, a metrics table per task family (direction from the metric registry, value,
CI, n, the paper's number beside it -- from benchmarks/tasks/paper_reference.json -- and whether it is
comparable), plots (metric vs the paper's NExT-GPT number; latency per stage), per-stage
timing and memory when the run was profiled, provenance, and a sample gallery.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchmarks.store import ResultsStore, StoredMetric
from benchmarks.tasks.paper import load_reference
from reports.gallery import gallery_items, item_html
from reports.html_page import esc, fmt, page, table
from reports.paper_comparison import paper_comparability
from reports.rundata import RunData, load_from_store
from reports.stage_records import latency_summary, number, other_fields, peak_memory, seconds_per_call, throughput
from reports.svg_plots import bar_chart
from reports.text_table import direction

FAMILIES = (("Captioning", "text"), ("Text to X", "generation"), ("Editing", "editing"), ("Dialogue", "dialogue"))


def render_run_report(store: ResultsStore, run_id: str, out_dir: Path, *, max_samples: int = 8) -> Path:
    """Write the report of ``run_id`` into ``out_dir`` -> path of index.html."""
    run = load_from_store(store, run_id)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = [_header(run), _metric_tables(run), _plots(run, store), _timings(run), _provenance(run),
                _gallery(run, store, out_dir, max_samples)]
    index = out_dir / "index.html"
    index.write_text(page(f"nextgpt-bench report {run_id}", "\n".join(s for s in sections if s)), encoding="utf-8")
    return index


def _family(task_name: str) -> str:
    from benchmarks.tasks import get_task

    task = get_task(task_name)
    if task.output == "dialogue":
        return "dialogue"
    if task.output == "text":
        return "text"
    return "editing" if task.uses_inputs else "generation"


def _when(seconds: Any) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds)) if isinstance(seconds, int | float) else "-"


def _header(run: RunData) -> str:
    info = run.info
    rows = [["run", esc(run.run_id)], ["status", esc(info.get("status", "-"))],
            ["started / finished", esc(f"{_when(info.get('created'))} / {_when(info.get('finished'))}")],
            ["model", _key_values(info.get("model") or {})],
            ["model fingerprint", esc(info.get("model_fingerprint", "-"))],
            ["settings", _key_values(run.settings)],
            ["store", esc(run.source)]]
    if info.get("error"):  # a failed run: its error, as the runner stored it
        rows.insert(2, ["error", f"<pre class=\"warn\">{esc(info['error'])}</pre>"])
    note = ""
    if run.settings.get("extractors") == "toy":
        note = ("<p class=\"warn\">Scored with toy feature networks (fid[toy], clip_score[toy-clip], fad[toy-audio]): "
                "usable to compare your own checkpoints, <b>not comparable with published numbers</b>.</p>")
    return f"<h1>nextgpt-bench report</h1>{note}" + table([], rows)


def _key_values(values: dict[str, Any]) -> str:
    return "<br>".join(f"<b>{esc(key)}</b>: {esc(json.dumps(value, sort_keys=True))}"
                       for key, value in sorted(values.items()))


def _paper_cell(run: RunData, record: StoredMetric) -> tuple[str, str]:
    reference = load_reference()
    rows = reference.for_task(record.task, record.metric)
    if not rows:
        return "-", ""
    ours = next((r for r in rows if r.model == "NExT-GPT"), rows[0])
    problem = paper_comparability(ours, record.result.provenance, run.settings, reference)
    verdict = "<span class=\"good\">comparable</span>" if problem is None else \
        f"<span class=\"warn\">not comparable: {esc(problem)}</span>"
    return (f"{fmt(ours.value)} <span class=\"small\">({esc(ours.model)}; printed {esc(f'{ours.printed:g}')}; "
            f"{esc(ours.source)})</span>"), verdict


def _metric_tables(run: RunData) -> str:
    parts = ["<h2>Metrics</h2>"]
    for title, family in FAMILIES:
        records = [r for (task, _), r in sorted(run.metrics.items()) if _family(task) == family]
        if not records:
            continue
        rows = []
        for record in records:
            paper, verdict = _paper_cell(run, record)
            ci = "-" if record.ci is None else f"[{fmt(record.ci[0])}, {fmt(record.ci[1])}]"
            warnings = record.result.provenance.warnings
            rows.append([esc(record.task), esc(record.result.qualified_name) + _tokenizer_note(record),
                         direction(record.metric), fmt(record.value), ci, esc(record.n), paper, verdict,
                         f"<span class=\"small\">{len(warnings)} warning(s)</span>" if warnings else ""])
        parts.append(f"<h3>{esc(title)}</h3>" + table(
            ["task", "metric", "better", "value", "95% CI", "n", "paper (this suite's units)",
             "comparable with paper", "warnings"], rows, numeric={3, 5}))
    return "".join(parts)


def _tokenizer_note(record: StoredMetric) -> str:
    """Caption metrics depend on the tokenizer (ptb-python, ptb-java, sacreBLEU's 13a): shown beside the name."""
    tokenizer = record.result.provenance.tokenizer
    return f" <span class=\"small\">tokenizer: {esc(tokenizer)}</span>" if tokenizer else ""


def _plots(run: RunData, store: ResultsStore) -> str:
    """One small chart per metric the paper reports (each on its own scale), then latency."""
    reference = load_reference()
    charts = []
    for (task, metric), record in sorted(run.metrics.items()):
        rows = reference.for_task(task, metric, "NExT-GPT") or reference.for_task(task, metric)
        if rows and record.value is not None:
            charts.append(bar_chart(f"{task} {record.result.qualified_name} {direction(metric)}", [
                ("this run", float(record.value), "#2563eb"), (f"paper: {rows[0].model}", rows[0].value, "#9ca3af")]))
    latency = _latency_bars(run, store)
    parts = ["<h2>Plots</h2>"]
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
            for stage, record in sorted(stages.items()):
                per_call = seconds_per_call(record)
                if per_call is not None:
                    bars.append((f"{task} {stage}", per_call, "#059669"))
        return ("latency per stage (seconds per call)", bars) if bars else None
    bars = [(task, seconds, "#059669") for task, seconds in store.mean_generation_seconds(run.run_id).items()]
    return ("generation latency per task (seconds per output; run not profiled per stage)", bars) if bars else None


def _timings(run: RunData) -> str:
    if not run.stage_timings:
        return "<h2>Stages</h2><p class=\"small\">No per-stage timing or memory: this run was not profiled.</p>"
    rows = []
    for task, stages in sorted(run.stage_timings.items()):
        for stage, record in sorted(stages.items()):
            memory = peak_memory(record)
            extra = other_fields(record)
            rows.append([esc(task), esc(stage), fmt(number(record.get("seconds"))), esc(record.get("calls", "-")),
                         fmt(seconds_per_call(record)), esc(latency_summary(record)),
                         f"{fmt(memory[1] / 2**20)} <span class=\"small\">({esc(memory[0])})</span>" if memory
                         else "-", esc(throughput(record)),
                         f"<span class=\"small\">{esc(json.dumps(extra, sort_keys=True))}</span>" if extra else ""])
    return "<h2>Stages</h2>" + table(["task", "stage", "seconds", "calls", "seconds/call", "latency",
                                      "peak memory (MiB)", "throughput", "other"], rows, numeric={2, 3, 4})


def _provenance(run: RunData) -> str:
    items = []
    for (task, _), record in sorted(run.metrics.items()):
        warnings = "".join(f"<li class=\"warn\">{esc(w)}</li>" for w in record.result.provenance.warnings)
        items.append(f"<details><summary>{esc(task)} / {esc(record.result.qualified_name)}</summary>"
                     f"<ul>{warnings}</ul><pre>{esc(json.dumps(record.result.to_dict(), indent=1))}"
                     "</pre></details>")
    return "<h2>Provenance</h2>" + "".join(items)


def _gallery(run: RunData, store: ResultsStore, out_dir: Path, max_samples: int) -> str:
    parts = ["<h2>Samples</h2>"]
    for task in sorted({t for t, _ in run.metrics} | set(run.sample_ids)):
        items = gallery_items(store, run.run_id, task, run.sample_scores.get(task, {}), run.settings, max_samples)
        if items:
            parts.append(f"<h3>{esc(task)}</h3><div class=\"gallery\">"
                         + "".join(item_html(item, out_dir) for item in items) + "</div>")
    return "".join(parts)
