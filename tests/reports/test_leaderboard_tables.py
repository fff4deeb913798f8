"""leaderboard: pandas tables of runs beside the paper's rows; incomparable cells are marked, not mixed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from report_helpers import TinyRuns, cli


def test_markdown_csv_html(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tiny_runs.store_dir)
    code, markdown, _ = cli(["leaderboard", "--store", store, "--tasks", "t2v"], capsys)
    assert code == 0
    assert "t2v clipsim ↑" in markdown and "t2v fid ↓" in markdown and "| CoDi" in markdown
    assert "31.97" in markdown and "12.69" in markdown
    assert f"{tiny_runs.base}) / t2v fid: not comparable with the paper rows: extractor 'toy'" in markdown
    assert markdown.count("†") >= 6  # three runs x (fid, clipsim) marked; signal_rate has no paper row

    out = tmp_path / "board.csv"
    assert cli(["leaderboard", "--store", store, "--format", "csv", "--out", str(out)], capsys)[0] == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    runs = [r for r in rows if r["kind"] == "run" and r["metric"] == "fid"]
    assert len(runs) == 3 and all(r["comparable"] == "False" and "toy" in r["note"] for r in runs)
    paper = [r for r in rows if r["kind"] == "paper"]
    assert paper and all(r["comparable"] == "True" and r["source"].startswith("NExT-GPT paper v3") for r in paper)
    signal = [r for r in rows if r["metric"] == "signal_rate"]
    assert len(signal) == 3 and all(r["comparable"] == "True" for r in signal)

    code, html, _ = cli(["leaderboard", "--store", store, "--format", "html", "--tasks", "t2v"], capsys)
    assert code == 0 and "Content-Security-Policy" in html and "<table" in html and "<script" not in html


def test_run_labels_are_escaped_in_html(tiny_runs: TinyRuns) -> None:
    from leaderboards.board import build_leaderboard
    from reports.rundata import load_from_store

    run = load_from_store(tiny_runs.store(), tiny_runs.base)
    run.info = {**run.info, "model": {"checkpoint": "<script>alert(1)</script>"}}
    html = build_leaderboard([run], include_paper=False).to_html()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_incomparable_runs_in_a_column_without_paper_rows(tiny_runs: TinyRuns) -> None:
    from dataclasses import replace

    from leaderboards.board import build_leaderboard
    from reports.rundata import load_from_store

    store = tiny_runs.store()
    first, second = load_from_store(store, tiny_runs.base), load_from_store(store, tiny_runs.same)
    record = second.metrics[("t2v", "signal_rate")]
    provenance = replace(record.result.provenance, settings=(("definition", "other"),))
    second.metrics[("t2v", "signal_rate")] = replace(record, result=replace(record.result, provenance=provenance))
    board = build_leaderboard([first, second], include_paper=False)
    long = board.long.set_index(["run_id", "metric"])
    assert bool(long.loc[(first.run_id, "signal_rate"), "comparable"])
    assert not bool(long.loc[(second.run_id, "signal_rate"), "comparable"])
    assert "provenance field 'settings.definition' differs" in long.loc[(second.run_id, "signal_rate"), "note"]


def test_paper_only_without_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, markdown, err = cli(["leaderboard", "--store", str(tmp_path / "none"), "--tasks", "t2i"], capsys)
    assert code == 0 and "paper's rows only" in err and "SD-1.5" in markdown and "11.21" in markdown
