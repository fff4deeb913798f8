"""The values of a diffusers adapter's own options, checked against the pipeline folder's small config files.

The pipelines refuse a bad size or clip length only when they are called, with a ``ValueError`` from inside
diffusers -- after a command has loaded the weights and created its results store. These checks read the same
numbers from ``vae/config.json``, ``unet/config.json`` and ``vocoder/config.json`` (no weights), so the registry,
the cascade config and the adapters' constructors refuse such a value first, naming the option, the value and what
the folder allows.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nextgpt.core import validation
from nextgpt.core.errors import CheckpointError, ConfigError

#: StableDiffusionPipeline and TextToVideoSDPipeline refuse a height or width that is not a multiple of 8 in their
#: ``check_inputs``, whatever the VAE's own factor.
PIPELINE_SIZE_MULTIPLE = 8


def component_config(folder: Path, component: str) -> dict[str, Any]:
    """``folder/component/config.json`` as a JSON object, or an error naming the file."""
    path = Path(folder) / component / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise CheckpointError(f"{path}: not a readable JSON object ({error}); the pipeline folder is damaged or "
                              "was copied incompletely") from error
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: expected a JSON object, got {type(config).__name__}")
    return config


def _number(config: dict[str, Any], key: str, folder: Path, component: str) -> Any:
    value = config.get(key)
    if value is None:
        raise CheckpointError(f"{Path(folder) / component / 'config.json'}: no {key}; expected the "
                              f"{component}'s config as save_pretrained writes it")
    return value


def vae_scale_factor(folder: Path) -> int:
    """How many pixels (or audio frames) one latent covers: 2 ** (VAE blocks - 1), as every pipeline computes it."""
    blocks = _number(component_config(folder, "vae"), "block_out_channels", folder, "vae")
    return 2 ** (len(blocks) - 1)


def native_size(folder: Path) -> int:
    """The pipeline's default height and width: the UNet's sample size times the VAE's factor."""
    sample_size = _number(component_config(folder, "unet"), "sample_size", folder, "unet")
    if isinstance(sample_size, list):  # a UNet may give (height, width); the adapters draw square frames
        sample_size = sample_size[0]
    return int(sample_size) * vae_scale_factor(folder)


def frame_size(folder: Path, height: Any, width: Any, *, where: str) -> dict[str, int]:
    """``height`` and ``width`` (None: the native size), each a positive multiple of what the pipeline takes."""
    multiple = math.lcm(PIPELINE_SIZE_MULTIPLE, vae_scale_factor(folder))
    native = native_size(folder)
    sizes = {}
    for name, value in (("height", height), ("width", width)):
        size = native if value is None else validation.positive_int(value, name=f"{where}.{name}")
        if size % multiple:
            raise ConfigError(f"{where}.{name}: expected a multiple of {multiple} (the pipeline takes multiples of "
                              f"{PIPELINE_SIZE_MULTIPLE} and its VAE's factor), got {size}")
        sizes[name] = size
    return sizes


def minimum_audio_length(folder: Path) -> float:
    """The shortest clip AudioLDMPipeline draws, in seconds: one latent frame of the VAE times the vocoder's
    samples per mel frame, over its rate -- the product diffusers' ``check_inputs`` compares with."""
    vocoder = component_config(folder, "vocoder")
    rates = _number(vocoder, "upsample_rates", folder, "vocoder")
    sampling_rate = _number(vocoder, "sampling_rate", folder, "vocoder")
    return math.prod(int(rate) for rate in rates) / int(sampling_rate) * vae_scale_factor(folder)


def audio_length(folder: Path, value: Any, *, where: str) -> float:
    """``audio_length_in_s``: a finite number of seconds, at least the folder's minimum."""
    seconds = validation.positive_float(value, name=f"{where}.audio_length_in_s")
    minimum = minimum_audio_length(folder)
    if seconds < minimum:
        raise ConfigError(f"{where}.audio_length_in_s: expected at least {minimum:g} s (one latent frame of the "
                          f"pipeline in {folder}), got {value!r}")
    return seconds
