"""Pre-training of the tiny decoders (recipe part 0c): diffusers pipeline folders that resume, load through the
diffusers adapter and through a checkpoint that bundles them."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from nextgpt.training.decoder_pretraining import (
    DecoderPretrainingConfig,
    decoder_settings,
    pretrain_decoders,
    pretraining_settings,
)
from nextgpt.training.decoder_tokenizer import build_word_tokenizer, caption_words
from nextgpt.training.latent_diffusion import AutoencoderTraining, DenoiserTraining
from nextgpt.training.vocoder_training import VocoderTraining

#: a few steps of every part on a handful of renders: what is checked is the plumbing, not the quality
MINI_DECODERS = DecoderPretrainingConfig(
    autoencoder=AutoencoderTraining(steps=2, batch_size=3), image=DenoiserTraining(steps=2, batch_size=3),
    video=DenoiserTraining(steps=2, batch_size=2), audio_autoencoder=AutoencoderTraining(steps=2, batch_size=3),
    audio=DenoiserTraining(steps=2, batch_size=3), vocoder=VocoderTraining(steps=2, batch_size=2, crop_frames=4),
    image_renders=6, video_renders=3, num_inference_steps=2)
PIPELINES = {"image": "StableDiffusionPipeline", "video": "TextToVideoSDPipeline", "audio": "AudioLDMPipeline"}


#: the tests on these decoders follow a real (if short) pre-training run of all three: end-to-end, marker e2e
@pytest.fixture(scope="module")
def decoders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pretrain_decoders(MINI_DECODERS, tmp_path_factory.mktemp("decoders"), progress=None)


@pytest.mark.e2e
def test_every_decoder_is_a_diffusers_pipeline_folder(decoders: dict[str, Path]) -> None:
    for modality, folder in decoders.items():
        index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
        assert index["_class_name"] == PIPELINES[modality]
        note = json.loads((folder / "pretraining.json").read_text(encoding="utf-8"))
        assert note["settings"]["seed"] == 0 and "denoiser" in note["losses"]
    # the video decoder decodes frames with the image decoder's VAE
    assert (decoders["image"] / "vae" / "diffusion_pytorch_model.safetensors").read_bytes() == \
        (decoders["video"] / "vae" / "diffusion_pytorch_model.safetensors").read_bytes()


@pytest.mark.e2e
def test_a_rerun_reuses_finished_decoders_and_retrains_changed_ones(decoders: dict[str, Path],
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "decoders"  # a copy: the other tests keep the fixture's decoders
    shutil.copytree(decoders["image"].parent, out)
    log = io.StringIO()
    pretrain_decoders(MINI_DECODERS, out, progress=log)
    assert all(f"{m} decoder: done before" in log.getvalue() for m in PIPELINES)
    # a change to one decoder's training retrains that decoder alone
    changed = dataclasses.replace(MINI_DECODERS, image=DenoiserTraining(steps=3, batch_size=3))
    log = io.StringIO()
    pretrain_decoders(changed, out, progress=log)
    assert "image decoder: trained in" in log.getvalue()
    assert "video decoder: done before" in log.getvalue() and "audio decoder: done before" in log.getvalue()


@pytest.mark.parametrize("modality", list(PIPELINES))
@pytest.mark.e2e
def test_the_folders_generate_through_the_diffusers_adapter(decoders: dict[str, Path], modality: str) -> None:
    from nextgpt.adapters.diffusers_pipelines import load_diffusers_adapter
    from nextgpt.adapters.settings import AdapterSettings
    from nextgpt.core.requests import GenerationRequest

    settings = decoder_settings(MINI_DECODERS, modality)
    options = {"video": {"num_frames": settings.get("num_frames")},
               "audio": {"audio_length_in_s": settings.get("audio_length_s")}}.get(modality, {})
    adapter = load_diffusers_adapter(decoders[modality], AdapterSettings(num_inference_steps=2), options=options)
    result = adapter.generate([GenerationRequest(text="a large red circle in the center on a white background",
                                                 want=frozenset({modality}))])[0]
    produced = {"image": result.images, "video": result.videos, "audio": result.audios}[modality]
    assert len(produced) == 1


def test_the_recorded_settings_are_the_same_in_every_process() -> None:
    """A rerun (a new process, another hash seed) must find the same settings, or every decoder would retrain."""
    import os
    import subprocess
    import sys

    script = ("import json; from nextgpt.training.decoder_pretraining import pretraining_settings; "
              "from nextgpt.training.recipe import TINY_TRAINED; "
              "print(json.dumps([pretraining_settings(TINY_TRAINED.decoders, m) for m in ('image', 'video', 'audio')],"
              " sort_keys=True))")
    # both processes at once: each spends its time importing torch and diffusers
    processes = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("1", "2")]
    finished = [(process.communicate(), process.returncode) for process in processes]
    assert all(code == 0 for _, code in finished), [err for (_, err), _ in finished]
    assert len({out for (out, _), _ in finished}) == 1


def test_each_decoder_is_retrained_only_by_what_its_training_reads() -> None:
    base = {m: pretraining_settings(MINI_DECODERS, m) for m in PIPELINES}

    def retrained(**change: object) -> set[str]:
        config = dataclasses.replace(MINI_DECODERS, **change)  # type: ignore[arg-type]
        return {m for m in PIPELINES if pretraining_settings(config, m) != base[m]}

    assert retrained(image=DenoiserTraining(steps=3)) == {"image"}
    # the video decoder encodes its clips with the image decoder's VAE
    assert retrained(autoencoder=AutoencoderTraining(steps=3)) == {"image", "video"}
    assert retrained(video_renders=4) == {"video"}
    assert retrained(vocoder=VocoderTraining(steps=3, crop_frames=4)) == {"audio"}
    assert retrained(seed=1) == set(PIPELINES)
    assert retrained(guidance_scale=7.5, num_inference_steps=50) == set()  # generation settings train nothing
    assert retrained(image=DenoiserTraining(steps=2, batch_size=3, log_every=7)) == set()  # nor does the log


def _image_note(folder: Path, config: DecoderPretrainingConfig) -> Path:
    folder.mkdir(parents=True)
    (folder / "pretraining.json").write_text(json.dumps({"settings": pretraining_settings(config, "image")}),
                                             encoding="utf-8")
    return folder


def test_the_video_decoder_is_never_trained_on_a_missing_or_stale_image_vae(tmp_path: Path) -> None:
    """It encodes its clips with the image decoder's VAE; trained on a stale one, its note would still record the
    current settings and a later run would reuse it as finished."""
    from nextgpt.core.errors import ConfigError
    from nextgpt.training.decoder_pretraining import _check_shared_vae

    with pytest.raises(ConfigError, match=r"none is there.*include 'image'"):
        _check_shared_vae(MINI_DECODERS, tmp_path / "missing")
    stale = dataclasses.replace(MINI_DECODERS, autoencoder=AutoencoderTraining(steps=3, batch_size=3))
    with pytest.raises(ConfigError, match="trained with other settings"):
        _check_shared_vae(MINI_DECODERS, _image_note(tmp_path / "stale", stale))
    # another image UNet training leaves the VAE as it was: the video decoder may train on it
    other_unet = dataclasses.replace(MINI_DECODERS, image=DenoiserTraining(steps=5, batch_size=3))
    _check_shared_vae(MINI_DECODERS, _image_note(tmp_path / "current", other_unet))


def test_the_word_tokenizer_knows_every_caption_word_and_drops_punctuation() -> None:
    tokenizer = build_word_tokenizer(77)
    ids = tokenizer("A red circle, in the center!").input_ids
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert tokenizer.unk_token_id not in ids and len(ids) == 8
    assert {"red", "triangle", "beeping", "gray", "moving"} <= set(caption_words())
    assert tokenizer("a zebra").input_ids[2] == tokenizer.unk_token_id


def test_the_tones_cover_every_pitch_and_pattern() -> None:
    from transformers import SpeechT5HifiGanConfig

    from nextgpt.training import decoder_architectures as arch
    from nextgpt.training.decoder_data import tone_renders

    vocoder = SpeechT5HifiGanConfig(**arch.vocoder())
    renders = tone_renders(vocoder, 64)
    assert renders.media.shape == (12, 1, 64, 32) and renders.waves is not None
    assert renders.waves.shape == (12, 64 * 512)
    assert len({captions[0] for captions in renders.captions}) == 12
    assert np.isfinite(renders.media.numpy()).all()
