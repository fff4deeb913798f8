"""Training recipes and the shipped tiny-trained checkpoint they produce."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest
import torch

from nextgpt.core.errors import CheckpointError, ConfigError
from nextgpt.model.checkpoint import load_checkpoint, read_checkpoint_config
from nextgpt.model.pretrained import DEFAULT_CHECKPOINT, SHIPPED_CHECKPOINTS, resolve_checkpoint
from nextgpt.training.decoder_pretraining import DecoderPretrainingConfig
from nextgpt.training.encoder_pretraining import EncoderPretrainingConfig
from nextgpt.training.language_model import LanguageModelConfig, chat_texts
from nextgpt.training.latent_diffusion import AutoencoderTraining, DenoiserTraining
from nextgpt.training.recipe import Recipe, StagePlan, run_recipe
from nextgpt.training.vocoder_training import VocoderTraining

MINI_DECODERS = DecoderPretrainingConfig(
    autoencoder=AutoencoderTraining(steps=1, batch_size=2), image=DenoiserTraining(steps=1, batch_size=2),
    video=DenoiserTraining(steps=1, batch_size=2), audio_autoencoder=AutoencoderTraining(steps=1, batch_size=2),
    audio=DenoiserTraining(steps=1, batch_size=2), vocoder=VocoderTraining(steps=1, batch_size=2, crop_frames=4),
    image_renders=4, video_renders=2, num_inference_steps=2)

MINI = Recipe(name="mini", preset="tiny", train_samples=2, seed=0,
              encoder=EncoderPretrainingConfig(steps=2, batch_size=2),
              language_model=LanguageModelConfig(steps=3, batch_size=2, warmup_steps=1),
              decoders=MINI_DECODERS,
              stages=(StagePlan(1, steps=2, batch_size=2, learning_rate=1e-3),
                      StagePlan(2, steps=2, batch_size=2, learning_rate=1e-3, denoising_weight=0.1),
                      StagePlan(3, steps=2, batch_size=2, learning_rate=1e-3)))


@pytest.fixture(scope="module")
def mini_final(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the mini recipe for the module, a real training run of every part (its tests are end-to-end:
    marker e2e): its final checkpoint folder. The tests only read it, rerun the same recipe on it (nothing
    retrains) or copy it."""
    return run_recipe(MINI, tmp_path_factory.mktemp("mini-recipe"), progress=io.StringIO())


@pytest.mark.e2e
def test_recipe_runs_every_part_bundles_the_frozen_parts_and_resumes(mini_final: Path) -> None:
    final, out = mini_final, mini_final.parent
    assert (final / "llm" / "config.json").is_file() and (final / "encoder" / "imagebind.pth").is_file()
    saved = json.loads((final / "config.json").read_text(encoding="utf-8"))["config"]
    # relative: the bundled frozen parts travel with the checkpoint
    assert saved["llm"]["path"] == "llm" and saved["encoder"]["checkpoint"] == "encoder/imagebind.pth"
    resolved = read_checkpoint_config(final)
    assert resolved.llm.path == str((final / "llm").resolve())
    assert resolved.encoder.checkpoint == str((final / "encoder" / "imagebind.pth").resolve())
    for modality in ("image", "video", "audio"):
        assert saved["decoders"][modality]["path"] == f"decoders/{modality}"
        assert saved["decoders"][modality]["architecture"] is None and \
            saved["decoders"][modality]["num_inference_steps"] == 2
        assert (final / "decoders" / modality / "model_index.json").is_file()
        assert resolved.decoders.for_modality(modality).path == str((final / "decoders" / modality).resolve())
    assert saved["decoders"]["audio"]["audio_length_s"] == 2.048
    model = load_checkpoint(final)  # the frozen fingerprint matches the bundled, pre-trained LLM
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["recipe"] == "mini" and [s["stage"] for s in manifest["recipe_settings"]["stages"]] == [1, 2, 3]
    state = {n: p.detach().clone() for n, p in model.named_parameters()}

    again = io.StringIO()
    run_recipe(MINI, out, progress=again)  # every part is found finished: nothing retrains
    assert "language model: done before" in again.getvalue() and "encoder: done before" in again.getvalue()
    assert all(f"{m} decoder: done before" in again.getvalue() for m in ("image", "video", "audio"))
    assert all(f"stage {s}: done before" in again.getvalue() for s in (1, 2, 3))
    reloaded = load_checkpoint(final)
    for name, param in reloaded.named_parameters():
        assert torch.equal(param, state[name]), name

    changed_llm = dataclasses.replace(MINI, language_model=LanguageModelConfig(steps=4, batch_size=2, warmup_steps=1))
    with pytest.raises(ConfigError, match="stage-1, stage-2, stage-3 were trained on the previous one"):
        run_recipe(changed_llm, out, progress=None)
    changed_decoder = dataclasses.replace(MINI, decoders=dataclasses.replace(MINI_DECODERS, image_renders=5))
    with pytest.raises(ConfigError, match="the decoders must be trained"):
        run_recipe(changed_decoder, out, progress=None)
    changed_stage = dataclasses.replace(MINI, stages=(StagePlan(1, steps=3, batch_size=2, learning_rate=1e-3),))
    with pytest.raises(ConfigError, match="stage-1 was trained with other settings"):
        run_recipe(changed_stage, out, progress=None)


