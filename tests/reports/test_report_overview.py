"""The report opens with the answer: an overview (headline metric per task, its CI, the difference against a
baseline), then the gallery, then the detail; a baseline run is paired exactly as `compare` pairs it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from report_helpers import TinyRuns, cli


def _between(text: str, start: str, end: str) -> str:
    """The page from ``<h2 id="start">`` up to ``<h2 id="end">``."""
    return text[text.index(f"<h2 id=\"{start}\">"):text.index(f"<h2 id=\"{end}\">")]


def _text(html: str) -> str:
    """``html`` without its tags (what a reader sees)."""
    return re.sub(r"<[^>]+>", "", html)


def _record(task: str, metric: str, value: float, ci: tuple[float, float] | None = None, n: int = 4,
            **provenance: Any) -> Any:
    from benchmarks.store import StoredMetric
    from metrics.provenance import ConfidenceInterval, MetricResult, Provenance

    interval = None if ci is None else ConfidenceInterval(ci[0], ci[1], 0.95, 100, 0)
    result = MetricResult(metric, value, Provenance(metric=metric, n_samples=n, **provenance), ci=interval)
    return StoredMetric(task, result, n)


def _run(records: list[Any], settings: dict[str, Any] | None = None) -> Any:
    from reports.rundata import RunData

    return RunData("run-1", {"settings": settings or {}}, {(r.task, r.metric): r for r in records}, {}, {}, {},
                   "test")


def test_page_order_overview_then_gallery_then_detail(tiny_runs: TinyRuns, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["report", tiny_runs.base, "--store", str(tiny_runs.store_dir), "--out", str(tmp_path / "r"),
                        "--max-samples", "2"], capsys)
    assert code == 0
    text = Path(out.strip()).read_text(encoding="utf-8")
    order = [text.index(f"<h2 id=\"{anchor}\">") for anchor in
             ("overview", "samples", "run", "metrics", "plots", "stages", "provenance")]
    assert order == sorted(order), "overview, then the gallery, then the detail"
    assert text.index("<div class=\"gallery\">") < text.index("<h2 id=\"metrics\">")
    assert text.index("class=\"runline\"") < order[0], "a one-line run header comes first"
    assert "model fingerprint" not in text[:order[0]], "the settings table moved to the detail"

    overview = _between(text, "overview", "samples")
    stored = tiny_runs.store().metric_values(tiny_runs.base)
    fid = next(r for r in stored if (r.task, r.metric) == ("t2v", "fid"))
    assert "<b>fid[toy]</b> ↓" in overview, "t2v's declared headline metric, with its direction"
    assert f"<b>{fid.value:.4g}</b>" in overview
    assert fid.ci is None, "4 samples cannot fill FID's jackknife groups (intervals: the unit test below)"
    assert "(4 samples cannot fill 10 jackknife groups)" in overview, "why there is no interval"
    # default baseline: the paper; a toy run is not comparable, so no difference is made up
    assert "this − paper" in overview and "12.69" in overview
    assert "not comparable" in overview and "extractor &#x27;toy&#x27; is not the canonical network" in overview
    assert "clipsim" not in overview, "one row per task: only the headline metric"


def test_baseline_run_difference_matches_compare(tiny_runs: TinyRuns, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--bootstrap", "300", "--seed", "2", "--set-groups", "4"]
    code, out, _ = cli(["compare", tiny_runs.degraded, tiny_runs.base, "--store", str(tiny_runs.store_dir),
                        "--json", *options], capsys)
    assert code == 0
    rows = {(r["task"], r["metric"]): r for r in json.loads(out)["rows"]}
    code, out, err = cli(["report", tiny_runs.base, "--baseline", tiny_runs.degraded, "--store",
                          str(tiny_runs.store_dir), "--out", str(tmp_path / "r"), *options], capsys)
    assert code == 0, err
    text = Path(out.strip()).read_text(encoding="utf-8")
    overview = _between(text, "overview", "samples")
    fid = rows[("t2v", "fid")]
    assert fid["ci"] is not None, "FID gets its paired jackknife interval, as in compare"
    assert f"{fid['difference']:+.4g} [{fid['ci'][0]:.4g}, {fid['ci'][1]:.4g}]" in _text(overview)
    assert "this − baseline (paired 95% CI)" in overview and tiny_runs.degraded in overview
    verdict = {"B better": "better", "B worse": "worse"}.get(fid["verdict"], fid["verdict"])
    assert re.search(rf">{re.escape(verdict)}</span>", overview), (verdict, overview)

    metrics = _between(text, "metrics", "plots")
    signal = rows[("t2v", "signal_rate")]
    assert signal["verdict"] == "B better", "the base run asks for its videos; the degraded one does not"
    assert (f"{signal['difference']:+.4g} [{signal['ci'][0]:.4g}, {signal['ci'][1]:.4g}] <span class=\"good\""
            in metrics), "the detail tables carry every metric's difference against the baseline run"


def test_incomparable_baseline_is_refused(tiny_runs: TinyRuns, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "snapshot.json"
    assert cli(["gate", tiny_runs.degraded, "--store", str(tiny_runs.store_dir), "--write-baseline",
                str(snapshot)], capsys)[0] == 0
    data = json.loads(snapshot.read_text())
    fid = next(m["result"] for m in data["metrics"] if m["result"]["name"] == "fid")
    fid["provenance"]["extractor"] = "inception-2015-12-05"
    fid["qualified_name"] = "fid[inception-2015-12-05]"
    snapshot.write_text(json.dumps(data))
    out_dir = tmp_path / "r"
    code, _, err = cli(["report", tiny_runs.base, "--baseline", str(snapshot), "--store", str(tiny_runs.store_dir),
                        "--out", str(out_dir), "--set-groups", "0"], capsys)
    assert code == 2
    assert "t2v/fid: provenance field 'extractor' differs ('inception-2015-12-05' vs 'toy')" in err
    assert not out_dir.exists(), "refused before any folder is made"

    code, out, err = cli(["report", tiny_runs.base, "--baseline", str(snapshot), "--store",
                          str(tiny_runs.store_dir), "--out", str(out_dir), "--set-groups", "0",
                          "--skip-incomparable"], capsys)
    assert code == 0, err
    overview = _between(Path(out.strip()).read_text(encoding="utf-8"), "overview", "samples")
    assert ">refused</span>" in overview and "provenance field &#x27;extractor&#x27; differs" in overview


def test_no_baseline_and_unknown_baseline(tiny_runs: TinyRuns, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["report", tiny_runs.base, "--baseline", "none", "--store", str(tiny_runs.store_dir),
                        "--out", str(tmp_path / "r"), "--max-samples", "0"], capsys)
    assert code == 0
    overview = _between(Path(out.strip()).read_text(encoding="utf-8"), "overview", "samples")
    assert "<b>fid[toy]</b>" in overview and "<th>verdict</th>" not in overview
    assert "baseline" not in overview and "paper" not in overview
    code, _, err = cli(["report", tiny_runs.base, "--baseline", "no-such-run", "--store", str(tiny_runs.store_dir),
                        "--out", str(tmp_path / "r2")], capsys)
    assert code == 2 and "no run 'no-such-run'" in err and not (tmp_path / "r2").exists()


def test_overview_rows_follow_the_task_declarations() -> None:
    """Every task gets its declared headline metric and group, in group order; a task unknown to this process
    falls back to its first stored metric, in the group "other"; tasks asked for but never scored are named."""
    from reports.overview import build_overview
    from reports.overview_html import overview_section

    run = _run([_record("dialogue", "text_turn_accuracy", 0.5), _record("dialogue", "modality_accuracy", 0.25),
                _record("t2i", "clip_score", 20.0), _record("t2i", "fid", 30.0, (25.0, 35.0)),
                _record("caption-image", "cider", 0.8, (0.5, 1.1)), _record("caption-image", "bleu1", 0.3),
                _record("my-plugin-task", "zeta", 1.0), _record("my-plugin-task", "alpha", 2.0)],
               {"tasks": ["caption-image", "t2i", "dialogue", "my-plugin-task", "t2a"]})
    overview = build_overview(run, "none")
    assert [(r.task, r.group, r.record.metric) for r in overview.rows] == [
        ("caption-image", "captioning", "cider"), ("t2i", "text-to-x", "fid"),
        ("dialogue", "dialogue", "modality_accuracy"), ("my-plugin-task", "other", "alpha")]
    assert [r.higher_is_better for r in overview.rows] == [True, False, True, None]
    assert "not registered" in overview.rows[-1].fallback and overview.unscored == ["t2a"]
    html = overview_section(overview)
    assert "[0.5, 1.1]" in html and "[25, 35]" in html and "<b>alpha</b> ?" in html
    assert "Not scored: t2a." in html
    assert [g for g in re.findall(r"<tr class=\"group\"><th colspan=\"\d+\">([^<]+)</th>", html)] == [
        "Captioning", "Text to X", "Dialogue", "Other tasks"]


def test_difference_against_the_paper_only_when_comparable() -> None:
    """A canonical FID on the paper's dataset gets a difference (its interval shifted by the paper's number,
    which prints none); the same score from the synthetic world shows the paper's number greyed, with why."""
    from reports.overview import build_overview

    canonical = {"extractor": "inception-2015-12-05", "extractor_canonical": True}
    fid = _record("t2i", "fid", 12.0, (11.0, 13.5), **canonical)
    comparable = build_overview(_run([fid], {"data": {"image-captions": "coco:ann.json:images"}}), "paper")
    cell = comparable.rows[0].baseline
    assert cell is not None and cell.reference == 10.07 and cell.source.startswith("NExT-GPT;")
    assert cell.difference == pytest.approx(12.0 - 10.07)
    assert cell.ci == pytest.approx((11.0 - 10.07, 13.5 - 10.07))
    assert cell.significant is True and cell.verdict == "worse", "FID: lower is better"

    resized = _record("t2i", "fid", 12.0, (11.0, 13.5), resize="pil-bicubic", **canonical)
    coco = {"data": {"image-captions": "coco:ann.json:images"}}
    cell = build_overview(_run([resized], coco), "paper").rows[0].baseline
    assert cell is not None and cell.difference is None and cell.verdict == "not comparable"
    assert "resize 'pil-bicubic' is not the canonical 'tf-bilinear'" in cell.note, "the resize moves FID by points"

    synthetic = build_overview(_run([fid], {}), "paper").rows[0].baseline
    assert synthetic is not None and synthetic.difference is None and synthetic.reference == 10.07
    assert synthetic.verdict == "not comparable" and "is not COCO captions" in synthetic.note

    none = build_overview(_run([_record("t2i", "fid", 12.0, **canonical), _record("t2a", "fad", 2.0)]), "paper")
    assert none.rows[1].baseline is not None and none.rows[1].baseline.verdict == "not comparable"
    dialogue = build_overview(_run([_record("dialogue", "modality_accuracy", 0.5)]), "paper").rows[0].baseline
    assert dialogue is not None and dialogue.verdict == "no paper number" and dialogue.reference is None

    from reports.errors import ReportInputError

    with pytest.raises(ReportInputError, match="report baseline 'papers': expected 'paper', 'none'"):
        build_overview(_run([fid]), "papers")  # type: ignore[arg-type]


