"""The leaderboard's readable layout on boards shaped like the default suite's (RunData built directly, no model):
headline table first, then one table per task group, lines within the width bound, every cell shown once;
``--wide`` and the CSV as before; the JSON form; the pandas API; tasks and metrics this process does not know."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from leaderboard_runs import default_suite_run, stored_metric

from benchmarks.tasks import TASK_GROUPS, get_task, suite_tasks
from leaderboards.board import LONG_COLUMNS, LONG_DTYPES, Leaderboard, build_leaderboard
from leaderboards.markdown import MAX_WIDTH
from reports.rundata import RunData

GOLDEN = Path(__file__).parent / "golden"
#: the groups of the default suite's tasks (the runs on the board), in table order; the cycle group has no task there
GROUPS = tuple(g for g in TASK_GROUPS if any(t.group == g for t in suite_tasks("default")))
SECOND_RUN = ("20261202-080000-5e6f7a8b", "out/ckpt-step-2000", 1)


@pytest.fixture(scope="module")
def board() -> Leaderboard:
    """Two default-suite runs (the second from a checkpoint folder) beside the paper's rows."""
    return build_leaderboard([default_suite_run(), default_suite_run(*SECOND_RUN)])


@pytest.fixture(scope="module")
def board_before() -> Leaderboard:
    """The same board with only the metrics of before the verifier metrics (what the golden files hold)."""
    return build_leaderboard([default_suite_run(before_verifiers=True),
                              default_suite_run(*SECOND_RUN, before_verifiers=True)])


def markdown_tables(text: str) -> list[dict[str, Any]]:
    """Each pipe table of ``text``: the ## and ### headings above it, its header and its rows (cells stripped)."""
    found: list[dict[str, Any]] = []
    section, task, block = "", "", []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip("|").split(" | ")])
            continue
        if block:
            found.append({"section": section, "task": task, "header": block[0], "rows": block[2:]})
            block = []
        if line.startswith("## "):
            section, task = line[3:], ""
        elif line.startswith("### "):
            task = line[4:]
    return found


def test_wide_is_the_single_table_of_before(board_before: Leaderboard) -> None:
    """golden/leaderboard_wide.md was written by the leaderboard before the layout existed, on these runs."""
    assert board_before.to_markdown(wide=True) == (GOLDEN / "leaderboard_wide.md").read_text(encoding="utf-8")


def test_csv_keeps_every_cell_and_the_columns_of_before(board_before: Leaderboard) -> None:
    old = list(csv.DictReader(io.StringIO((GOLDEN / "leaderboard_long.csv").read_text(encoding="utf-8"))))
    new = list(csv.DictReader(io.StringIO(board_before.to_csv())))
    assert list(new[0]) == LONG_COLUMNS and LONG_COLUMNS[:12] == list(old[0])
    assert len(new) == len(old)
    for before, after in zip(old, new, strict=True):
        for column, value in before.items():
            if column in ("value", "ci_low", "ci_high", "n") and value:
                assert float(after[column]) == float(value), (column, before)
            else:
                assert after[column] == value, (column, before)
    assert {row["group"] for row in new} == set(GROUPS)
    assert {(row["task"], row["metric"]) for row in new if row["headline"] == "True"} == {
        (task.name, task.headline_metric) for task in suite_tasks("default")}


