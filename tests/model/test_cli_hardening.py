"""Issue 12: ``generate``, ``demo``, ``model-card`` and ``convert-legacy`` given bad inputs end in exit status 2 with a
message naming the input -- never a traceback (exit 1), never silently accepted.

Cases that failed before: ``--out EXISTING_FILE`` / ``--out FILE/sub`` raised FileExistsError/NotADirectoryError
after generating (the work was lost); a missing ``--checkpoint`` folder was reported as "config.json is missing";
config.json in another encoding raised UnicodeDecodeError; an empty ``--delta`` went through a blanket catch.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from cli_helpers import run_cli
from model_helpers import copy_folder

from nextgpt.model.pretrained import SHIPPED_CHECKPOINTS

SHIPPED = SHIPPED_CHECKPOINTS["tiny-trained"]


def bad_file(tmp_path: Path, kind: str, name: str) -> Path:
    """A file (or folder) named ``name`` that is missing, empty, binary garbage, a folder, or UTF-16 text."""
    path = tmp_path / name
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 4)
    elif kind == "folder":
        path.mkdir()
    elif kind == "utf-16":
        path.write_bytes('{"format_version": 1}'.encode("utf-16"))
    return path


KINDS = ["missing", "empty", "garbage", "folder", "utf-16"]


# ------------------------------------------------------------------------------------------------ --out
@pytest.mark.parametrize("command", ["generate", "demo"])
def test_out_that_is_a_file_is_refused_before_the_model_loads(command: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              model_never_loaded: None) -> None:
    existing = tmp_path / "answer.txt"
    existing.write_text("keep me", encoding="utf-8")
    for out, expected in ((existing, f"--out {existing} is a file; expected a folder"),
                          (existing / "sub", f"--out {existing / 'sub'}: {existing} is a file, so no folder")):
        args = [command, "--out", str(out)] + (["--text", "hi"] if command == "generate" else [])
        code, _, err = run_cli(args, capsys)
        assert code == 2 and expected in err, err
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_out_in_an_unwritable_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                model_never_loaded: None) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod does not stop root from writing, so os.access cannot refuse; the "
                    "file and file/sub cases above still run")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = run_cli(["generate", "--text", "hi", "--out", str(locked / "answer")], capsys)
    finally:
        locked.chmod(0o700)
    assert code == 2 and f"folder {locked} is not writable" in err


# ----------------------------------------------------------------------------------------- --checkpoint
@pytest.mark.parametrize("command", ["generate", "demo"])
def test_a_missing_checkpoint_folder_is_named_as_such(command: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    gone = tmp_path / "no-such-checkpoint"
    args = [command, "--checkpoint", str(gone), "--out", str(tmp_path / "o")]
    code, _, err = run_cli(args + (["--text", "hi"] if command == "generate" else []), capsys)
    assert code == 2
    assert f"checkpoint folder {gone} does not exist" in err and "tiny-trained" in err
    assert "config.json is missing" not in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_checkpoint_config_is_named(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_folder(SHIPPED, tmp_path / "ckpt")
    (folder / "config.json").unlink()
    config = bad_file(folder, kind, "config.json")
    code, _, err = run_cli(["demo", "--checkpoint", str(folder), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and str(config) in err, err


def test_a_checkpoint_that_is_a_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "model.bin"
    file.write_bytes(b"weights?")
    code, _, err = run_cli(["generate", "--checkpoint", str(file), "--text", "hi", "--out", str(tmp_path / "o")],
                           capsys)
    assert code == 2 and f"checkpoint {file} is a file; expected a checkpoint folder" in err


def test_an_unknown_device_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["generate", "--device", "gpu0", "--text", "hi", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "--device 'gpu0' is not a device" in err


# ---------------------------------------------------------------------------------------- model-card
def test_model_card_of_an_unknown_preset(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["model-card", "--preset", "paper-13b"], capsys)
    assert code == 2 and "unknown preset 'paper-13b'; expected one of tiny" in err


# ------------------------------------------------------------------------------------- convert-legacy
@pytest.mark.parametrize("kind", [*KINDS, "pickled code"])
def test_convert_legacy_names_a_bad_delta(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if kind == "pickled code":
        delta = tmp_path / "pytorch_model.pt"
        torch.save({"llama_proj.weight": Marker(tmp_path / "pwned")}, delta)
    else:
        delta = bad_file(tmp_path, kind, "pytorch_model.pt")
    out = tmp_path / "converted"
    code, _, err = run_cli(["convert-legacy", "--delta", str(delta), "--preset", "tiny-legacy", "--out", str(out)],
                           capsys)
    assert code == 2 and str(delta) in err, err
    assert not out.exists() and not (tmp_path / "pwned").exists()


class Marker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_convert_legacy_never_replaces_a_file_or_a_foreign_folder(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    delta = tmp_path / "pytorch_model.pt"
    torch.save({"llama_proj.weight": torch.zeros(2)}, delta)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("mine", encoding="utf-8")
    file = tmp_path / "file.txt"
    file.write_text("mine", encoding="utf-8")
    refusals = ((file, "is a file; expected a folder"), (notes, "is a non-empty folder that is not a checkpoint"))
    for out, expected in refusals:
        code, _, err = run_cli(["convert-legacy", "--delta", str(delta), "--preset", "tiny-legacy", "--out",
                                str(out)], capsys)
        assert code == 2 and f"checkpoint target {out} {expected}" in err, err
    assert (notes / "todo.txt").read_text(encoding="utf-8") == "mine" and file.read_text(encoding="utf-8") == "mine"


# ------------------------------------------------------------------------------------------ --video
@pytest.mark.parametrize("kind", [*KINDS, "png-signature", "json-list"])
def test_an_unreadable_video_is_refused_before_the_model_loads(kind: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str],
                                                               model_never_loaded: None) -> None:
    """FFmpeg opens some of these (a PNG signature: png_pipe; ``[1, 2, 3]``: lrc subtitles), so existence was
    not enough: the first frame is decoded before the model loads."""
    if kind == "png-signature":
        video = tmp_path / "in.mp4"
        video.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    elif kind == "json-list":
        video = tmp_path / "in.mp4"
        video.write_bytes(b"[1, 2, 3]")
    else:
        video = bad_file(tmp_path, kind, "in.mp4")
    code, _, err = run_cli(["generate", "--text", "hi", "--video", str(video), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and str(video) in err and "video" in err, err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_a_readable_video_passes_the_check_and_reaches_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 model_never_loaded: None) -> None:
    import numpy as np

    from nextgpt.core.media import check_video_header, write_video

    video = write_video(np.full((4, 16, 16, 3), 120, dtype=np.uint8), tmp_path / "in.mp4")
    check_video_header(video)
    with pytest.raises(AssertionError, match="loaded the model"):  # every check passed: the model load is next
        run_cli(["generate", "--text", "hi", "--video", str(video), "--out", str(tmp_path / "o")], capsys)


# ------------------------------------------------------------------------------------------ train
@pytest.fixture()
def no_recipe_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if ``train --recipe`` starts training (its --out/--export checks must come first)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the recipe started training before its outputs were checked")

    monkeypatch.setattr("nextgpt.training.recipe.run_recipe", refuse)


def _file_and_under_it(tmp_path: Path) -> tuple[Path, list[tuple[Path, str]]]:
    """A file to keep, and (bad output folder, the start of the expected message) for it and a path under it."""
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me", encoding="utf-8")
    return existing, [(existing, f"{existing} is a file; expected a folder"),
                      (existing / "sub", f"{existing / 'sub'}: {existing} is a file, so no folder")]


def test_train_out_is_checked_before_the_model_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     model_never_loaded: None, no_recipe_runs: None) -> None:
    existing, cases = _file_and_under_it(tmp_path)
    for out, expected in cases:
        for what in (["--stage", "1", "--preset", "tiny"], ["--recipe", "tiny-trained"]):
            code, _, err = run_cli(["train", *what, "--train-steps", "1", "--out", str(out)], capsys)
            assert code == 2 and f"--out {expected}" in err, err
    assert existing.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("kind", KINDS)
def test_train_dataset_is_resolved_before_the_model_loads(kind: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          model_never_loaded: None) -> None:
    manifest = bad_file(tmp_path, kind, "data.jsonl")
    code, _, err = run_cli(["train", "--stage", "1", "--preset", "tiny", "--train-steps", "1", "--out",
                            str(tmp_path / "train"), "--dataset", f"image-captions=manifest:{manifest}"], capsys)
    assert code == 2 and str(manifest) in err, err
    assert "Traceback" not in err and not (tmp_path / "train").exists()


def test_train_checkpoint_is_named_before_the_datasets_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                model_never_loaded: None,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the datasets were read before --checkpoint was checked")

    monkeypatch.setattr("nextgpt.training.stage_data.stage_examples", refuse)
    gone = tmp_path / "no-such-checkpoint"
    code, _, err = run_cli(["train", "--stage", "1", "--checkpoint", str(gone), "--out", str(tmp_path / "t")],
                           capsys)
    assert code == 2 and f"checkpoint folder {gone} does not exist" in err, err


def test_train_export_is_checked_before_the_recipe_trains(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          no_recipe_runs: None) -> None:
    existing, cases = _file_and_under_it(tmp_path)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("mine", encoding="utf-8")
    cases += [(foreign, f"checkpoint target {foreign} is a non-empty folder that is not a checkpoint")]
    for export, expected in cases:
        code, _, err = run_cli(["train", "--recipe", "tiny-trained", "--out", str(tmp_path / "recipe"), "--export",
                                str(export)], capsys)
        assert code == 2 and expected in err, err
    holder = tmp_path / "runs"
    for out in (holder, holder / "tiny"):  # the export would replace --out, or the folder that holds it
        code, _, err = run_cli(["train", "--recipe", "tiny-trained", "--out", str(out), "--export", str(holder)],
                               capsys)
        assert code == 2 and f"--export {holder} holds --out {out}" in err, err
    assert existing.read_text(encoding="utf-8") == "keep me"
    assert (foreign / "todo.txt").read_text(encoding="utf-8") == "mine" and not (tmp_path / "recipe").exists()


def test_train_export_without_a_recipe_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  model_never_loaded: None) -> None:
    code, _, err = run_cli(["train", "--stage", "1", "--preset", "tiny", "--out", str(tmp_path / "t"), "--export",
                            str(tmp_path / "e")], capsys)
    assert code == 2 and f"--export {tmp_path / 'e'} works only with --recipe" in err, err


# ------------------------------------------------------------------------------------------ profile
def test_profile_html_is_checked_before_the_model_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        model_never_loaded: None) -> None:
    existing, cases = _file_and_under_it(tmp_path)
    for html, expected in cases:
        code, _, err = run_cli(["profile", "--preset", "tiny", "--html", str(html)], capsys)
        assert code == 2 and f"--html {expected}" in err, err
    assert existing.read_text(encoding="utf-8") == "keep me"


# ------------------------------------------------------------------------------------ output file paths
def test_check_output_file_refuses_a_folder_a_path_under_a_file_and_accepts_the_rest(tmp_path: Path) -> None:
    from nextgpt.core.errors import ConfigError
    from nextgpt.core.output_paths import check_output_file

    existing = tmp_path / "stats.npz"
    existing.write_bytes(b"old")
    for path, expected in ((tmp_path, f"--x {tmp_path} is a folder; expected the path of a file"),
                           (existing / "s.npz", f"--x {existing / 's.npz'}: {existing} is a file, so no file")):
        with pytest.raises(ConfigError, match=re.escape(expected)):
            check_output_file(path, flag="--x")
    for path in (existing, tmp_path / "new.npz", tmp_path / "new" / "deeper" / "s.npz"):
        check_output_file(path, flag="--x")  # an existing file is replaced, missing folders are made


# ------------------------------------------------------------------------------------- the real exit code
def test_console_script_exit_status_is_2_for_a_bad_input(tmp_path: Path) -> None:
    delta = bad_file(tmp_path, "garbage", "pytorch_model.pt")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}
    completed = subprocess.run([str(Path(sys.executable).parent / "nextgpt-bench"), "convert-legacy", "--delta",
                                str(delta), "--out", str(tmp_path / "out")],
                               capture_output=True, text=True, check=False, env=env, timeout=600)
    assert completed.returncode == 2, completed.stderr
    assert f"nextgpt-bench convert-legacy: error: legacy checkpoint (--delta) {delta}" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_recipe_refuses_model_options_it_would_ignore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for extra in (["--preset", "tiny"], ["--checkpoint", "tiny-trained"], ["--model-config", str(tmp_path / "m.json")]):
        code, _, err = run_cli(["train", "--recipe", "tiny-trained", "--out", str(tmp_path / "recipe"), *extra], capsys)
        assert code == 2 and f"drop {extra[0]}" in err, err
    assert not (tmp_path / "recipe").exists()
