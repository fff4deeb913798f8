"""A selected task the model cannot do (t2a on an image-only pipeline) is skipped before the run with its reason:
in the summary, the JSON, the store (reopened, resumed) and the CLI's output -- never an error halfway, never
dropped.  A run of nothing is still refused, and ``--paper-model`` labels a run without changing its identity."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import torch
from PIL import Image

import benchmarks.store as store_module
from benchmarks.runner.runner import BenchmarkRunner, RunSettings, RunSummary
from benchmarks.store import SCHEMA_VERSION, ResultsStore
from nextgpt.core.errors import ConfigError, TaskError
from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.modalities import Modality
from nextgpt.core.requests import GenerationRequest, GenerationResult

AUDIO_REASON = "the task asks for audio output but the model writes text and image"
VIDEO_REASON = "the task asks for video output but the model writes text and image"


class PictureModel:
    """Not NExT-GPT: a text-to-image pipeline (text in; text and solid images out).  ``outputs`` widens what it
    claims to write without changing its fingerprint (a model whose capabilities its fingerprint does not cover);
    ``fail`` makes ``generate`` raise (a crash halfway through a run)."""

    device = torch.device("cpu")

    def __init__(self, outputs: frozenset[Modality] = frozenset({"image"}), *, fail: bool = False) -> None:
        self.capabilities = Capabilities(inputs=frozenset(), outputs=outputs)
        self.fail, self.generated = fail, 0

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        if self.fail:
            raise RuntimeError("the pipeline crashed")
        self.generated += len(requests)
        results = []
        for request in requests:
            result = GenerationResult(text=f"a picture of {request.text.lower()}")
            if "image" in request.want:
                result.images.append(Image.new("RGB", (32, 32), (30, 160, 90)))
            results.append(result)
        return results

    def fingerprint(self) -> str:
        return hashlib.sha256(b"picture model").hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": "picture-test", "source": "tests/benchmarks/test_capability_skips.py"}


@pytest.fixture(scope="module", autouse=True)
def private_dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def _run(model: PictureModel, store: ResultsStore, tasks: tuple[str, ...] = ("t2i", "t2a"),
         **runner: object) -> RunSummary:
    settings = RunSettings(tasks=tasks, limit=2, bootstrap=0, extractors="toy")
    return BenchmarkRunner(model, store, settings, progress=None, **runner).run()  # type: ignore[arg-type]


def test_a_task_the_model_cannot_do_is_skipped_with_its_reason(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    model = PictureModel()
    summary = _run(model, store, ("t2a", "t2i", "t2v"))
    assert list(summary.tasks) == ["t2i"] and summary.tasks["t2i"].n == 2
    assert summary.skipped == {"t2a": AUDIO_REASON, "t2v": VIDEO_REASON}
    assert list(summary.skipped) == ["t2a", "t2v"], "in the order the tasks were selected"
    assert model.generated == 2, "only the doable task was generated"
    data = json.loads(json.dumps(summary.to_json()))
    assert data["skipped"] == {"t2a": AUDIO_REASON, "t2v": VIDEO_REASON} and list(data["tasks"]) == ["t2i"]
    run = store.run(summary.run_id)
    assert run["status"] == "complete" and run["settings"]["tasks"] == ["t2a", "t2i", "t2v"]
    store.close()
    reopened = ResultsStore(tmp_path / "store")
    assert reopened.skipped_tasks(summary.run_id) == {"t2a": AUDIO_REASON, "t2v": VIDEO_REASON}
    assert {m.task for m in reopened.metric_values(summary.run_id)} == {"t2i"}


def test_a_run_without_skips_records_none_and_json_says_so(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    summary = _run(PictureModel(), store, ("t2i",))
    assert summary.skipped == {} and summary.to_json()["skipped"] == {}
    assert store.skipped_tasks(summary.run_id) == {}


def test_a_resumed_run_sees_the_same_skips(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(RuntimeError, match="the pipeline crashed"):
        _run(PictureModel(fail=True), store)
    (failed,) = store.runs()
    assert failed["status"] == "failed" and store.skipped_tasks(failed["run_id"]) == {"t2a": AUDIO_REASON}
    summary = _run(PictureModel(), store)
    assert (summary.run_id, summary.resumed) == (failed["run_id"], True)
    assert summary.skipped == store.skipped_tasks(summary.run_id) == {"t2a": AUDIO_REASON}
    assert store.run(summary.run_id)["status"] == "complete"


def test_a_model_that_can_do_more_does_not_resume_a_run_that_skipped_it(tmp_path: Path) -> None:
    """Same fingerprint, same settings, but the model now writes audio: the failed run that recorded t2a as
    skipped is not resumed (it would stay without t2a), a new run does t2a."""
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(RuntimeError):
        _run(PictureModel(fail=True), store)
    with pytest.raises(RuntimeError):  # the wider model crashes too: its run is its own
        _run(PictureModel(frozenset({"image", "audio"}), fail=True), store)
    runs = store.runs()
    assert len(runs) == 2 and runs[0]["run_id"] != runs[1]["run_id"]
    assert [store.skipped_tasks(run["run_id"]) for run in runs] == [{"t2a": AUDIO_REASON}, {}]


def test_a_run_of_nothing_is_refused_naming_every_reason(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(TaskError, match=rf"the model \(PictureModel\) can do none of the selected tasks; select "
                                        rf"tasks whose inputs it reads and whose output it writes:\n  t2v: "
                                        rf"{VIDEO_REASON}\n  t2a: {AUDIO_REASON}$"):
        _run(PictureModel(), store, ("t2v", "t2a"))
    assert store.runs() == [], "no run row is written for a run of nothing"


def test_description_extra_is_a_label_not_part_of_the_identity(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(RuntimeError):
        _run(PictureModel(fail=True), store)
    summary = _run(PictureModel(), store, description_extra={"paper_model": "SD-1.5"})
    assert summary.resumed, "a label changes no output: the same run resumes"
    run = store.run(summary.run_id)
    assert run["model"] == {**PictureModel().describe(), "paper_model": "SD-1.5"}, "the resuming command's label"
    with pytest.raises(ConfigError, match=r"description_extra would replace the model description's own "
                                          r"source='tests/benchmarks/test_capability_skips.py'"):
        BenchmarkRunner(PictureModel(), store, RunSettings(tasks=("t2i",)), progress=None,
                        description_extra={"source": "elsewhere"})


def test_skipped_tasks_must_have_reasons(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(store_module.StoreError, match=r"skipped tasks must map a task name to a non-empty reason, "
                                                      r"got 't2a': ' '"):
        store.start_or_resume("fp", {}, {"tasks": ["t2a"]}, skipped={"t2a": " "})
    assert store.runs() == []


def _as_schema_3(folder: Path) -> None:
    """Turn a current store into one written before skips were stored."""
    with sqlite3.connect(folder / "results.sqlite") as db:
        db.execute("DROP TABLE skipped_tasks")
        db.execute("UPDATE meta SET value='3' WHERE key='schema_version'")


def _read_only_connect(path: Path) -> sqlite3.Connection:
    """Root ignores file modes: SQLite opens the store read-only itself."""
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=1.0, isolation_level=None)


def test_a_schema_3_store_is_migrated_and_its_runs_skip_nothing(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    run_id, _ = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]})
    store.close()
    _as_schema_3(tmp_path)
    migrated = ResultsStore(tmp_path)
    assert migrated.skipped_tasks(run_id) == {} and migrated.run(run_id)["status"] == "running"
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    assert migrated.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]}) == (run_id, True), \
        "a run without skips keeps the identity it had before skips were stored"


def test_a_read_only_schema_3_store_is_read_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = _run(PictureModel(), ResultsStore(tmp_path), ("t2i",))
    _as_schema_3(tmp_path)
    os.chmod(tmp_path / "results.sqlite", 0o444)
    monkeypatch.setattr(store_module.sqlite_backend, "_connect", _read_only_connect)
    store = ResultsStore(tmp_path)
    assert store.skipped_tasks(summary.run_id) == {}
    assert {m.task for m in store.metric_values(summary.run_id)} == {"t2i"}
    with pytest.raises(store_module.StoreError, match=r"read-only \(and of schema 3"):
        store.require_writable()
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("3",)


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from benchmarks.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _picture_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.cli import model_commands

    monkeypatch.setattr(model_commands, "load_model_from_args", lambda args: PictureModel())


def test_cli_run_lists_skipped_tasks_and_stores_the_paper_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    _picture_model(monkeypatch)
    common = ["run", "--preset", "tiny", "--tasks", "t2a,t2i", "--limit", "2", "--bootstrap", "0", "--extractors",
              "toy", "--store", str(tmp_path / "store"), "--no-report"]
    code, out, err = _cli([*common, "--paper-model", "SD-1.5"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1] == f"  t2a            skipped: {AUDIO_REASON}", "in the order selected, with the reason"
    assert lines[2].startswith("  t2i            n=2 ")
    assert f"[t2a] skipped: {AUDIO_REASON}" in err
    store = ResultsStore(tmp_path / "store")
    (run,) = store.runs()
    assert run["model"]["paper_model"] == "SD-1.5"
    code, out, err = _cli([*common, "--json"], capsys)  # the run is complete: a new one, its outputs cached
    assert code == 0, err
    data = json.loads(out)
    assert data["skipped"] == {"t2a": AUDIO_REASON} and list(data["tasks"]) == ["t2i"]
    assert "paper_model" not in store.run(data["run_id"])["model"]


def test_cli_run_refuses_an_unknown_paper_model_before_the_model_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli import model_commands

    def no_model(args: object) -> None:
        raise AssertionError("the model was loaded although --paper-model is wrong")

    monkeypatch.setattr(model_commands, "load_model_from_args", no_model)
    code, _, err = _cli(["run", "--preset", "tiny", "--tasks", "t2i", "--limit", "2", "--store",
                         str(tmp_path / "store"), "--paper-model", "sd-1.5"], capsys)
    assert code == 2
    assert "--paper-model 'sd-1.5': not a model of the paper's rows in " in err
    assert "expected one of AudioLDM-L, CoDi, " in err and "SD-1.5" in err
    assert not (tmp_path / "store" / "results.sqlite").exists() or ResultsStore(tmp_path / "store").runs() == []


def test_cli_run_of_nothing_doable_exits_2_with_the_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _picture_model(monkeypatch)
    code, out, err = _cli(["run", "--preset", "tiny", "--tasks", "t2a", "--limit", "2", "--extractors", "toy",
                           "--store", str(tmp_path / "store"), "--no-report"], capsys)
    assert code == 2 and out == ""
    assert "can do none of the selected tasks" in err and f"t2a: {AUDIO_REASON}" in err


def test_a_model_that_holds_no_conversation_skips_the_dialogue_instead_of_failing_in_it() -> None:
    """A text-to-image pipeline or a captioner refuses a request with history: the dialogue must be skipped before
    the run, never fail halfway through a suite."""
    from benchmarks.datasets.samples import Dataset
    from benchmarks.runner.runner import capability_problems
    from benchmarks.tasks.task import get_task
    from nextgpt.core.interface import Capabilities

    dialogue = get_task("dialogue")
    empty = Dataset(name="none", root=Path("."), samples=(), source="no samples")
    single = Capabilities(inputs=frozenset(), outputs=frozenset({"image", "video", "audio"}), conversations=False)
    assert capability_problems(dialogue, empty, single) == [
        "the task is a conversation (turns with history, some of text alone) but the model answers single requests "
        "only"]
    talking = Capabilities(inputs=frozenset(), outputs=frozenset({"image", "video", "audio"}))
    assert capability_problems(dialogue, empty, talking) == []
    assert capability_problems(get_task("t2i"), empty, single) == []