def test_chart_is_mirrored_so_that_right_is_better() -> None:
    from reports.svg_plots import StripMark, interval_strip

    def dot(mirrored: bool) -> float:
        svg = interval_strip("x", StripMark(1.0, (0.5, 2.0)), (0.0, 4.0), mirrored=mirrored, colour="#000")
        match = re.search(r"<circle cx=\"([\d.]+)\"", svg)
        assert match is not None
        return float(match.group(1))

    assert dot(False) < 110 < dot(True), "a low value sits left when higher is better, right when lower is"
    with pytest.raises(ValueError, match="axis"):
        interval_strip("x", StripMark(1.0), (1.0, 1.0), mirrored=False, colour="#000")


def test_report_of_a_task_and_metric_this_process_does_not_know(tmp_path: Path) -> None:
    """A run scored by an extension that is not installed here still renders: its task falls in "other tasks"
    with its first stored metric, direction unknown (?), in the overview and in the detail tables."""
    from benchmarks.store import ResultsStore
    from metrics.provenance import MetricResult, Provenance
    from reports.run_report import render_run_report

    store = ResultsStore(tmp_path / "store")
    run_id, _ = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["plugin-task"], "limit": 2})
    store.save_scores(run_id, "plugin-task", [MetricResult("zeta", 0.5, Provenance(metric="zeta", n_samples=2)),
                                              MetricResult("alpha", 3.0, Provenance(metric="alpha", n_samples=2))],
                      {})
    store.finish_run(run_id)
    text = render_run_report(store, run_id, tmp_path / "report").read_text(encoding="utf-8")
    overview = _between(text, "overview", "samples")
    assert "Other tasks" in overview and "<b>alpha</b> ?" in overview and "not registered here" in overview
    assert "the paper reports no alpha for plugin-task" in overview
    assert "<td>plugin-task</td><td>zeta</td><td>?</td>" in _between(text, "metrics", "stages")


