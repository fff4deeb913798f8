"""The report's first section: one row per task (headline metric, value, 95% CI, n, the baseline and the
difference against it) with a one-row chart each, grouped like the metric tables."""

from __future__ import annotations

import math

from benchmarks.store import StoredMetric
from reports.html_page import esc, fmt
from reports.overview import BaselineCell, BaselineKind, Overview, OverviewRow, SkippedTask
from reports.svg_plots import StripMark, interval_strip
from reports.text_table import DOWN, UP

GROUP_TITLES = {"captioning": "Captioning", "text-to-x": "Text to X", "editing": "Editing", "dialogue": "Dialogue",
                "cycle": "Cycle consistency", "other": "Other tasks"}
_VERDICT_CLASS = {"better": "good", "worse": "bad", "not comparable": "muted", "refused": "warn",
                  "no paper number": "muted", "not in baseline": "muted"}
_COLOURS = {"better": "#15803d", "worse": "#b91c1c"}
_NEUTRAL = "#2563eb"


def overview_section(overview: Overview) -> str:
    header = ["task", "headline metric", "value", "95% CI", "n"]
    if overview.baseline_kind == "run":
        header += ["baseline", "this − baseline (paired 95% CI)", "verdict"]
    elif overview.baseline_kind == "paper":
        header += ["paper", "this − paper (95% CI)", "verdict"]
    header.append("chart (right is better)")
    body = []
    group = None
    for row in overview.task_order():
        if row.group != group:
            group = row.group
            body.append(f"<tr class=\"group\"><th colspan=\"{len(header)}\">"
                        f"{esc(GROUP_TITLES.get(group, group))}</th></tr>")
        if isinstance(row, SkippedTask):
            body.append(_skipped_row(row, len(header)))
        else:
            body.append("<tr>" + "".join(_row_cells(row, overview.baseline_kind)) + "</tr>")
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    parts = ["<h2 id=\"overview\">Overview</h2>", f"<p class=\"small\">{_legend(overview)}</p>"]
    if not overview.rows:
        parts.append("<p class=\"warn\">No task of this run has a stored score.</p>")
    if body:
        parts.append(f"<table class=\"overview\"><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
                     "</table>")
    if overview.unscored:
        parts.append(f"<p class=\"warn\">Not scored: {esc(', '.join(overview.unscored))}.</p>")
    return "".join(parts)


def _skipped_row(skipped: SkippedTask, columns: int) -> str:
    """A task the model cannot do: its name, then why it was skipped across the other columns."""
    return (f"<tr class=\"skipped\"><td>{esc(skipped.task)}</td><td colspan=\"{columns - 1}\" class=\"muted\">"
            f"skipped: {esc(skipped.reason)}</td></tr>")


def arrow(higher_is_better: bool | None) -> str:
    """↑ / ↓ for a metric's direction; ? when this process does not know the metric."""
    return {True: UP, False: DOWN, None: "?"}[higher_is_better]


def _legend(overview: Overview) -> str:
    scale = ("Chart: each row on its own scale, mirrored when lower is better so that right is always better; ")
    if overview.baseline_kind == "none":
        return ("Each task's headline metric. " + scale + "the value and its 95% interval on a scale from 0.")
    against = {"run": f"against the baseline {esc(overview.baseline_label)}: this run minus the baseline with the "
                      "paired 95% interval of <code>nextgpt-bench compare</code>, significant when it excludes 0",
               "paper": f"against the NExT-GPT paper's number{_of_paper_model(overview)}, in this suite's units, "
                        "where the two are comparable "
                        "(otherwise the paper's number is greyed, with the reason)"}[overview.baseline_kind]
    return (f"Each task's headline metric, {against}. {scale}where a difference is shown, the difference and its "
            "95% interval around the baseline (grey tick; green: significantly better, red: significantly "
            "worse); otherwise the value and its 95% interval on a scale from 0.")


def _of_paper_model(overview: Overview) -> str:
    """" for SD-1.5 (the run's paper row)" when the run names the paper's model it stands for."""
    if overview.paper_model is None:
        return ""
    return f" for {esc(overview.paper_model)} (the paper row this run names)"


