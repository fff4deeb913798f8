"""The NExT-GPT paper's numbers live in one place, benchmarks/tasks/paper_reference.json: every paper number the
HTML report and the leaderboard show comes from it (checked by swapping the file for one with made-up numbers),
and every row of it stands beside a metric a registered task declares, on that task's data family."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from report_helpers import cli

from benchmarks.tasks import paper
from nextgpt.core.errors import TaskError

#: a made-up number per row: none of them is a number the paper prints
SENTINEL_BASE = 9000
SHIPPED_FILE = paper.REFERENCE_FILE


def _shipped() -> dict[str, Any]:
    return json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def sentinel_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The shipped file with every printed number replaced by SENTINEL_BASE + row index (factor 1), installed
    as the one reference file."""
    data = _shipped()
    for index, row in enumerate(data["rows"]):
        row["printed"], row["factor"] = SENTINEL_BASE + index, 1
    path = tmp_path / "paper_reference.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(paper, "REFERENCE_FILE", path)
    return data


def test_shipped_rows_are_data_with_their_source() -> None:
    reference = paper.load_reference()
    assert len(reference.rows) == len(_shipped()["rows"])
    assert all(row.source.startswith("NExT-GPT paper v3, ") for row in reference.rows)
    by_key = {(r.model, r.task, r.metric): r for r in reference.rows}
    assert by_key[("NExT-GPT", "t2i", "fid")].value == 10.07
    assert by_key[("SD-1.5", "t2i", "fid")].value == 11.21
    assert by_key[("NExT-GPT", "t2a", "fad")].value == 1.68
    assert by_key[("NExT-GPT", "caption-image", "cider")].value == pytest.approx(1.583)  # printed 158.3
    assert by_key[("NExT-GPT", "edit-video", "clip_t")].value == pytest.approx(26.84)  # printed 0.2684
    assert by_key[("NExT-GPT zero-shot", "t2v", "fid")].printed == 12.69
    assert {"SD-1.5", "CoDi", "AudioLDM-L", "GILL-8B", "Emu-13B", "UIO-2XXL", "NExT-GPT"} <= {
        r.model for r in reference.rows}


def test_tasks_hold_no_paper_numbers_of_their_own() -> None:
    from benchmarks.tasks import Task, registered_tasks

    assert "paper" not in Task.__dataclass_fields__
    assert registered_tasks(), "the shipped tasks are registered"


def test_leaderboard_paper_rows_come_from_the_file(sentinel_reference: dict[str, Any], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from leaderboards.board import build_leaderboard

    expected = {(r["model"], r["task"], r["metric"], float(SENTINEL_BASE + i))
                for i, r in enumerate(sentinel_reference["rows"])}
    long = build_leaderboard([], include_paper=True).long
    shown = {(r.model, r.task, r.metric, float(r.value)) for r in long.itertuples() if r.kind == "paper"}
    assert shown == expected

    code, text, _ = cli(["leaderboard", "--store", str(tmp_path / "none"), "--format", "csv"], capsys)
    assert code == 0
    values = {float(row["value"]) for row in csv.DictReader(io.StringIO(text))}
    assert values == {value for *_, value in expected}


def test_report_paper_numbers_come_from_the_file(sentinel_reference: dict[str, Any], tmp_path: Path) -> None:
    from benchmarks.store import ResultsStore
    from metrics.provenance import MetricResult, Provenance
    from reports.run_report import render_run_report

    store = ResultsStore(tmp_path / "store")
    run_id, _ = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2v"], "extractors": "toy", "limit": 2})
    toy = Provenance(metric="fid", extractor="toy", extractor_canonical=False, n_samples=8)
    store.save_scores(run_id, "t2v", [MetricResult("fid", 40.0, toy),
                                      MetricResult("clipsim", 21.0, Provenance(metric="clipsim", n_samples=2))], {})
    store.finish_run(run_id)
    text = render_run_report(store, run_id, tmp_path / "report").read_text(encoding="utf-8")

    rows = {(r["model"], r["metric"]): SENTINEL_BASE + i for i, r in enumerate(sentinel_reference["rows"])
            if r["task"] == "t2v"}
    assert "<td>fid[toy]</td><td>↓</td>" in text and "<td>clipsim</td><td>↑</td>" in text, "registry directions"
    for number in (rows[("NExT-GPT", "clipsim")], rows[("NExT-GPT zero-shot", "fid")]):
        assert f"{number}" in text
    for row in _shipped()["rows"]:
        if row["task"] == "t2v":
            assert f"{row['printed']:g}" not in text, f"{row['printed']} shown, not from the reference file"


def _broken(tmp_path: Path, change: dict[str, Any]) -> Path:
    data = _shipped()
    data["rows"][0].update(change)
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, message", [
    ({"metric": "bleu9"}, "rows[0]: task t2i does not declare metric 'bleu9' (its metrics: fid, clip_score"),
    ({"task": "t2x"}, "rows[0]: unknown task 't2x'"),
    ({"dataset": "MSR-VTT"}, "rows[0]: dataset 'MSR-VTT' is of family 'video-captions', task t2i reads "
                             "'image-captions'"),
    ({"dataset": "ImageNet"}, "rows[0]: dataset 'ImageNet' is not one of \"datasets\""),
    ({"printed": "11.2"}, "rows[0]: field 'printed' must be a number, got '11.2'"),
])
def test_a_row_beside_no_declared_metric_is_refused(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = _broken(tmp_path, change)
    with pytest.raises(TaskError) as caught:
        paper.load_reference(path)
    assert str(path) in str(caught.value) and message in str(caught.value), str(caught.value)


def test_a_row_without_a_field_is_refused(tmp_path: Path) -> None:
    data = _shipped()
    del data["rows"][2]["where"]
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TaskError, match=r"reference\.json: rows\[2\]: missing field\(s\) where"):
        paper.load_reference(path)
