"""HTML version of a comparison: the table, then the same samples from both runs next to each other."""

from __future__ import annotations

from pathlib import Path

from reports.compare import Comparison
from reports.compare_labels import measured_model
from reports.gallery import gallery_items, item_html
from reports.html_page import esc, fmt, page, table
from reports.text_table import metric_label


def render_comparison(comparison: Comparison, out_dir: Path, *, max_samples: int = 6) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    a, b = comparison.a, comparison.b
    rows = []
    for row in comparison.rows:
        paired = row.paired
        ci = "-" if paired is None or paired.ci is None else f"[{fmt(paired.ci[0])}, {fmt(paired.ci[1])}]"
        css = {"B better": "good", "B worse": "bad", "refused": "warn"}.get(row.verdict, "")
        note = row.refused or (paired.note if paired else "")
        rows.append([esc(row.task), esc(metric_label(row.metric)), fmt(row.a), fmt(row.b),
                     fmt(paired.difference) if paired else "-", ci,
                     f"<span class=\"{css}\">{esc(row.verdict)}</span>", f"<span class=\"small\">{esc(note)}</span>"])
    body = [f"<h1>Compare</h1><p>A = <b>{esc(a.run_id)}</b>: {esc(measured_model(a).describe())} "
            f"({esc(a.source)})<br>B = <b>{esc(b.run_id)}</b>: {esc(measured_model(b).describe())} "
            f"({esc(b.source)})</p>",
            table(["task", "metric", "A", "B", "B - A", "paired 95% CI", "verdict", "note"], rows,
                  numeric={2, 3, 4})]
    if a.store is not None and b.store is not None:
        body.append("<h2>Same samples, both runs</h2>")
        for task in sorted({r.task for r in comparison.rows}):
            items_a = gallery_items(a.store, a.run_id, task, a.sample_scores.get(task, {}), a.settings, max_samples)
            items_b = {(i.sample_id, i.turn): i for i in gallery_items(
                b.store, b.run_id, task, b.sample_scores.get(task, {}), b.settings, max_samples)}
            pairs = [(item, items_b[(item.sample_id, item.turn)]) for item in items_a
                     if (item.sample_id, item.turn) in items_b]
            if pairs:
                body.append(f"<h3>{esc(task)}</h3>" + "".join(
                    f"<div class=\"pair\"><div><div class=\"small\">A</div>{item_html(x, out_dir)}</div>"
                    f"<div><div class=\"small\">B</div>{item_html(y, out_dir)}</div></div>" for x, y in pairs))
    else:
        body.append("<p class=\"small\">Samples are shown only when both runs come from a results store.</p>")
    index = out_dir / "index.html"
    index.write_text(page(f"compare {a.run_id} vs {b.run_id}", "".join(body)), encoding="utf-8")
    return index