def test_markdown_opens_with_the_headline_then_one_table_set_per_group(board: Leaderboard) -> None:
    text = board.to_markdown()
    assert text.startswith("## Headline: one metric per task\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Headline: one metric per task", *(f"## {group}" for group in GROUPS)]
    tables = markdown_tables(text)
    headline = [t for t in tables if t["section"] == "Headline: one metric per task"]
    columns = [column for table in headline for column in table["header"][1:]]
    assert columns == ["caption-image cider ↑", "caption-video cider ↑", "caption-audio cider ↑", "t2i fid ↓",
                       "t2v fid ↓", "t2a fad ↓", "edit-image clip_i ↑", "edit-video clip_i ↑",
                       "edit-audio mel_distance ↓", "dialogue modality_accuracy ↑"]
    first = headline[0]["rows"]
    assert first[0][0] == "tiny-trained (20261201-210459-1a2b3c4d)"
    assert first[1][0] == "ckpt-step-2000 (20261202-080000-5e6f7a8b)"  # the checkpoint folder's name, not its path
    assert ["NExT-GPT", "1.583", "0.762", "0.813"] in first  # the paper's CIDEr x 1/100 for all three tasks
    assert not any(row[0] == "SD-1.5" for row in first)  # no caption number in the paper: not in this table
    run_cell = first[0][1]
    value, low, high = board.long.query("task == 'caption-image' and metric == 'cider' and kind == 'run'")[
        ["value", "ci_low", "ci_high"]].iloc[0]
    assert run_cell == f"{value:.4g} [{low:.3g}, {high:.3g}] †"
    per_task = {t["task"] for t in tables if t["section"] in GROUPS}
    # each group is too wide for one table at 150: a table per task, under "### TASK" (not "### dialogue" again)
    assert per_task == {t.name for t in suite_tasks("default") if t.name != "dialogue"} | {""}
    assert next(t["header"][1] for t in tables if t["section"] == "dialogue") == "modality_accuracy ↑"
    assert "Notes:" in text and "extractor 'toy' is not the canonical network" in text


def test_every_line_fits_and_every_cell_is_shown_once(board: Leaderboard) -> None:
    for width in (MAX_WIDTH, 100):
        text = board.to_markdown(width=width)
        assert max(len(line) for line in text.splitlines()) <= width
        shown: dict[tuple[str, str, str, str], str] = {}
        for table in markdown_tables(text):
            for row in table["rows"]:
                for header, cell in zip(table["header"][1:], row[1:], strict=True):
                    if not cell:
                        continue
                    words = header.split(" ")  # "task metric ↑", or "metric ↑" under a task's heading
                    task, metric = words[:2] if len(words) == 3 else (table["task"] or table["section"], words[0])
                    key = ("headline" if table["section"].startswith("Headline") else "group", row[0], task, metric)
                    assert key not in shown, key
                    shown[key] = cell
        group_cells = [k for k in shown if k[0] == "group"]
        assert len(group_cells) == len(board.long)
        assert len(shown) - len(group_cells) == int(board.long["headline"].sum())


def test_a_group_that_fits_is_one_table_with_task_prefixes() -> None:
    run = default_suite_run()
    run.metrics = {key: value for key, value in run.metrics.items() if key in {("t2i", "fid"), ("t2a", "fad"),
                                                                               ("t2a", "signal_rate")}}
    tables = markdown_tables(build_leaderboard([run], include_paper=False).to_markdown())
    group = [t for t in tables if t["section"] == "text-to-x"]
    assert len(group) == 1 and not group[0]["task"]
    assert group[0]["header"] == ["model", "t2i fid ↓", "t2a fad ↓", "t2a signal_rate ↑"]


def test_json_round_trips_with_null_for_what_is_missing(board: Leaderboard) -> None:
    run = default_suite_run()
    key = ("t2i", "clip_score")
    failed = stored_metric(*key, 1.0)
    from dataclasses import replace

    from metrics.provenance import MetricResult

    run.metrics[key] = replace(failed, result=MetricResult.unavailable("clip_score", "no CLIP weights",
                                                                       failed.result.provenance))
    text = build_leaderboard([run]).to_json()
    assert "NaN" not in text
    data = json.loads(text)
    assert data["schema"] == 1
    assert set(data) == {"schema", "rows", "models", "headline", "groups", "notes", "legend"}
    unavailable = [r for r in data["rows"] if (r["task"], r["metric"]) == key]
    assert unavailable == [{**unavailable[0], "value": None, "ci_low": None, "ci_high": None}]
    paper = [r for r in data["rows"] if r["kind"] == "paper"]
    assert paper and all(r["run_id"] is None and r["ci_low"] is None and r["n"] is None for r in paper)
    assert all(isinstance(r["n"], int) for r in data["rows"] if r["kind"] == "run")
    assert [(h["task"], h["metric"]) for h in data["headline"]] == [
        (t.name, t.headline_metric) for group in GROUPS for t in suite_tasks("default") if t.group == group]
    assert list(data["groups"]) == list(GROUPS)
    assert [m["metric"] for m in data["groups"]["dialogue"][0]["metrics"]] == list(get_task("dialogue").metrics)
    assert data["models"][0] == {"model": "tiny-trained (20261201-210459-1a2b3c4d)", "kind": "run",
                                 "label": "tiny-trained (20261201-210459-1a2b3c4d)",
                                 "run_id": "20261201-210459-1a2b3c4d"}
    whole = json.loads(board.to_json())
    assert len(whole["rows"]) == len(board.long) and whole["notes"]