def _row_cells(row: OverviewRow, kind: BaselineKind) -> list[str]:
    record = row.record
    metric = f"<b>{esc(record.result.qualified_name)}</b> {arrow(row.higher_is_better)}"
    if row.fallback:
        metric += f" <span class=\"small\">({esc(row.fallback)})</span>"
    ci = _missing_interval(record) if record.ci is None else _interval_html(record.ci)
    cells = [f"<td>{esc(row.task)}</td>", f"<td>{metric}</td>", f"<td class=\"num\"><b>{fmt(record.value)}</b></td>",
             f"<td class=\"num\">{ci}</td>", f"<td class=\"num\">{esc(record.n)}</td>"]
    if kind != "none" and row.baseline is not None:
        cells += _baseline_cells(row.baseline, kind)
    elif kind != "none":
        cells += ["<td></td>"] * 3
    cells.append(f"<td class=\"chart\">{_chart(row)}</td>")
    return cells


def _missing_interval(record: StoredMetric) -> str:
    """"-", with the metric library's reason when it gave one (its warning "METRIC: no interval -- WHY")."""
    for warning in record.result.provenance.warnings:
        if "no interval -- " in warning:
            return f"- <span class=\"small muted\">({esc(warning.split('no interval -- ', 1)[1])})</span>"
    return "-"


def _baseline_cells(cell: BaselineCell, kind: BaselineKind) -> list[str]:
    css = _VERDICT_CLASS.get(cell.verdict, "")
    reference = "-" if cell.reference is None else fmt(cell.reference)
    if cell.reference is not None and not cell.compared:
        reference = f"<span class=\"muted\">{reference}</span>"
    if cell.reference is not None and kind == "paper":  # a baseline run is named once, in the legend
        reference += f" <span class=\"small\" title=\"{esc(cell.source)}\">{esc(_short_source(cell.source))}</span>"
    if cell.difference is None:
        difference = "-"
    else:
        interval = "" if cell.ci is None else f" {_interval_html(cell.ci)}"
        difference = f"{esc(f'{cell.difference:+.4g}')}{interval}"
    verdict = f"<span class=\"{css} nowrap\" title=\"{esc(cell.note)}\">{esc(cell.verdict)}</span>"
    if not cell.compared or cell.significant is None:  # say why there is no difference, or no interval
        verdict += f"<br><span class=\"small muted\">{esc(cell.note)}</span>"
    return [f"<td class=\"num\">{reference}</td>", f"<td class=\"num\">{difference}</td>",
            f"<td>{verdict}</td>"]


def _interval_html(ci: tuple[float, float]) -> str:
    """``[low, high]``, never broken across lines."""
    return f"<span class=\"nowrap\">[{fmt(ci[0])}, {fmt(ci[1])}]</span>"


def _short_source(source: str) -> str:
    """The paper's model ("NExT-GPT zero-shot"); the full source (printed number, table) is the tooltip."""
    return source.split(";", 1)[0]


def _chart(row: OverviewRow) -> str:
    """Compared with the baseline: the difference and its interval around the baseline (the centre tick), the
    row scaled to its largest end.  Otherwise: the value and its 95% interval on a scale from 0."""
    record, cell = row.record, row.baseline
    mirrored = row.higher_is_better is False
    name = f"{row.task} {record.result.qualified_name}"
    if cell is not None and cell.difference is not None and _finite(cell.difference, cell.ci):
        extent = max(abs(v) for v in (cell.difference, *(cell.ci or ()))) * 1.1 or 1.0
        label = f"{name}: this − baseline {cell.difference:+.4g}" + _interval_text(cell.ci) + f" ({cell.verdict})"
        return interval_strip(label, StripMark(cell.difference, cell.ci), (-extent, extent), mirrored=mirrored,
                              colour=_COLOURS.get(cell.verdict, _NEUTRAL), tick=0.0)
    if record.value is None or not _finite(record.value, record.ci):
        return ""
    points = [0.0, record.value, *(record.ci or ())]
    low, high = min(points), max(points)
    pad = 0.05 * (high - low) or 1.0
    label = f"{name}: {record.value:.4g}" + _interval_text(record.ci)
    return interval_strip(label, StripMark(record.value, record.ci), (low - pad if low < 0 else 0.0, high + pad),
                          mirrored=mirrored, colour=_NEUTRAL)


def _interval_text(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f" [{ci[0]:.4g}, {ci[1]:.4g}]"


def _finite(value: float, ci: tuple[float, float] | None) -> bool:
    return all(math.isfinite(v) for v in (value, *(ci or ())))
