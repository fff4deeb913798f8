"""Measured baselines on the leaderboard: a run of a model the paper prints (``paper_model`` in its stored model
description, as ``run --paper-model`` writes it) is labelled as that model, sits right after the paper's row of
the model in every table and format, and is marked (†, with the reason) where its protocol is not the paper's.
Runs are built as RunData (no model); the CLI check writes them into a real results store."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from leaderboard_runs import SAMPLES, default_suite_run, stored_metric
from report_helpers import cli

from benchmarks.store import ResultsStore, StoredMetric
from leaderboards.board import LONG_COLUMNS, Leaderboard, build_leaderboard
from leaderboards.sections import MARK
from metrics.defaults import DEFAULT_IMAGE_RESIZE
from metrics.provenance import ConfidenceInterval, MetricResult, Provenance
from reports.compare_labels import board_label, measured_model_of
from reports.rundata import RunData

SD_FOLDER = "/weights/stable-diffusion-v1-5"


def adapter_description(source: str = SD_FOLDER, paper_model: str | None = "SD-1.5",
                        adapter: str = "diffusers-text-to-image") -> dict[str, Any]:
    """An adapter's stored description (describe(): "adapter", "source", its settings), with ``paper_model``
    where the run was made with ``--paper-model``."""
    description: dict[str, Any] = {"adapter": adapter, "source": source, "num_inference_steps": 50,
                                   "guidance_scale": 7.5, "folder_sha256": "ab" * 32}
    if paper_model:
        description["paper_model"] = paper_model
    return description


def fid_metric(task: str, value: float, *, canonical: bool, metric: str = "fid") -> StoredMetric:
    """A set metric scored with the toy network, or with the paper's network and resize."""
    extractor = ("inception-2015-12-05" if metric == "fid" else "vggish") if canonical else "toy"
    provenance = Provenance(metric=metric, n_samples=SAMPLES, seed=0, extractor=extractor,
                            extractor_canonical=canonical, resize=DEFAULT_IMAGE_RESIZE if canonical else None)
    interval = ConfidenceInterval(value * 0.9, value * 1.1, 0.95, 200, 0)
    return StoredMetric(task, MetricResult(metric, value, provenance, interval), SAMPLES)


def measured_run(run_id: str, description: dict[str, Any], *, task: str = "t2i", fid: float = 312.0,
                 canonical: bool = False, data: dict[str, str] | None = None) -> RunData:
    """A text-to-X run of an adapter: its headline set metric and signal_rate (scored as the tiny run's, on the
    same samples, so only the paper columns can mark it)."""
    metric = "fad" if task == "t2a" else "fid"
    metrics = {(task, metric): fid_metric(task, fid, canonical=canonical, metric=metric),
               (task, "signal_rate"): stored_metric(task, "signal_rate", 1.0)}
    info = {"model": description, "model_fingerprint": f"fingerprint-{run_id}",
            "settings": {"tasks": [task], "seed": 0, "extractors": "canonical" if canonical else "toy",
                         "bootstrap": 200, "data": data or {}}}
    return RunData(run_id=run_id, info=info, metrics=metrics, sample_scores={},
                   sample_ids={task: frozenset(f"s{i}" for i in range(SAMPLES))}, stage_timings={},
                   source="synthetic")


TINY = default_suite_run()
SD_TOY = measured_run("20261203-090000-aaaa0001", adapter_description())
#: SD-1.5 measured as the paper measured it: COCO captions, the real Inception at its canonical resize
SD_COCO = measured_run("20261203-090000-aaaa0002", adapter_description(), fid=11.9, canonical=True,
                       data={"image-captions": "coco:/data/coco"})
#: a diffusers folder run without --paper-model: an ordinary run, named by its folder and adapter
PLAIN = measured_run("20261203-090000-aaaa0003", adapter_description("/weights/my-sd", paper_model=None))
AUDIOLDM = measured_run("20261203-090000-aaaa0004", adapter_description(
    "/weights/audioldm-l", paper_model="AudioLDM-L", adapter="diffusers-text-to-audio"), task="t2a", fid=9.5)


@pytest.fixture(scope="module")
def board() -> Leaderboard:
    return build_leaderboard([TINY, SD_TOY, PLAIN, SD_COCO, AUDIOLDM], tasks=["t2i", "t2a"])


