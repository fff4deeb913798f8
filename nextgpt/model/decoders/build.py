"""Build a decoder from a local diffusers folder or from component configs (tiny / meta-device presets)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.core.modalities import Modality
from nextgpt.core.pipeline_loading import no_pipeline_loading_bar
from nextgpt.model.config import DecoderConfig
from nextgpt.model.decoders.diffusion_decoder import DECODER_CLASSES, DiffusionDecoder
from nextgpt.model.weights_io import READ_ERRORS

_PIPELINE_NAMES = {"image": "StableDiffusionPipeline", "video": "TextToVideoSDPipeline",
                   "audio": "AudioLDMPipeline"}
_PUBLIC_SOURCES = {"image": "runwayml/stable-diffusion-v1-5", "video": "cerspense/zeroscope_v2_576w",
                   "audio": "cvssp/audioldm-l-full"}


def ddim_scheduler() -> Any:
    """DDIM as SD-1.5 configures it; steps_offset=1 so that a save/load round trip keeps the config."""
    from diffusers import DDIMScheduler

    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                         set_alpha_to_one=False, steps_offset=1)


def _build_module(modality: Modality, name: str, config: dict[str, Any]) -> nn.Module:
    import diffusers
    import transformers

    if name == "unet":
        cls = diffusers.UNet3DConditionModel if modality == "video" else diffusers.UNet2DConditionModel
        return cls.from_config(config)
    if name == "vae":
        return diffusers.AutoencoderKL.from_config(config)
    if name == "text_encoder":
        if modality == "audio":
            return transformers.ClapTextModelWithProjection(transformers.ClapTextConfig(**config))
        return transformers.CLIPTextModel(transformers.CLIPTextConfig(**config))
    if name == "vocoder":
        return transformers.SpeechT5HifiGan(transformers.SpeechT5HifiGanConfig(**config))
    raise ConfigError(f"decoders.{modality}.architecture: unknown component {name!r}")


def _tiny_tokenizer(modality: Modality, text_config: dict[str, Any], folder: Path) -> Any:
    from nextgpt.model.tiny_tokenizers import write_clip_tokenizer, write_roberta_tokenizer

    max_length = int(text_config.get("max_position_embeddings", 77))
    if modality == "audio":
        return write_roberta_tokenizer(folder / "clap_tokenizer", max_length=min(max_length - 2, 77))
    return write_clip_tokenizer(folder / f"{modality}_clip_tokenizer", max_length=max_length)


def build_decoder(modality: Modality, config: DecoderConfig, *, with_tokenizer: bool = True,
                  dtype: torch.dtype | None = None) -> DiffusionDecoder:
    """Build the decoder of ``modality``.  Inside ``accelerate.init_empty_weights()`` this makes meta modules;
    pass ``with_tokenizer=False`` there (tokenizers are not needed to count parameters)."""
    decoder_cls = DECODER_CLASSES[modality]
    if config.path is not None:
        return _load_from_folder(modality, config, decoder_cls, dtype)
    assert config.architecture is not None
    missing = [name for name in decoder_cls.module_names if name not in config.architecture]
    if missing:
        raise ConfigError(f"decoders.{modality}.architecture lacks {', '.join(missing)}")
    modules = {name: _build_module(modality, name, config.architecture[name]) for name in decoder_cls.module_names}
    tokenizer = None
    if with_tokenizer:
        # the tokenizer holds its vocabulary in memory once loaded, so its files need not outlive this call
        with tempfile.TemporaryDirectory(prefix="nextgpt-tokenizers-") as folder:
            tokenizer = _tiny_tokenizer(modality, config.architecture["text_encoder"], Path(folder))
    return decoder_cls(config, modules, tokenizer, ddim_scheduler())


def _load_from_folder(modality: Modality, config: DecoderConfig, decoder_cls: type[DiffusionDecoder],
                      dtype: torch.dtype | None) -> DiffusionDecoder:
    import diffusers

    path = Path(str(config.path))
    if not (path / "model_index.json").is_file():
        raise MissingWeightsError(
            f"decoders.{modality}.path = {path} is not a diffusers pipeline folder (no model_index.json). "
            f"Expected a local copy of {_PUBLIC_SOURCES[modality]} saved in diffusers format "
            f"({_PIPELINE_NAMES[modality]}); nothing is downloaded at run time.")
    pipeline_cls = getattr(diffusers, _PIPELINE_NAMES[modality])
    kwargs: dict[str, Any] = {"local_files_only": True}
    if dtype is not None:
        kwargs["dtype"] = dtype
    if modality == "image":
        kwargs.update(safety_checker=None, requires_safety_checker=False)
    try:
        with no_pipeline_loading_bar():
            pipe = pipeline_cls.from_pretrained(str(path), **kwargs)
    except READ_ERRORS as error:
        raise CheckpointError(f"decoders.{modality}.path = {path}: the {_PIPELINE_NAMES[modality]} cannot be read "
                              f"({error}); a file of the folder is damaged, truncated or not in diffusers "
                              "format") from error
    modules = {name: getattr(pipe, name) for name in decoder_cls.module_names}
    return decoder_cls(config, modules, pipe.tokenizer, pipe.scheduler)
