"""Issue 12, case 6: every weight file the model loads fails as a named CheckpointError when it is unsafe,
damaged or does not fit -- encoder .pth, LLM folder, decoder folders, the checkpoint's tensors, the legacy delta.

Before: a pickle with code in ``encoder/imagebind.pth`` was blocked (weights_only) but shown as an
UnpicklingError traceback; truncated or garbage files surfaced as RuntimeError/KeyError/SafetensorError.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import torch
from cli_helpers import run_cli
from model_helpers import copy_folder, refresh_manifest

from nextgpt.core.errors import CheckpointError
from nextgpt.model.checkpoint import load_checkpoint
from nextgpt.model.decoders.build import build_decoder
from nextgpt.model.encoder import ImageBindEncoder
from nextgpt.model.legacy_checkpoint import read_legacy_file
from nextgpt.model.llm import build_base_llm
from nextgpt.model.presets import tiny
from nextgpt.model.pretrained import SHIPPED_CHECKPOINTS

SHIPPED = SHIPPED_CHECKPOINTS["tiny-trained"]


class Payload:
    """Unpickling this would create ``marker`` (builtins.open): proof of whether pickled code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def write_malicious(path: Path, marker: Path) -> Path:
    torch.save({"weight": torch.zeros(2), "payload": Payload(marker)}, path)
    return path


def damaged_variants(good: Path, folder: Path) -> dict[str, Path]:
    """Copies of ``good`` that are truncated, garbage, empty, and a folder in the file's place."""
    data = good.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    variants = {"truncated": data[: len(data) // 2], "garbage": b"\x80\x02garbage that is no pickle" * 4,
                "text": b"hello, not weights at all", "empty": b""}
    paths = {}
    for name, content in variants.items():
        paths[name] = folder / f"{name}{good.suffix}"
        paths[name].write_bytes(content)
    paths["folder"] = folder / f"a-folder{good.suffix}"
    paths["folder"].mkdir()
    return paths


@pytest.fixture(scope="module")
def tiny_encoder() -> ImageBindEncoder:
    return ImageBindEncoder(tiny().encoder)


def test_malicious_encoder_pickle_is_refused_for_safety(tmp_path: Path, tiny_encoder: ImageBindEncoder) -> None:
    marker = tmp_path / "pwned"
    evil = write_malicious(tmp_path / "imagebind.pth", marker)
    with pytest.raises(CheckpointError) as error:
        tiny_encoder.load_checkpoint(evil)
    message = str(error.value)
    assert str(evil) in message and "not a plain tensor file" in message and "refused for safety" in message
    assert "weights_only=False" in message and "save_file" in message  # how to convert a trusted file
    assert not marker.exists()


def test_malicious_encoder_in_a_checkpoint_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_folder(SHIPPED, tmp_path / "ckpt")
    marker = tmp_path / "pwned"
    write_malicious(folder / "encoder" / "imagebind.pth", marker)
    refresh_manifest(folder)  # the attacker rewrote the manifest too: the weights-only guard must still hold
    code, _, err = run_cli(["generate", "--checkpoint", str(folder), "--text", "hi", "--out", str(tmp_path / "o")],
                           capsys)
    assert code == 2
    assert "encoder/imagebind.pth is not a plain tensor file" in err and "Traceback" not in err
    assert not marker.exists()


def test_damaged_encoder_files_are_named(tmp_path: Path, tiny_encoder: ImageBindEncoder) -> None:
    for path in damaged_variants(SHIPPED / "encoder" / "imagebind.pth", tmp_path).values():
        with pytest.raises(CheckpointError, match=str(path)):
            tiny_encoder.load_checkpoint(path)


def test_encoder_weights_of_another_model_list_the_names(tmp_path: Path, tiny_encoder: ImageBindEncoder) -> None:
    other = tmp_path / "other.pth"
    torch.save({"not.an.imagebind.weight": torch.zeros(3)}, other)
    expected = (r"other\.pth \(encoder\.checkpoint\) does not fit the model:\n  missing \(\d+\):[\s\S]*\n"
                r"  unexpected \(1\):\n    not\.an\.imagebind")
    with pytest.raises(CheckpointError, match=expected):
        tiny_encoder.load_checkpoint(other)


def test_damaged_legacy_deltas_are_named(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    torch.save({"llama_proj.weight": torch.zeros(4, 4)}, good)
    for path in damaged_variants(good, tmp_path / "bad").values():
        with pytest.raises(CheckpointError, match=str(path)):
            read_legacy_file(path)
    marker = tmp_path / "pwned"
    with pytest.raises(CheckpointError, match="not a plain tensor file"):
        read_legacy_file(write_malicious(tmp_path / "evil.pt", marker))
    assert not marker.exists()


def test_damaged_checkpoint_tensors_are_named(tmp_path: Path) -> None:
    folder = copy_folder(SHIPPED, tmp_path / "ckpt")
    tensors = folder / "trainable.safetensors"
    tensors.write_bytes(tensors.read_bytes()[:1000])
    refresh_manifest(folder)
    with pytest.raises(CheckpointError, match=r"trainable\.safetensors cannot be read as safetensors"):
        load_checkpoint(folder)


def test_a_damaged_llm_folder_is_named(tmp_path: Path) -> None:
    llm = copy_folder(SHIPPED / "llm", tmp_path / "llm")
    weights = llm / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match=r"llm\.path = .*llm: the LLaMA weights cannot be read"):
        build_base_llm(dataclasses.replace(tiny().llm, path=str(llm)))


def test_a_damaged_decoder_folder_is_named(tmp_path: Path) -> None:
    decoder_config = tiny().decoders.image
    folder = tmp_path / "image_decoder"
    build_decoder("image", decoder_config).pipeline().save_pretrained(folder)
    weights = next((folder / "unet").glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:2000])
    local = dataclasses.replace(decoder_config, path=str(folder), architecture=None)
    with pytest.raises(CheckpointError, match=r"decoders\.image\.path = .*image_decoder: the "
                                              r"StableDiffusionPipeline cannot be read .*unet"):
        build_decoder("image", local)
    shutil.rmtree(folder)
