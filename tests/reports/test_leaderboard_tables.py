"""leaderboard: pandas tables of runs beside the paper's rows; incomparable cells are marked, not mixed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from report_helpers import TinyRuns, cli


def test_markdown_csv_json_html(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from leaderboards.board import LONG_COLUMNS, build_leaderboard
    from leaderboards.markdown import MAX_WIDTH
    from reports.rundata import load_from_store

    store = str(tiny_runs.store_dir)
    code, markdown, _ = cli(["leaderboard", "--store", store, "--tasks", "t2v"], capsys)
    assert code == 0
    headline, groups = markdown.split("## text-to-x\n")
    assert headline.startswith("## Headline: one metric per task\n") and "t2v fid ↓ |" in headline
    assert "clipsim ↑" in groups and "| CoDi" in groups
    assert "31.97" in markdown and "12.69" in markdown
    notes = markdown.replace("\n  ", " ")  # a note may wrap onto an indented line
    assert f"- † checkpoint ({tiny_runs.base}): t2v fid: not comparable with the paper rows: extractor 'toy'" in notes
    assert f"degraded-checkpoint ({tiny_runs.degraded}): t2v clipsim: not comparable with the paper rows" in notes
    assert markdown.count("†") >= 6  # three runs x (fid, clipsim) marked; signal_rate has no paper row
    assert max(len(line) for line in markdown.splitlines()) <= MAX_WIDTH

    code, wide, _ = cli(["leaderboard", "--store", store, "--tasks", "t2v", "--wide"], capsys)
    runs = [load_from_store(tiny_runs.store(), run) for run in (tiny_runs.base, tiny_runs.same, tiny_runs.degraded)]
    assert code == 0 and wide == build_leaderboard(runs, tasks=["t2v"]).to_markdown(wide=True)
    assert "t2v clipsim ↑" in wide and f"{tiny_runs.base}) / t2v fid: not comparable with the paper rows" in wide

    out = tmp_path / "board.csv"
    assert cli(["leaderboard", "--store", store, "--format", "csv", "--out", str(out)], capsys)[0] == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == LONG_COLUMNS
    runs_fid = [r for r in rows if r["kind"] == "run" and r["metric"] == "fid"]
    assert len(runs_fid) == 3 and all(r["comparable"] == "False" and "toy" in r["note"] for r in runs_fid)
    assert all(r["headline"] == "True" and r["group"] == "text-to-x" for r in runs_fid)
    paper = [r for r in rows if r["kind"] == "paper"]
    assert paper and all(r["comparable"] == "True" and r["source"].startswith("NExT-GPT paper v3") for r in paper)
    signal = [r for r in rows if r["metric"] == "signal_rate"]
    assert len(signal) == 3 and all(r["comparable"] == "True" and r["headline"] == "False" for r in signal)

    code, text, _ = cli(["leaderboard", "--store", store, "--format", "json", "--tasks", "t2v"], capsys)
    data = json.loads(text)
    assert code == 0 and data["schema"] == 1 and data["headline"][0]["metric"] == "fid"
    assert {r["run_id"] for r in data["rows"] if r["kind"] == "run"} == {tiny_runs.base, tiny_runs.same,
                                                                        tiny_runs.degraded}

    code, html, _ = cli(["leaderboard", "--store", store, "--format", "html", "--tasks", "t2v"], capsys)
    assert code == 0 and "Content-Security-Policy" in html and "<table" in html and "<script" not in html
    assert "<h2>Headline: one metric per task</h2>" in html

    code, _, err = cli(["leaderboard", "--store", store, "--format", "csv", "--wide"], capsys)
    assert code == 2 and "--wide lays out the markdown and html tables" in err


def test_load_a_store_as_a_dataframe(tiny_runs: TinyRuns) -> None:
    import leaderboards
    from leaderboards.board import LONG_COLUMNS

    long = leaderboards.load(tiny_runs.store(), include_paper=False)
    assert list(long.columns) == LONG_COLUMNS
    assert set(long["run_id"]) == {tiny_runs.base, tiny_runs.same, tiny_runs.degraded}
    one = leaderboards.load(tiny_runs.store_dir, runs=[tiny_runs.degraded], include_paper=False)
    assert set(one["run_id"]) == {tiny_runs.degraded}
    signal = one.set_index("metric").loc["signal_rate"]
    assert signal["value"] == 0.0 and signal["n"] == 4


def test_run_labels_are_escaped_in_html(tiny_runs: TinyRuns) -> None:
    from leaderboards.board import build_leaderboard
    from reports.rundata import load_from_store

    run = load_from_store(tiny_runs.store(), tiny_runs.base)
    run.info = {**run.info, "model": {"checkpoint": "<img src=x onerror=alert(1)>"}}
    board = build_leaderboard([run], include_paper=False)
    for html in (board.to_html(), board.to_html(wide=True)):
        assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


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