def test_a_baseline_run_with_a_metric_this_process_does_not_know(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """``report --baseline RUN`` and ``compare`` on runs scored by an extension that is not installed here: the
    metric gets its difference without a paired interval (how it pairs is unknown) and direction ``?``, in the
    overview, the detail tables and compare alike, instead of failing with an unknown-metric error."""
    from benchmarks.store import ResultsStore
    from metrics.provenance import MetricResult, Provenance

    store = ResultsStore(tmp_path / "store")
    run_ids = []
    for fingerprint, value in (("baseline", 0.5), ("current", 0.75)):
        run_id, _ = store.start_or_resume(fingerprint, {"preset": "tiny"}, {"tasks": ["plugin-task"], "limit": 2})
        store.save_scores(run_id, "plugin-task",
                          [MetricResult("zeta", value, Provenance(metric="zeta", n_samples=2))],
                          {"zeta": {"s0": value, "s1": value}})
        store.finish_run(run_id)
        run_ids.append(run_id)
    store.close()
    baseline, current = run_ids
    code, out, err = cli(["compare", baseline, current, "--store", str(tmp_path / "store"), "--json"], capsys)
    assert code == 0, err
    row = json.loads(out)["rows"][0]
    assert (row["difference"], row["ci"], row["verdict"]) == (0.25, None, "no paired CI")
    assert "zeta is not registered in this process" in row["note"]
    code, out, err = cli(["compare", baseline, current, "--store", str(tmp_path / "store")], capsys)
    assert code == 0 and "zeta ?" in out, err

    code, out, err = cli(["report", current, "--baseline", baseline, "--store", str(tmp_path / "store"),
                          "--out", str(tmp_path / "report"), "--max-samples", "0"], capsys)
    assert code == 0, err
    text = Path(out.strip()).read_text(encoding="utf-8")
    overview = _text(_between(text, "overview", "samples"))
    assert "zeta ?" in overview and "+0.25" in overview and "zeta is not registered in this process" in overview
    assert "zeta is not registered in this process" in _between(text, "metrics", "stages")


def test_the_report_and_the_leaderboard_agree_when_the_declared_headline_is_not_stored() -> None:
    """One rule (reports/task_layout.py): the first stored metric in the task's declared order stands in for a
    declared headline that is not stored -- in the report's overview and in the leaderboard's headline table,
    which used to pick the first by name and to leave the task out."""
    from leaderboards.board import build_leaderboard
    from reports.overview import build_overview

    run = _run([_record("caption-image", "rouge_l", 0.4), _record("caption-image", "attribute_accuracy", 0.9),
                _record("caption-image", "bleu1", 0.3)])
    row = build_overview(run, "none").rows[0]
    assert row.record.metric == "bleu1" and row.fallback == "headline cider not stored: first stored metric"
    board = build_leaderboard([run], include_paper=False)
    assert board.headline().columns.tolist() == ["caption-image"]
    assert board.long.set_index("metric")["headline"].to_dict() == {
        "attribute_accuracy": False, "bleu1": True, "rouge_l": False}
    assert "caption-image bleu1 ↑" in board.to_markdown().split("## captioning")[0]
