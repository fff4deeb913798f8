"""The command-line contract of ``model-card`` and ``generate`` (scripts outside the project rely on it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile

from benchmarks.cli import main
from nextgpt.model.checkpoint import save_checkpoint
from nextgpt.model.demo_inputs import write_demo_inputs
from nextgpt.model.nextgpt_model import NextGPT


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_model_card_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["model-card", "--preset", "paper-7b", "--json"], capsys)
    assert code == 0
    card = json.loads(out)
    assert set(card) >= {"components", "trainable_total", "frozen_total"}
    assert card["trainable_total"] == sum(c["trainable"] for c in card["components"].values())
    assert card["frozen_total"] == sum(c["frozen"] for c in card["components"].values())
    assert all(set(c) == {"trainable", "frozen"} for c in card["components"].values())
    assert card["components"]["lora"] == {"trainable": 33_554_432, "frozen": 0}


def test_model_card_text_explains_the_gaps(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["model-card", "--preset", "paper-7b-legacy"], capsys)
    assert code == 0
    assert "paper" in out and "131.00M" in out and "safety checker" in out and "rounds to 7B" in out


def test_generate_json_writes_every_medium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = write_demo_inputs(tmp_path / "inputs")
    out_dir = tmp_path / "answer"
    code, out, _ = run_cli(["generate", "--preset", "tiny", "--text", "what is this?", "--image", str(inputs["image"]),
                            "--video", str(inputs["video"]), "--audio", str(inputs["audio"]),
                            "--want", "image,video,audio", "--out", str(out_dir), "--json"], capsys)
    assert code == 0
    answer = json.loads(out)
    assert set(answer) == {"text", "files"}
    suffixes = sorted(Path(f).suffix for f in answer["files"])
    assert suffixes == [".mp4", ".png", ".txt", ".wav"]
    assert all(Path(f).is_file() for f in answer["files"])
    wav = next(f for f in answer["files"] if f.endswith(".wav"))
    assert soundfile.info(wav).samplerate == 16000
    assert (out_dir / "answer.txt").read_text(encoding="utf-8").strip() == answer["text"]


def test_generate_refuses_a_checkpoint_of_another_preset(tmp_path: Path, tiny_model: NextGPT,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    save_checkpoint(tiny_model, tmp_path / "ckpt")
    code, _, err = run_cli(["generate", "--preset", "tiny-legacy", "--checkpoint", str(tmp_path / "ckpt"),
                            "--text", "hi", "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "saved from preset 'tiny', not 'tiny-legacy'" in err


def test_generate_rejects_unknown_modality_and_missing_file(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["generate", "--text", "hi", "--want", "image,smell", "--out", str(tmp_path)], capsys)
    assert code == 2 and "--want: unknown modality 'smell'" in err
    code, _, err = run_cli(["generate", "--text", "hi", "--audio", str(tmp_path / "gone.wav"),
                            "--out", str(tmp_path)], capsys)
    assert code == 2 and "gone.wav does not exist" in err


def test_paper_preset_without_weights_says_which_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["generate", "--preset", "paper-7b", "--text", "hi", "--out", str(tmp_path)], capsys)
    assert code == 2 and "--imagebind" in err and "--audio-decoder" in err


def test_console_script_is_installed() -> None:
    completed = subprocess.run([str(Path(sys.executable).parent / "nextgpt-bench"), "--help"],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0 and "model-card" in completed.stdout and "generate" in completed.stdout