def test_json_writes_an_infinite_number_as_null_with_a_note(board: Leaderboard) -> None:
    """A frame given to Leaderboard directly may hold inf (a plugin's number, a hand-made table): JSON cannot, so
    the cell is null and its note says what it was, instead of a ValueError from json.dumps."""
    long = board.long.copy()
    first_run = long.index[long["kind"] == "run"][0]
    long.loc[first_run, ["value", "ci_high"]] = [math.inf, -math.inf]
    data = json.loads(Leaderboard(long).to_json())
    row = data["rows"][list(long.index).index(first_run)]
    assert row["value"] is None and row["ci_high"] is None and row["ci_low"] is not None
    assert row["note"].endswith("value inf, ci_high -inf: not a JSON number, null here")
    assert board.long.loc[first_run, "note"] in row["note"], "the cell's own note stays"


def test_html_shows_the_headline_then_the_groups(board: Leaderboard) -> None:
    html = board.to_html()
    positions = [html.index(f"<h2>{title}</h2>") for title in ("Headline: one metric per task", *GROUPS)]
    assert positions == sorted(positions)
    assert "<th colspan='12'>caption-image</th>" in html and "<script" not in html
    between = {title: html[positions[i]:positions[i + 1] if i + 1 < len(positions) else len(html)]
               for i, title in enumerate(("headline", *GROUPS))}
    # wider than a 1280 px window: one table per task (captioning 33 columns, text-to-x 25, editing 27)
    assert [between[key].count("<table") for key in between] == [1, 3, 3, 3, 1]
    assert "<span class='ci'>[" in between["headline"] and "signal_<wbr>rate ↑" in between["text-to-x"]
    assert "<table" in board.to_html(wide=True) and "<h2>" not in board.to_html(wide=True)


def test_pandas_frames(board: Leaderboard) -> None:
    long = board.long
    assert list(long.columns) == LONG_COLUMNS
    assert {column: str(dtype) for column, dtype in long.dtypes.items()} == LONG_DTYPES
    headline = board.headline()
    assert list(headline.columns) == [t.name for g in GROUPS for t in suite_tasks("default") if t.group == g]
    assert headline.index[0] == "tiny-trained (20261201-210459-1a2b3c4d)"
    assert headline.loc["NExT-GPT", "caption-image"] == pytest.approx(1.583)
    assert math.isnan(headline.loc["NExT-GPT", "dialogue"])
    groups = board.group_tables()
    assert list(groups) == list(GROUPS)
    captioning = groups["captioning"]
    assert captioning.columns.names == ["task", "metric"]
    assert ("caption-audio", "attribute_accuracy") in captioning.columns
    run = default_suite_run()
    expected = run.metrics[("caption-audio", "bleu4")].value
    assert captioning.loc["tiny-trained (20261201-210459-1a2b3c4d)", ("caption-audio", "bleu4")] == expected
    assert set(groups["text-to-x"].index) > {"SD-1.5", "AudioLDM-L"}
    assert "SD-1.5" not in set(groups["captioning"].index)
    ci = board.headline("ci_high")
    assert ci.iloc[0, 0] == board.long.query("task == 'caption-image' and metric == 'cider' and kind == 'run'")[
        "ci_high"].iloc[0]
    with pytest.raises(KeyError, match="'nope' is not a leaderboard column"):
        board.headline("nope")


