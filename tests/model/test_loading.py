"""The one loader: a ModelSpec (flags or a model config file) is checked before anything is built, local weights
are required by the preset's own declaration, and the CLI loads through it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.model.checkpoint import save_checkpoint
from nextgpt.model.loading import choose_model, load_model, spec_labels
from nextgpt.model.model_spec import LocalWeights, ModelSpec
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.presets import PRESETS, WEIGHT_SLOTS, get_preset


def _write(path: Path, content: object) -> Path:
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_local_weights_come_from_the_preset_declaration() -> None:
    assert {name: PRESETS[name].local_weights for name in PRESETS} == {
        "tiny": (), "tiny-legacy": (), "paper-7b": WEIGHT_SLOTS, "paper-7b-legacy": WEIGHT_SLOTS}
    with pytest.raises(MissingWeightsError, match=r"preset paper-7b runs on local weights; give weights\.llm, "
                                                  r"weights\.image_decoder, weights\.video_decoder, "
                                                  r"weights\.audio_decoder"):
        choose_model(ModelSpec(preset="paper-7b", weights=LocalWeights(imagebind=Path("i.pth"))))
    flags = spec_labels({"weights.imagebind": "--imagebind", "weights.llm": "--llm-path"})
    with pytest.raises(MissingWeightsError, match=r"give --imagebind, --llm-path, weights\.image_decoder"):
        choose_model(ModelSpec(preset="paper-7b-legacy"), label=flags)
    tiny = get_preset("tiny")  # local weights given to any preset are applied, never ignored
    on_a_local_llm = choose_model(ModelSpec(preset="tiny", weights=LocalWeights(llm=Path("llm")))).config
    assert on_a_local_llm == tiny.replace(llm=dataclasses.replace(tiny.llm, path="llm"))


def test_paper_preset_with_every_weight_builds_from_the_local_paths(tmp_path: Path) -> None:
    weights = LocalWeights(**{slot: tmp_path / slot for slot in WEIGHT_SLOTS})
    choice = choose_model(ModelSpec(preset="paper-7b-legacy", weights=weights))
    assert choice.checkpoint is None and choice.config is not None
    assert choice.config.llm.path == str(tmp_path / "llm")
    assert choice.config.decoders.audio.path == str(tmp_path / "audio_decoder")
    assert choice.config.encoder.checkpoint == str(tmp_path / "imagebind")


def test_a_checkpoint_runs_under_its_own_preset(tiny_model: NextGPT, tmp_path: Path) -> None:
    save_checkpoint(tiny_model, tmp_path / "ckpt")
    choice = choose_model(ModelSpec(checkpoint=tmp_path / "ckpt"))
    assert (choice.preset, choice.checkpoint, choice.config) == ("tiny", tmp_path / "ckpt", None)
    with pytest.raises(CheckpointError, match=r"saved from preset 'tiny', not 'tiny-legacy'; use --preset tiny"):
        choose_model(ModelSpec(preset="tiny-legacy", checkpoint=tmp_path / "ckpt"),
                     label=spec_labels({"preset": "--preset"}))
    loaded = load_model(choice)
    assert loaded.fingerprint() == tiny_model.fingerprint()
    assert loaded.describe()["checkpoint"] == str(tmp_path / "ckpt")


def test_frozen_weights_that_differ_from_the_checkpoints_name_the_given_weights(tiny_model: NextGPT,
                                                                                tmp_path: Path) -> None:
    """Local weights given with a checkpoint are applied to it, so a frozen-fingerprint mismatch points at them
    (not at the preset) when they are what changed."""
    from nextgpt.model.checkpoint import load_checkpoint, read_checkpoint_config

    save_checkpoint(tiny_model, tmp_path / "ckpt")
    other = dataclasses.replace(read_checkpoint_config(tmp_path / "ckpt"), init_seed=1)
    with pytest.raises(CheckpointError, match="local weights given for it"):
        load_checkpoint(tmp_path / "ckpt", config_override=other)


def test_neither_preset_nor_checkpoint_is_the_tiny_preset() -> None:
    choice = choose_model(ModelSpec())
    assert (choice.preset, choice.checkpoint, choice.config) == ("tiny", None, get_preset("tiny"))
    with pytest.raises(ConfigError, match=r"unknown preset 'tiny-13b'; expected one of tiny, tiny-legacy"):
        choose_model(ModelSpec(preset="tiny-13b"))
    with pytest.raises(ConfigError, match=r"device 'gpu0' is not a device"):
        choose_model(ModelSpec(device="gpu0"))


def test_model_config_file(tmp_path: Path) -> None:
    spec = ModelSpec.from_file(_write(tmp_path / "m.json", {
        "preset": "paper-7b", "device": "cpu", "dtype": "bfloat16", "weights": {"llm": "w/llm"}}))
    assert spec == ModelSpec(preset="paper-7b", dtype="bfloat16", weights=LocalWeights(llm=Path("w/llm")))
    for content, message in [
        ([1, 2], r"expected a JSON object with any of the keys preset, checkpoint, device, dtype, weights, got list"),
        ({"preset": "tiny", "gpu": True}, r"unknown key\(s\) gpu"),
        ({"dtype": "float64"}, r"dtype must be one of bfloat16, float16, float32, got 'float64'"),
        ({"weights": {"vae": "w"}}, r"weights\.vae is no component; expected any of imagebind, llm"),
        ({"weights": {"llm": 7}}, r"weights\.llm must be a path, got 7"),
        ({"checkpoint": ""}, r"checkpoint must be a non-empty string, got ''"),
    ]:
        with pytest.raises(ConfigError, match=rf"model config {tmp_path / 'bad.json'}: {message}"):
            ModelSpec.from_file(_write(tmp_path / "bad.json", content))
    (tmp_path / "twice.json").write_text('{"preset": "tiny", "preset": "paper-7b"}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"twice\.json repeats the key\(s\) 'preset'"):
        ModelSpec.from_file(tmp_path / "twice.json")
    with pytest.raises(ConfigError, match=r"gone\.json does not exist"):
        ModelSpec.from_file(tmp_path / "gone.json")


def test_cli_model_config_replaces_the_model_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   model_never_loaded: None) -> None:
    config = _write(tmp_path / "m.json", {"preset": "paper-7b"})
    code, _, err = run_cli(["generate", "--model-config", str(config), "--text", "hi", "--out", str(tmp_path / "o")],
                           capsys)
    assert code == 2
    assert f"--model-config {config}: preset paper-7b runs on local weights; give weights.imagebind" in err
    code, _, err = run_cli(["run", "--model-config", str(config), "--preset", "tiny", "--device", "cpu",
                            "--store", str(tmp_path / "s")], capsys)
    assert code == 2 and f"--model-config {config} names the whole model; drop --preset, --device" in err


def test_cli_loads_through_the_loader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _write(tmp_path / "m.json", {"preset": "tiny"})
    code, out, err = run_cli(["generate", "--model-config", str(config), "--text", "hi", "--max-new-tokens", "2",
                              "--out", str(tmp_path / "o"), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["files"] == [str(tmp_path / "o" / "answer.txt")]