def table_rows(markdown: str, heading: str) -> list[str]:
    """The row labels of the first pipe table after the line ``heading``."""
    lines = markdown.splitlines()
    start = lines.index(heading)
    rows: list[str] = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append(line.strip("|").split("|")[0].strip())
        elif rows:
            break
    return rows[2:]  # the header and the rule


def labels_of(*runs: RunData) -> list[str]:
    return [board_label(run) for run in runs]


def test_a_measured_run_is_named_as_the_paper_model_and_an_adapter_run_by_its_folder() -> None:
    assert board_label(SD_TOY) == f"SD-1.5 (measured: {SD_TOY.run_id})"
    assert board_label(PLAIN) == f"my-sd [diffusers-text-to-image] ({PLAIN.run_id})"
    assert board_label(TINY) == f"tiny-trained ({TINY.run_id})", "NExT-GPT runs keep their label"
    cascade = measured_model_of({"adapter": "cascade", "source": "/baselines/tiny-cascade/model.json"})
    assert cascade.short_source == "tiny-cascade", "a config file is named by its folder, not 'model.json'"
    assert measured_model_of(None).describe() == "model not recorded"
    assert measured_model_of({"paper_model": "SD-1.5", "adapter": "diffusers-text-to-image", "source": SD_FOLDER}
                             ).describe() == f"SD-1.5 (diffusers-text-to-image: {SD_FOLDER})"


def test_measured_rows_come_right_after_their_paper_row_in_the_markdown_tables(board: Leaderboard) -> None:
    text = board.to_markdown()
    sd_toy, plain, sd_coco, audioldm = labels_of(SD_TOY, PLAIN, SD_COCO, AUDIOLDM)
    headline = table_rows(text, "## Headline: one metric per task")
    # runs of no paper model first, in the order given; then each paper row with the runs measured as it
    assert headline[:2] == [f"tiny-trained ({TINY.run_id})", plain]
    assert headline[headline.index("SD-1.5"):headline.index("SD-1.5") + 3] == ["SD-1.5", sd_toy, sd_coco]
    assert headline[headline.index("AudioLDM-L") + 1] == audioldm
    assert {sd_toy, sd_coco, audioldm} <= set(headline) and len(headline) == len(set(headline))
    t2i = table_rows(text, "### t2i") if "### t2i" in text else table_rows(text, "## text-to-x")
    assert t2i[t2i.index("SD-1.5") + 1:t2i.index("SD-1.5") + 3] == [sd_toy, sd_coco]


def test_the_mark_says_where_the_measured_protocol_is_not_the_papers(board: Leaderboard) -> None:
    cells = board.long.set_index(["model", "task", "metric"])
    toy = cells.loc[(board_label(SD_TOY), "t2i", "fid")]
    assert not toy["comparable"]
    assert toy["note"] == "not comparable with the paper's SD-1.5 row: extractor 'toy' is not the canonical network"
    coco = cells.loc[(board_label(SD_COCO), "t2i", "fid")]
    assert coco["comparable"] and coco["note"] == "", "the paper's protocol: shown beside 11.21 unmarked"
    assert cells.loc[("SD-1.5", "t2i", "fid")]["value"] == pytest.approx(11.21)
    plain = cells.loc[(board_label(PLAIN), "t2i", "fid")]
    assert plain["note"].startswith("not comparable with the paper rows: extractor 'toy'")
    text = board.to_markdown().replace("\n  ", " ")
    assert f"{MARK} {board_label(SD_TOY)}: t2i fid: not comparable with the paper's SD-1.5 row" in text
    coco_notes = [line for line in text.splitlines() if line.startswith(f"- {MARK} {board_label(SD_COCO)}")]
    assert coco_notes == [f"- {MARK} {board_label(SD_COCO)}: t2i signal_rate: not comparable with {TINY.run_id}: "
                          "dataset for image-captions differs ('synthetic' vs 'coco:/data/coco')"], \
        "its FID is unmarked; a column the paper does not print is held to the first run, on other data here"
    headline = next(line for line in text.splitlines() if line.startswith(f"| {board_label(SD_COCO)}"))
    assert "11.9 [10.7, 13.1]" in headline and MARK not in headline
    assert "Measured rows" in text, "the legend says what a measured row is"


