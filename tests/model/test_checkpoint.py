"""Saving and loading the trainable part; every mismatch is an error that names the tensor."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from model_helpers import perturb_trainable, refresh_manifest
from safetensors.torch import load_file, save_file

from nextgpt.core.errors import CheckpointError
from nextgpt.core.requests import GenerationRequest
from nextgpt.model.checkpoint import load_checkpoint, save_checkpoint
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.parameters import TRAINABLE_COMPONENTS, component_of


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[NextGPT, Path]:
    from nextgpt.model.building import build_model
    from nextgpt.model.presets import tiny

    model = build_model(tiny())
    perturb_trainable(model)
    return model, save_checkpoint(model, tmp_path_factory.mktemp("ckpt") / "tiny")


def test_round_trip_gives_identical_outputs(saved: tuple[NextGPT, Path]) -> None:
    model, path = saved
    loaded = load_checkpoint(path, preset="tiny")
    request = GenerationRequest.build("a blue square", want=["image", "video", "audio"], seed=4)
    before, after = model.generate(request), loaded.generate(request)
    assert before.raw_token_ids == after.raw_token_ids and before.text == after.text
    for modality in ("image", "video", "audio"):
        assert torch.equal(before.conditions[modality], after.conditions[modality])
    assert np.array_equal(np.asarray(before.images[0]), np.asarray(after.images[0]))
    assert np.array_equal(before.videos[0], after.videos[0])
    assert np.array_equal(before.audios[0], after.audios[0])


def test_only_trainable_tensors_are_stored(saved: tuple[NextGPT, Path]) -> None:
    model, path = saved
    stored = load_file(str(path / "trainable.safetensors"))
    components = {component_of(name) for name in stored}
    assert components == set(TRAINABLE_COMPONENTS)
    assert sum(t.numel() for t in stored.values()) == sum(
        p.numel() for n, p in model.named_parameters() if component_of(n) in TRAINABLE_COMPONENTS)
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "manifest.json", "tokenizer",
                                                      "trainable.safetensors"]


def test_manifest_lists_every_file_but_itself_and_the_config(saved: tuple[NextGPT, Path]) -> None:
    from nextgpt.model.checkpoint_files import describe_files

    manifest = json.loads((saved[1] / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(p.relative_to(saved[1]).as_posix() for p in saved[1].rglob("*") if p.is_file())
    assert sorted(manifest["files"]) == [f for f in files if f not in ("config.json", "manifest.json")]
    assert manifest["files"] == describe_files(saved[1])
    assert "tokenizer/tokenizer.json" in manifest["files"]


def test_checkpoint_of_another_preset_is_refused(saved: tuple[NextGPT, Path]) -> None:
    with pytest.raises(CheckpointError, match=r"saved from preset 'tiny', not 'paper-7b'.*--preset tiny"):
        load_checkpoint(saved[1], preset="paper-7b")


def _copy(path: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(path, target)
    return target


def test_missing_and_misshaped_tensors_are_named(saved: tuple[NextGPT, Path], tmp_path: Path) -> None:
    target = _copy(saved[1], tmp_path)
    state = load_file(str(target / "trainable.safetensors"))
    lost = "output_projections.video.queries"
    del state[lost]
    reshaped = "input_projection.out_fc.weight"
    state[reshaped] = torch.zeros(3, 3)
    state["not.a.parameter"] = torch.zeros(1)
    save_file(state, str(target / "trainable.safetensors"))
    refresh_manifest(target)  # as if saved like this: the integrity check passes, the key check must not
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(target)
    message = str(error.value)
    assert f"missing (1):\n    {lost}" in message
    assert "unexpected (1):\n    not.a.parameter" in message
    assert f"{reshaped}: checkpoint (3, 3) vs model (64, 32)" in message


def test_corrupt_tensor_file_and_missing_config(saved: tuple[NextGPT, Path], tmp_path: Path) -> None:
    target = _copy(saved[1], tmp_path)
    (target / "trainable.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match=r"trainable\.safetensors\n    expected sha256"):
        load_checkpoint(target)
    refresh_manifest(target)  # a manifest that agrees with the damage: the reader still names the file
    with pytest.raises(CheckpointError, match=r"trainable\.safetensors cannot be read as safetensors"):
        load_checkpoint(target)
    (target / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"config\.json is missing"):
        load_checkpoint(target)


def test_other_frozen_weights_are_detected(saved: tuple[NextGPT, Path], tmp_path: Path) -> None:
    target = _copy(saved[1], tmp_path)
    config = json.loads((target / "config.json").read_text())
    config["config"]["init_seed"] = 1
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="different frozen weights"):
        load_checkpoint(target)


def test_unknown_config_field_is_named(saved: tuple[NextGPT, Path], tmp_path: Path) -> None:
    target = _copy(saved[1], tmp_path)
    config = json.loads((target / "config.json").read_text())
    config["config"]["llm"]["hidden_sise"] = 64
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config\.llm: unknown field\(s\) hidden_sise"):
        load_checkpoint(target)
