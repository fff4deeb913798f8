"""``nextgpt-bench run --model KIND:PATH`` at the command line, on a tiny saved Stable Diffusion folder: the run
records the adapter and the folder's content hash, the generation cache keys on that hash (changing any file of
the folder invalidates it), and a bad choice fails with exit status 2 before any data is drawn."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cli import baseline_commands, main
from benchmarks.runner.runner import BenchmarkRunner, RunSummary
from benchmarks.store import ResultsStore
from nextgpt.adapters.registry import check_adapter, parse_model_argument
from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

#: two samples of t2i, toy feature networks, no intervals, no report (with two diffusion steps: a few seconds a run)
QUICK_WITHOUT_STEPS = ["--tasks", "t2i", "--limit", "2", "--bootstrap", "0", "--no-report", "--extractors", "toy"]
QUICK = [*QUICK_WITHOUT_STEPS, "--steps", "2"]


@pytest.fixture(scope="module")
def saved_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_pipeline("image", tmp_path_factory.mktemp("tiny-sd") / "pipeline")


@pytest.fixture
def pipeline(saved_pipeline: Path, tmp_path: Path) -> Path:
    """A copy each test may change."""
    return Path(shutil.copytree(saved_pipeline, tmp_path / "sd"))


@pytest.fixture
def summaries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[RunSummary]]:
    """The summary of every run the CLI makes: its generated and cached request counts per task."""
    seen: list[RunSummary] = []
    original = BenchmarkRunner.run

    def recording(self: BenchmarkRunner) -> RunSummary:
        summary = original(self)
        seen.append(summary)
        return summary

    monkeypatch.setattr(BenchmarkRunner, "run", recording)
    yield seen


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _counts(summary: RunSummary) -> tuple[int, int]:
    task = summary.tasks["t2i"]
    return task.generated, task.cached


def _stored_run(store: Path, run_id: str) -> dict[str, Any]:
    return ResultsStore(store).run(run_id)


@pytest.mark.slow
def test_a_saved_pipeline_runs_and_its_folder_content_keys_the_cache(pipeline: Path, tmp_path: Path,
                                                                     summaries: list[RunSummary],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    command = ["run", "--model", f"diffusers:{pipeline}", *QUICK, "--store", str(store), "--json"]
    code, out, err = run_cli(command, capsys)
    assert code == 0, err
    first = json.loads(out)
    assert first["tasks"]["t2i"]["n"] == 2
    stored = _stored_run(store, first["run_id"])
    description = stored["model"]
    assert description["adapter"] == "diffusers-text-to-image" and description["source"] == str(pipeline)
    assert len(description["folder_sha256"]) == 64 and description["num_inference_steps"] == 2
    assert _counts(summaries[-1]) == (2, 0)

    # the same command again: a new run, every image from the cache
    assert run_cli(command, capsys)[0] == 0
    assert _counts(summaries[-1]) == (0, 2)
    assert summaries[-1].run_id != first["run_id"]

    # one byte more in a JSON config of the folder: another fingerprint, so everything is generated again
    scheduler_config = pipeline / "scheduler" / "scheduler_config.json"
    scheduler_config.write_bytes(scheduler_config.read_bytes() + b"\n")
    code, out, err = run_cli(command, capsys)
    assert code == 0, err
    assert _counts(summaries[-1]) == (2, 0)
    edited = _stored_run(store, json.loads(out)["run_id"])
    assert edited["model"]["folder_sha256"] != description["folder_sha256"]
    assert edited["model_fingerprint"] != stored["model_fingerprint"]


@pytest.mark.slow
def test_an_adapter_model_config_is_the_same_model_as_the_flags(pipeline: Path, tmp_path: Path,
                                                                summaries: list[RunSummary],
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """``{"adapter": "diffusers", "path": ..., "num_inference_steps": 2}`` next to the folder names the model
    ``--model diffusers:FOLDER --steps 2`` does: same fingerprint, so its run takes every image from the cache."""
    store = tmp_path / "store"
    assert run_cli(["run", "--model", f"diffusers:{pipeline}", *QUICK, "--store", str(store)], capsys)[0] == 0
    config = tmp_path / "sd.json"
    config.write_text(json.dumps({"adapter": "diffusers", "path": "sd", "num_inference_steps": 2}), encoding="utf-8")
    code, _, err = run_cli(["run", "--model-config", str(config), *QUICK_WITHOUT_STEPS, "--store", str(store)],
                           capsys)
    assert code == 0, err
    assert _counts(summaries[-1]) == (0, 2)
    runs = ResultsStore(store).runs()
    assert runs[0]["model_fingerprint"] == runs[1]["model_fingerprint"]

    code, _, err = run_cli(["run", "--model-config", str(config), *QUICK, "--store", str(store)], capsys)
    assert code == 2
    assert f"--model-config {config} sets num_inference_steps already; drop --steps" in err


def test_a_bad_option_value_is_refused_before_the_store_is_made(pipeline: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """diffusers would refuse the height only when called (a ValueError traceback after the store exists)."""
    config = tmp_path / "sd.json"
    config.write_text(json.dumps({"adapter": "diffusers", "path": "sd", "options": {"height": 12}}),
                      encoding="utf-8")
    store = tmp_path / "store"
    code, _, err = run_cli(["run", "--model-config", str(config), *QUICK, "--store", str(store)], capsys)
    assert code == 2
    assert f"--model-config {config}: options.height: expected a multiple of 8" in err and "got 12" in err
    assert "Traceback" not in err and not store.exists()


@pytest.mark.parametrize("how", ["--model", "--model-config"])
def test_a_flag_the_cascade_file_also_sets_is_refused_naming_both(pipeline: Path, tmp_path: Path, how: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cascade = tmp_path / "cascade.json"
    cascade.write_text(json.dumps({"adapter": "cascade", "generators": {"image": "sd"},
                                   "settings": {"num_inference_steps": 2, "dtype": "float32"}}), encoding="utf-8")
    chosen = ["--model", f"cascade:{cascade}"] if how == "--model" else ["--model-config", str(cascade)]
    store = tmp_path / "store"
    code, _, err = run_cli(["run", *chosen, *QUICK, "--dtype", "float32", "--store", str(store)], capsys)
    assert code == 2
    assert (f"{cascade} sets settings.dtype, settings.num_inference_steps already; drop --dtype, --steps (or remove "
            f"settings.dtype, settings.num_inference_steps from {cascade})") in " ".join(err.split())
    assert not store.exists(), "refused before the store (or any data) was touched"


def test_generate_answers_with_the_adapter(pipeline: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "answer"
    code, stdout, err = run_cli(["generate", "--model", f"diffusers:{pipeline}", "--steps", "1", "--text",
                                 "a red circle", "--out", str(out), "--json"], capsys)
    assert code == 0, err
    assert json.loads(stdout)["files"] == [str(out / "answer.txt"), str(out / "image_0.png")]


@pytest.mark.parametrize(("extra", "message"), [
    (["--preset", "tiny"], "selects the whole model (the diffusers adapter); drop --preset"),
    (["--checkpoint", "tiny-trained", "--imagebind", "w/ib"],
     "selects the whole model (the diffusers adapter); drop --checkpoint, --imagebind"),
    (["--model-config", "model.json"], "drop --model-config"),
    (["--device", "gpu"], "--device 'gpu' is not a device"),
])
def test_flags_beside_an_adapter_that_it_cannot_take_are_refused(
        pipeline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str) -> None:
    store = tmp_path / "store"
    code, _, err = run_cli(["run", "--model", f"diffusers:{pipeline}", *extra, *QUICK, "--store", str(store)],
                           capsys)
    assert code == 2
    assert "nextgpt-bench run: error: --" in err and message in err
    assert not store.exists(), "refused before the store (or any data) was touched"


@pytest.mark.parametrize(("command", "has_guidance"), [("run", False), ("profile", False), ("generate", True)])
def test_the_model_help_names_guidance_only_where_the_command_has_it(command: str, has_guidance: bool,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run_cli([command, "--help"], capsys)
    assert code == 0
    flat = " ".join(stdout.split()).replace("- ", "-")  # argparse may wrap a line after a hyphen
    assert "--device, --dtype, --steps, --max-new-tokens" in flat
    assert ("--guidance-scale are its settings" in flat) == has_guidance
    assert ("--guidance-scale" in flat) == has_guidance, "no flag of that name on this command"


@pytest.mark.parametrize(("model", "message"), [
    ("diffusers:{missing}", "--model diffusers:{missing}: diffusers: {missing} is not a folder"),
    ("diffusers:{empty}", "{empty} has no model_index.json"),
    ("sd:{empty}", "--model 'sd:{empty}': unknown adapter kind 'sd'; expected one of diffusers, captioner, "
                   "causal-lm, cascade"),
    ("{empty}", "expected KIND:PATH"),
])
def test_a_bad_model_is_named_before_any_data_is_drawn(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       model: str, message: str) -> None:
    paths = {"missing": tmp_path / "nowhere", "empty": tmp_path / "empty"}
    paths["empty"].mkdir()
    store = tmp_path / "store"
    code, _, err = run_cli(["run", "--model", model.format(**paths), *QUICK, "--store", str(store)], capsys)
    assert code == 2
    assert message.format(**paths) in err
    assert not store.exists()


def test_commands_that_build_a_nextgpt_refuse_an_adapter_model_config(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "sd.json"
    config.write_text(json.dumps({"adapter": "diffusers", "path": "sd"}), encoding="utf-8")
    code, _, err = run_cli(["train", "--stage", "1", "--model-config", str(config), "--out", str(tmp_path / "t")],
                           capsys)
    assert code == 2
    assert f"--model-config {config} selects the diffusers adapter, but `train` works on NExT-GPT models only" in err
    code, _, err = run_cli(["train", "--stage", "1", "--model", f"diffusers:{tmp_path}", "--out", "t"], capsys)
    assert code == 2
    assert f"--model diffusers:{tmp_path}: `train` works on NExT-GPT models only; choose one with --preset" in err


# ------------------------------------------------------------------------------------ baselines write-tiny
def test_write_tiny_writes_folders_the_adapters_accept_and_prints_their_commands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The causal LM alone (the other folders take minutes together on two busy cores; their writers are tested
    with their adapters): written under DIR, checked by its adapter kind, listed with the command that runs it."""
    causal_lm = next(b for b in baseline_commands.TINY_BASELINES if b.kind == "causal-lm")
    monkeypatch.setattr(baseline_commands, "TINY_BASELINES", (causal_lm,))
    out = tmp_path / "baselines"
    out.mkdir()  # an empty folder is fine
    code, stdout, err = run_cli(["baselines", "write-tiny", "--out", str(out)], capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baselines"], "no staging folder is left behind"
    lines = stdout.splitlines()
    assert lines[0] == f"wrote {out / 'causal-lm'}: transformers causal LM (text in, text out)"
    command = shlex.split(lines[1])
    assert command[:4] == ["nextgpt-bench", "generate", "--model", f"causal-lm:{out / 'causal-lm'}"]
    check_adapter(*parse_model_argument(command[3]))


def test_write_tiny_never_writes_into_a_folder_with_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run_cli(["baselines", "write-tiny", "--out", str(tmp_path)], capsys)
    assert code == 2
    assert f"--out {tmp_path} is not empty; write-tiny writes into a new or empty folder only" in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    code, _, err = run_cli(["baselines", "write-tiny", "--out", str(tmp_path / "notes.txt")], capsys)
    assert code == 2 and "is a file" in err


def test_a_tiny_pipeline_runs_with_the_tiny_presets_step_count() -> None:
    """A pipeline folder holds no step count; the adapter's default (50) would make the tiny baseline far slower
    than the tiny NExT-GPT drawing through the same networks."""
    by_kind = {baseline.kind: baseline for baseline in baseline_commands.TINY_BASELINES}
    command = baseline_commands.run_command(by_kind["diffusers"], Path("tiny/sd"))
    assert command[:4] == ["nextgpt-bench", "run", "--model", "diffusers:tiny/sd"]
    assert command[-2:] == ["--steps", "2"]
    assert "--steps" not in baseline_commands.run_command(by_kind["cascade"], Path("tiny/cascade/model.json")), \
        "the cascade's model.json sets its own steps"
