"""Issue 12 (harness): bad settings and datasets stop ``run`` before the model loads and before a run row is
written; a run that raises is stored as ``failed`` with its error, shown so by report and leaderboard, and
resumed by the same command."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from nextgpt.core.errors import TaskError


@pytest.fixture(autouse=True)
def private_dataset_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path_factory.getbasetemp() / "dataset-cache"))


class ModelLoaded(AssertionError):
    """Raised instead of loading a model: the command should have stopped before."""


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.cli import model_commands

    def refuse(args: Any) -> None:
        raise ModelLoaded("the model was loaded before the input was checked")

    monkeypatch.setattr(model_commands, "load_model_from_args", refuse)


def _runs(store: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(store / "results.sqlite") as db:
        return db.execute("SELECT run_id, status FROM runs ORDER BY created").fetchall()


def _existing_store(folder: Path) -> list[tuple[str, str]]:
    store = ResultsStore(folder)
    run_id, _ = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]})
    store.finish_run(run_id)
    store.close()
    return _runs(folder)


def _binary_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return path


@pytest.mark.parametrize("task, family, kind, expected", [
    ("caption-image", "image-captions", "coco", "expected a COCO captions JSON annotation file"),
    ("caption-audio", "audio-captions", "audiocaps", "expected an AudioCaps split CSV file"),
    ("caption-video", "video-captions", "msrvtt", "expected an MSR-VTT JSON annotation file"),
])
def test_binary_annotation_file_exits_2_before_model_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              no_model: None, task: str, family: str, kind: str,
                                                              expected: str) -> None:
    from benchmarks.cli import main

    image = _binary_file(tmp_path / "images" / "0.png")
    before = _existing_store(tmp_path / "store")
    code = main(["run", "--tasks", task, "--dataset", f"{family}={kind}:{image}:{tmp_path / 'images'}",
                 "--store", str(tmp_path / "store"), "--extractors", "toy"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{image} is not UTF-8 text" in err and expected in err, err
    assert _runs(tmp_path / "store") == before  # no orphan "running" row


def test_dataset_errors_leave_no_store_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              no_model: None) -> None:
    from benchmarks.cli import main

    code = main(["run", "--tasks", "t2i", "--dataset", f"image-captions=manifest:{tmp_path / 'missing.jsonl'}",
                 "--store", str(tmp_path / "store"), "--extractors", "toy"])
    assert code == 2 and "missing.jsonl does not exist" in capsys.readouterr().err
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("argv, message", [
    (["run", "--bootstrap", "-5"], "argument --bootstrap: expected 0 (no interval) or an integer >= 2, got '-5'"),
    (["run", "--bootstrap", "1"], "argument --bootstrap: expected 0 (no interval) or an integer >= 2, got '1'"),
    (["run", "--limit", "0"], "argument --limit: expected an integer >= 1, got '0'"),
    (["run", "--batch-size", "-2"], "argument --batch-size: expected an integer >= 1, got '-2'"),
    (["report", "r", "--max-samples", "-1"], "argument --max-samples: expected an integer >= 0, got '-1'"),
    (["compare", "a", "b", "--bootstrap", "1"], "argument --bootstrap: expected an integer >= 2, got '1'"),
    (["compare", "a", "b", "--seed", "-3"], "argument --seed: expected an integer >= 0, got '-3'"),
    (["compare", "a", "b", "--set-groups", "x"], "argument --set-groups: expected 0 (no interval) or an "
                                                 "integer >= 3, got 'x'"),
    (["gate", "a", "--bootstrap", "0"], "argument --bootstrap: expected an integer >= 2, got '0'"),
    (["gate", "a", "--set-groups", "2"], "argument --set-groups: expected 0 (no interval) or an integer "
                                         ">= 3, got '2'"),
])
def test_numeric_options_are_checked_while_parsing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   no_model: None, argv: list[str], message: str) -> None:
    from benchmarks.cli import main

    with pytest.raises(SystemExit) as exited:
        main([*argv, "--store", str(tmp_path / "store")])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "store").exists()


def _exit_code(argv: list[str]) -> int:
    """``main``'s status: returned (NextGPTError) or raised by argparse (a bad option value)."""
    from benchmarks.cli import main

    try:
        return main(argv)
    except SystemExit as exited:
        return int(exited.code or 0)


@pytest.mark.parametrize("argv, message", [
    (["--seed", "-1"], "--seed"),  # the model flags are nextgpt's: checked by its argparse types or by run
    (["--max-new-tokens", "0"], "--max-new-tokens"),
    (["--steps", "-4"], "--steps"),
    (["--tasks", "caption-image", "--dataset", "audio-captions=synthetic"],
     "dataset audio-captions=synthetic would be ignored: no selected task reads that family"),
    (["--dataset", "image-captions=synthetic", "--dataset", "image-captions=synthetic"],
     "the family image-captions is already given"),
    (["--tasks", "caption-audio", "--dataset", "audio-captions=coco:a.json:images"],
     "coco is a layout of image-captions, not of audio-captions"),
])
def test_run_settings_are_checked_before_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   no_model: None, argv: list[str], message: str) -> None:
    assert _exit_code(["run", *argv, "--store", str(tmp_path / "store"), "--extractors", "toy"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("settings, message", [
    ({"bootstrap": 1}, "bootstrap must be 0 (no intervals) or >= 2 resamples, got 1"),
    ({"limit": 0}, "limit must be a positive number of samples per task, got 0"),
    ({"seed": -1}, "seed must be >= 0"),
    ({"extractors": "fancy"}, "extractors must be one of canonical, toy, got 'fancy'"),
    ({"tasks": ()}, "no task to run"),
])
def test_run_settings_validate_themselves(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(TaskError, match="run settings: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        RunSettings(**{"tasks": ("t2i",), **settings})


# ------------------------------------------------------------------------------------------- failed runs
@pytest.fixture(scope="module")
def model() -> Any:
    from nextgpt.model.building import build_model
    from nextgpt.model.presets import tiny

    return build_model(tiny())


class BrokenModel:
    """The model, whose generate raises (a failure in the middle of a run)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def generate(self, request: Any) -> Any:
        raise RuntimeError("decoder exploded")


def test_failed_run_is_stored_shown_and_resumed(model: Any, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli import main
    from reports.run_report import render_run_report

    os.environ.setdefault("NEXTGPT_BENCH_CACHE", str(tmp_path / "cache"))
    settings = RunSettings(tasks=("caption-audio",), limit=2, bootstrap=0, extractors="toy")
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(RuntimeError, match="decoder exploded"):
        BenchmarkRunner(BrokenModel(model), store, settings, progress=None).run()
    (run_id, status), = _runs(tmp_path / "store")
    assert status == "failed"
    assert store.run(run_id)["error"] == "RuntimeError: decoder exploded"

    page = render_run_report(store, run_id, tmp_path / "report").read_text()
    assert "failed" in page and "RuntimeError: decoder exploded" in page
    assert main(["leaderboard", "--store", str(tmp_path / "store"), "--no-paper"]) == 0
    err = capsys.readouterr().err
    assert f"left out 1 run(s) that did not complete: {run_id} (failed: RuntimeError: decoder exploded)" in err

    summary = BenchmarkRunner(model, store, settings, progress=None).run()  # the same command again
    assert (summary.run_id, summary.resumed) == (run_id, True)
    assert _runs(tmp_path / "store") == [(run_id, "complete")]
    assert store.run(run_id)["error"] is None and summary.tasks["caption-audio"].n == 2
    assert json.loads(json.dumps(summary.to_json()))["run_id"] == run_id