def test_a_paper_model_missing_from_the_board_leaves_its_run_with_the_runs() -> None:
    unknown = measured_run("20261203-090000-aaaa0005", adapter_description(paper_model="SD-2.1"))
    board = build_leaderboard([TINY, unknown, SD_TOY], tasks=["t2i"])
    headline = table_rows(board.to_markdown(), "## Headline: one metric per task")
    assert headline[:2] == [f"tiny-trained ({TINY.run_id})", board_label(unknown)]
    assert headline[headline.index("SD-1.5") + 1] == board_label(SD_TOY)
    cell = board.long.set_index(["model", "task", "metric"]).loc[(board_label(unknown), "t2i", "fid")]
    assert cell["note"].startswith("not comparable with the paper rows:"), "held to the column's paper rows"
    alone = build_leaderboard([TINY, SD_TOY], tasks=["t2i"], include_paper=False)
    assert table_rows(alone.to_markdown(), "## Headline: one metric per task") == labels_of(TINY, SD_TOY)


def test_wide_csv_json_and_html_keep_the_same_order(board: Leaderboard) -> None:
    sd_toy, sd_coco = labels_of(SD_TOY, SD_COCO)
    wide = list(board.wide().index)
    assert wide[wide.index("SD-1.5") + 1:wide.index("SD-1.5") + 3] == [sd_toy, sd_coco]
    assert f"- {MARK} {sd_toy} / t2i fid: not comparable with the paper's SD-1.5 row" in board.to_markdown(wide=True)

    rows = list(csv.DictReader(io.StringIO(board.to_csv())))
    assert list(rows[0]) == LONG_COLUMNS and LONG_COLUMNS[-1] == "paper_model"
    by_model = {row["model"]: row for row in rows if row["task"] == "t2i" and row["metric"] == "fid"}
    assert by_model[sd_toy]["kind"] == "run" and by_model[sd_toy]["paper_model"] == "SD-1.5"
    assert by_model["SD-1.5"]["kind"] == "paper" and by_model["SD-1.5"]["paper_model"] == "SD-1.5"
    assert by_model[board_label(PLAIN)]["paper_model"] == "" and by_model[board_label(TINY)]["paper_model"] == ""

    data = json.loads(board.to_json())
    order = [model["model"] for model in data["models"]]
    assert order[order.index("SD-1.5") + 1:order.index("SD-1.5") + 3] == [sd_toy, sd_coco]
    measured = [row for row in data["rows"] if row["model"] == sd_toy and row["metric"] == "fid"]
    assert measured[0]["paper_model"] == "SD-1.5" and measured[0]["comparable"] is False
    assert all(row["paper_model"] is None for row in data["rows"] if row["run_id"] == TINY.run_id)

    for html in (board.to_html(), board.to_html(wide=True)):
        found = [label for label in re.findall(r"<tr>\s*<t[dh]>([^<]*)</t[dh]>", html)
                 if label in ("SD-1.5", sd_toy, sd_coco, "CoDi")]
        start = found.index("SD-1.5")
        assert found[start:start + 3] == ["SD-1.5", sd_toy, sd_coco], found


def test_the_leaderboard_command_reads_the_measured_run_from_a_store(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``paper_model`` travels in the stored model description: the CLI board of a store shows the run measured
    as SD-1.5 right after the paper's SD-1.5."""
    store = ResultsStore(tmp_path / "store")
    for run in (PLAIN, SD_TOY):
        run_id, _ = store.start_or_resume(run.info["model_fingerprint"], run.info["model"], run.settings)
        store.save_scores(run_id, "t2i", [record.result for record in run.metrics.values()], {})
        store.finish_run(run_id)
    store.close()
    code, out, _ = cli(["leaderboard", "--store", str(tmp_path / "store"), "--tasks", "t2i"], capsys)
    assert code == 0
    headline = table_rows(out, "## Headline: one metric per task")
    measured = next(label for label in headline if label.startswith("SD-1.5 (measured: "))
    assert headline[headline.index("SD-1.5") + 1] == measured
    assert headline[0].startswith("my-sd [diffusers-text-to-image] (")
    assert f"{MARK} {measured}: t2i fid: not comparable with the paper's SD-1.5 row" in out.replace("\n  ", " ")