@pytest.mark.e2e
def test_a_missing_bundled_folder_is_named(mini_final: Path, tmp_path: Path) -> None:
    final = mini_final
    broken = tmp_path / "broken"
    shutil.copytree(final, broken)
    shutil.rmtree(broken / "llm")
    with pytest.raises(CheckpointError, match=r"llm.path 'llm' names a bundled folder.*no config.json"):
        load_checkpoint(broken)
    shutil.copytree(final / "llm", broken / "llm")
    shutil.rmtree(broken / "decoders" / "audio")
    with pytest.raises(CheckpointError, match=r"decoders.audio.path 'decoders/audio' names a bundled diffusers "
                                              r"pipeline folder.*no model_index.json"):
        read_checkpoint_config(broken)


def test_language_model_texts_do_not_end_turns_that_need_signal_tokens() -> None:
    from nextgpt.core.requests import GenerationRequest
    from nextgpt.training.examples import TargetOutput, TrainingExample

    image = (TargetOutput("image", "a red circle"),)
    texts = chat_texts([TrainingExample(GenerationRequest(text="Describe it."), "a red circle"),
                        TrainingExample(GenerationRequest(text="Draw a red circle."), "", image),
                        TrainingExample(GenerationRequest(text="Show a red circle."), "Here is a red circle.", image)])
    assert texts == ["### Human: Describe it.\n### Assistant: a red circle\n###",
                     "### Human: Show a red circle.\n### Assistant: Here is a red circle."]


def test_the_shipped_checkpoint_loads_by_name_and_describes_held_out_inputs() -> None:
    """Its captions of held-out images and tones name their attributes well above chance (a caption that ignores
    its input scores ~0.33 on images, ~0.29 on tones) and differ between inputs."""
    from benchmarks.datasets.registry import resolve_dataset
    from benchmarks.scoring.attribute_accuracy import CAPTION_ATTRIBUTES
    from nextgpt.core.requests import GenerationRequest, MediaInput
    from nextgpt.training.examples import DESCRIBE

    assert resolve_checkpoint(DEFAULT_CHECKPOINT) == SHIPPED_CHECKPOINTS[DEFAULT_CHECKPOINT]
    model = load_checkpoint(resolve_checkpoint(DEFAULT_CHECKPOINT))
    for family, modality in (("image-captions", "image"), ("audio-captions", "audio")):
        samples = resolve_dataset(family, None, limit=16, seed=0, split="test").samples
        answers = model.generate([GenerationRequest(DESCRIBE[modality], (MediaInput(modality, s.inputs[0].path),))
                                  for s in samples])
        named = [f" {sample.metadata[key]!s} " in f" {answer.text.lower().replace(',', ' ')} "
                 for sample, answer in zip(samples, answers, strict=True) for key in CAPTION_ATTRIBUTES[modality]]
        assert sum(named) / len(named) >= 0.45, (modality, [a.text for a in answers])
        assert len({a.text for a in answers}) >= 3, (modality, [a.text for a in answers])
