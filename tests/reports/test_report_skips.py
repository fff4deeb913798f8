"""A task the run skipped (the model cannot do it) is shown as "skipped: REASON" wherever the report lists the
tasks, survives a snapshot, and is present in one run only for compare and gate; a store written before skips
were stored still renders."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from report_helpers import cli

from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.modalities import Modality
from nextgpt.core.requests import GenerationRequest, GenerationResult

AUDIO_REASON = "the task asks for audio output but the model writes text and image"
TASKS = ("t2i", "t2a")


class SolidMediaModel:
    """Not NExT-GPT: answers with solid images and, when it writes audio, a sine tone."""

    device = torch.device("cpu")

    def __init__(self, outputs: frozenset[Modality]) -> None:
        self.capabilities = Capabilities(inputs=frozenset(), outputs=outputs)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        results = []
        for request in requests:
            result = GenerationResult(text=f"as asked: {request.text.lower()}")
            if "image" in request.want:
                result.images.append(Image.new("RGB", (32, 32), (200, 40, 40)))
            if "audio" in request.want:
                seconds = np.arange(16000, dtype=np.float32) / 16000
                result.audios.append((0.5 * np.sin(2 * np.pi * 440.0 * seconds)).astype(np.float32))
            results.append(result)
        return results

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(sorted(self.capabilities.outputs)).encode()).hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": "solid-media", "source": "tests/solid-media", "outputs": sorted(self.capabilities.outputs)}


@dataclass(frozen=True)
class SkipRuns:
    store_dir: Path
    #: image and audio: ran both tasks
    full: str
    #: image only: skipped t2a
    picture: str


def _run(model: SolidMediaModel, store: object, tasks: tuple[str, ...] = TASKS, **runner: object) -> str:
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings

    settings = RunSettings(tasks=tasks, limit=2, bootstrap=20, extractors="toy")
    return BenchmarkRunner(model, store, settings, progress=None,  # type: ignore[arg-type]
                           **runner).run().run_id  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def skip_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SkipRuns]:
    from benchmarks.store import ResultsStore

    root = tmp_path_factory.mktemp("skip-runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEXTGPT_BENCH_CACHE", str(root / "cache"))
        store = ResultsStore(root / "store")
        full = _run(SolidMediaModel(frozenset({"image", "audio"})), store)
        picture = _run(SolidMediaModel(frozenset({"image"})), store, description_extra={"paper_model": "SD-1.5"})
        store.close()
        yield SkipRuns(root / "store", full, picture)


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(f"<h2 id=\"{start}\">"):page.index(f"<h2 id=\"{end}\">")]


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _report(skip_runs: SkipRuns, run: str, out: Path, capsys: pytest.CaptureFixture[str],
            store: Path | None = None) -> str:
    code, stdout, stderr = cli(["report", run, "--store", str(store or skip_runs.store_dir), "--out", str(out)],
                               capsys)
    assert code == 0, stderr
    return Path(stdout.strip()).read_text(encoding="utf-8")


def test_a_skipped_task_is_listed_with_its_reason_wherever_the_report_lists_tasks(
        skip_runs: SkipRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = _report(skip_runs, skip_runs.picture, tmp_path / "report", capsys)
    shown = f"skipped: {AUDIO_REASON}"
    header = page[:page.index("<h2 id=\"overview\">")]
    assert "1 task(s), 1 skipped" in _text(header)
    assert "solid-media solid-media, paper row SD-1.5" in _text(header), "the adapter, its source, the paper row"
    overview = _text(_section(page, "overview", "samples"))
    assert f"t2a{shown}" in overview, "the skipped task has its own overview row"
    assert "Not scored" not in overview, "a skipped task is not an unfinished one"
    assert overview.index("t2i") < overview.index("t2a"), "in task order, within its group"
    for section, end in (("samples", "run"), ("run", "metrics"), ("metrics", "plots")):
        assert shown in _text(_section(page, section, end)), section


def test_a_run_that_names_its_paper_row_is_set_beside_that_row(skip_runs: SkipRuns, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    labelled = _report(skip_runs, skip_runs.picture, tmp_path / "labelled", capsys)
    overview = _section(labelled, "overview", "samples")
    assert "for SD-1.5 (the paper row this run names)" in overview
    assert "SD-1.5; printed 11.21" in overview and "printed 10.07" not in overview
    assert "(SD-1.5; printed 11.21;" in _section(labelled, "metrics", "plots")
    plain = _section(_report(skip_runs, skip_runs.full, tmp_path / "plain", capsys), "overview", "samples")
    assert "NExT-GPT; printed 10.07" in plain and "SD-1.5" not in plain, "without a label: NExT-GPT's own row"


def test_a_run_without_skips_says_none(skip_runs: SkipRuns, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    page = _report(skip_runs, skip_runs.full, tmp_path / "report", capsys)
    assert "skipped:" not in page
    assert "skipped tasksnone" in _text(_section(page, "run", "metrics"))


def test_the_overview_places_a_skipped_task_in_its_group() -> None:
    from benchmarks.store import StoredMetric
    from metrics.provenance import MetricResult, Provenance
    from reports.overview import SkippedTask, build_overview
    from reports.rundata import RunData

    record = StoredMetric("t2i", MetricResult("fid", 10.0, Provenance(metric="fid", n_samples=4)), 4)
    run = RunData("run-1", {"settings": {"tasks": ["t2i", "caption-video", "t2v"]}}, {("t2i", "fid"): record},
                  {}, {}, {}, "test", skipped={"caption-video": "the task gives the model video input; ..."})
    overview = build_overview(run, "none")
    assert overview.skipped == [SkippedTask("caption-video", "captioning", "the task gives the model video input; ...")]
    assert overview.unscored == ["t2v"], "a selected task neither scored nor skipped is still unscored"
    assert [entry.task for entry in overview.task_order()] == ["caption-video", "t2i"], "captioning comes first"


def test_a_store_written_before_skips_were_stored_still_renders(
        skip_runs: SkipRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.store import ResultsStore

    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path / "cache"))
    run = _run(SolidMediaModel(frozenset({"image"})), ResultsStore(tmp_path / "store"), ("t2i",))
    with sqlite3.connect(tmp_path / "store" / "results.sqlite") as db:
        db.execute("DROP TABLE skipped_tasks")
        db.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    page = _report(skip_runs, run, tmp_path / "report", capsys, store=tmp_path / "store")
    assert "skipped:" not in page and "t2i" in _text(_section(page, "overview", "samples"))


def test_a_snapshot_keeps_the_skipped_tasks(skip_runs: SkipRuns, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from reports.errors import ReportInputError
    from reports.run_files import load_file

    path = tmp_path / "picture.json"
    assert cli(["gate", skip_runs.picture, "--store", str(skip_runs.store_dir), "--write-baseline", str(path)],
               capsys)[0] == 0
    assert load_file(path).skipped == {"t2a": AUDIO_REASON}
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["skipped"]  # a snapshot written before skips were stored
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_file(path).skipped == {}
    data["skipped"] = {"t2a": 3}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReportInputError, match=r"picture.json: skipped.t2a: expected the reason the task was "
                                               r"skipped \(a string\), got int"):
        load_file(path)


def test_compare_reports_a_task_one_run_skipped_as_present_in_one_run_only(
        skip_runs: SkipRuns, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(["compare", skip_runs.full, skip_runs.picture, "--store", str(skip_runs.store_dir),
                          "--bootstrap", "50", "--set-groups", "0"], capsys)
    assert code == 0, err
    assert re.search(r"not shared: .*t2a/fad \(only A\)", out)
    code, out, err = cli(["compare", skip_runs.full, skip_runs.picture, "--store", str(skip_runs.store_dir),
                          "--bootstrap", "50", "--set-groups", "0", "--json"], capsys)
    assert code == 0, err
    assert {row["task"] for row in json.loads(out)["rows"]} == {"t2i"}


def test_gate_fails_a_task_the_current_run_skipped_and_says_why(
        skip_runs: SkipRuns, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(["gate", skip_runs.picture, "--baseline", skip_runs.full, "--store",
                          str(skip_runs.store_dir), "--bootstrap", "50", "--set-groups", "0", "--json"], capsys)
    assert code == 1, err
    failures = [row for row in json.loads(out)["rows"] if not row["passed"]]
    assert failures and {row["task"] for row in failures} == {"t2a"}
    assert all(row["reason"] == f"missing from the current run: it skipped t2a ({AUDIO_REASON})"
               for row in failures)