def test_load_from_runs_files_and_stores(tmp_path: Path) -> None:
    import leaderboards
    from reports.errors import ReportInputError
    from reports.run_files import write_snapshot

    run = default_suite_run()
    long = leaderboards.load([run], include_paper=False)
    assert list(long.columns) == LONG_COLUMNS and long["kind"].eq("run").all()
    assert str(long["value"].dtype) == "float64" and str(long["n"].dtype) == "Int64"
    snapshot = write_snapshot(run, tmp_path / "run.json")
    from_file = leaderboards.load(str(snapshot), tasks=["t2i"])
    assert set(from_file["task"]) == {"t2i"} and (from_file["kind"] == "paper").any()
    pd.testing.assert_frame_equal(  # the same cells; the source is the file
        leaderboards.load(snapshot, include_paper=False).drop(columns="source"), long.drop(columns="source"))
    with pytest.raises(ReportInputError, match="no results store at"):
        leaderboards.load(tmp_path)
    with pytest.raises(ReportInputError, match="run ids pick runs of a results store"):
        leaderboards.load([run], runs=["x"])
    with pytest.raises(ReportInputError, match=r"tasks 't2z': unknown task\(s\) t2z"):
        leaderboards.load([run], tasks=["t2z"])
    with pytest.raises(ReportInputError, match="got int"):
        leaderboards.load([3])  # type: ignore[list-item]
    assert leaderboards.load_board([run]).headline().shape[1] == 10


def test_runs_left_out_of_a_store_are_a_warning_in_the_cli_and_the_api(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A failed run is left out of the board; both ways in name it as a warning, which --quiet keeps."""
    import leaderboards
    from benchmarks.store import ResultsStore
    from metrics.provenance import MetricResult, Provenance

    store = ResultsStore(tmp_path / "store")
    for fingerprint in ("complete", "failed"):
        run_id, _ = store.start_or_resume(fingerprint, {"preset": "tiny"}, {"tasks": ["t2a"]})
        store.save_scores(run_id, "t2a", [MetricResult("signal_rate", 0.5, Provenance(metric="signal_rate",
                                                                                       n_samples=2))], {})
        if fingerprint == "complete":
            store.finish_run(run_id)
        else:
            store.fail_run(run_id, "RuntimeError: decoder exploded")
            failed = run_id
    store.close()
    said = f"left out 1 run(s) that did not complete: {failed} (failed: RuntimeError: decoder exploded)"
    from benchmarks.cli import main

    assert main(["leaderboard", "--quiet", "--store", str(tmp_path / "store"), "--no-paper"]) == 0
    captured = capsys.readouterr()
    assert said in captured.err and "| t2a signal_rate ↑" in captured.out.replace("  ", " ")
    caplog.clear()
    with caplog.at_level("WARNING", logger="leaderboards"):
        assert len(leaderboards.load(tmp_path / "store", include_paper=False)) == 1
    assert [record.getMessage() for record in caplog.records if record.levelname == "WARNING"] == [said]


def test_importing_leaderboards_does_not_import_pandas() -> None:
    code = "import sys, leaderboards; print('pandas' in sys.modules, 'benchmarks.store' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_a_task_and_a_metric_this_process_does_not_know() -> None:
    """A plugin's run read without the plugin: its task goes to ``other`` with its first metric (by name) as the
    headline; its unregistered metric gets ``?`` for a direction instead of failing the board."""
    run = default_suite_run()
    plugin = RunData(run_id="plugin-run", info={"model": {"preset": "tiny"}, "settings": {}},
                     metrics={("plugin-task", "zeta_score"): stored_metric("plugin-task", "zeta_score", 0.5),
                              ("plugin-task", "signal_rate"): stored_metric("plugin-task", "signal_rate", 0.25)},
                     sample_scores={}, sample_ids={}, stage_timings={}, source="plugin")
    board = build_leaderboard([run, plugin], include_paper=False)
    rows = board.long[board.long["task"] == "plugin-task"]
    assert set(rows["group"]) == {"other"}
    assert rows.set_index("metric")["headline"].to_dict() == {"signal_rate": True, "zeta_score": False}
    text = board.to_markdown()
    assert text.splitlines().count("## other") == 1 and "plugin-task signal_rate ↑" in text
    assert "zeta_score ?" in text and "the metric is not registered in this process" in text
    assert list(board.group_tables()) == [*GROUPS, "other"]
    data = json.loads(board.to_json())
    assert data["groups"]["other"] == [{"task": "plugin-task", "metrics": [
        {"metric": "signal_rate", "higher_is_better": True}, {"metric": "zeta_score", "higher_is_better": None}]}]
    assert "plugin-task zeta_score ?" in board.wide().columns
