"""Tiny diffusers pipeline folders: the tiny preset's decoders saved as a user's pipeline folder would be.

``write_tiny_pipeline("image" | "video" | "audio", folder)`` builds that modality's decoder of the tiny NExT-GPT
preset (random weights, seeded with the preset's ``init_seed``, so writing twice gives the same files) with its
tokenizer -- a character-level CLIP tokenizer for Stable Diffusion and TextToVideoSD, a byte-level RoBERTa one for
AudioLDM's CLAP text encoder -- and saves the pipeline with diffusers' ``save_pretrained``. The folder then loads
with ``<PipelineClass>.from_pretrained(folder, local_files_only=True)`` exactly as a downloaded SD-1.5, Zeroscope or
AudioLDM folder does.

The folder is written beside its target and renamed into place, so it is never half written; an existing pipeline
folder there is replaced, anything else is refused.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from nextgpt.core.errors import ConfigError
from nextgpt.model.decoders.build import build_decoder
from nextgpt.model.presets import tiny
from nextgpt.model.tiny_tokenizers import write_clip_tokenizer, write_roberta_tokenizer

#: The pipeline class each modality's folder holds.
PIPELINE_CLASSES = {"image": "StableDiffusionPipeline", "video": "TextToVideoSDPipeline",
                    "audio": "AudioLDMPipeline"}
#: RoBERTa numbers positions from padding_idx + 1, so CLAP's text encoder reads two tokens fewer than its positions.
_ROBERTA_POSITION_OFFSET = 2


def write_tiny_pipeline(modality: str, folder: Path) -> Path:
    """Save the tiny preset's ``modality`` decoder as a diffusers pipeline folder at ``folder``; returns it."""
    if modality not in PIPELINE_CLASSES:
        raise ConfigError(f"write_tiny_pipeline: modality must be one of {', '.join(PIPELINE_CLASSES)} (the tiny "
                          f"preset's decoders), got {modality!r}")
    folder = Path(folder)
    _check_target(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # a plain mkdir (not mkdtemp, which makes the folder private) so the pipeline gets the user's usual permissions
    staging = folder.with_name(f".{folder.name}.{secrets.token_hex(4)}.partial")
    staging.mkdir()
    try:
        with tempfile.TemporaryDirectory(prefix="nextgpt-tiny-tokenizer-") as tokenizer_folder:
            _tiny_pipeline(modality, Path(tokenizer_folder)).save_pretrained(str(staging))
        _install(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _tiny_pipeline(modality: str, tokenizer_folder: Path) -> Any:
    """The tiny decoder of ``modality`` as its diffusers pipeline, the tokenizer written under
    ``tokenizer_folder``."""
    config = tiny()
    decoder_config = getattr(config.decoders, modality)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.init_seed)
        decoder = build_decoder(modality, decoder_config, with_tokenizer=False)  # type: ignore[arg-type]
    assert decoder_config.architecture is not None  # the tiny preset builds from component configs
    positions = int(decoder_config.architecture["text_encoder"]["max_position_embeddings"])
    if modality == "audio":
        decoder.tokenizer = write_roberta_tokenizer(
            tokenizer_folder, max_length=min(positions - _ROBERTA_POSITION_OFFSET, 77))
    else:
        decoder.tokenizer = write_clip_tokenizer(tokenizer_folder, max_length=positions)
    return decoder.pipeline()


def _check_target(folder: Path) -> None:
    """Refuse a target that writing would destroy: a file, or a non-empty folder that is not a pipeline folder."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"tiny pipeline target {folder} is a file; expected a folder to write the pipeline into "
                          "(a new path, or an existing pipeline folder to replace)")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "model_index.json").is_file():
        raise ConfigError(f"tiny pipeline target {folder} is a non-empty folder that is not a diffusers pipeline "
                          "(no model_index.json); writing would replace everything in it. Choose a new folder")


def _install(staging: Path, folder: Path) -> None:
    """Move the finished ``staging`` folder to ``folder`` by renames only, replacing what was there."""
    if not folder.exists():
        os.replace(staging, folder)
        return
    backup = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(backup, ignore_errors=True)
    os.replace(folder, backup)
    os.replace(staging, folder)
    shutil.rmtree(backup, ignore_errors=True)
