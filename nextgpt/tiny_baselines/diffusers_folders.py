"""Tiny diffusers pipeline folders: the tiny preset's decoders saved as a user's pipeline folder would be.

``write_tiny_pipeline("image" | "video" | "audio", folder)`` builds that modality's decoder of the tiny NExT-GPT
preset (random weights, seeded with the preset's ``init_seed``, so writing twice gives the same files) with its
tokenizer -- a character-level CLIP tokenizer for Stable Diffusion and TextToVideoSD, a byte-level RoBERTa one for
AudioLDM's CLAP text encoder -- and saves the pipeline with diffusers' ``save_pretrained``. The folder then loads
with ``<PipelineClass>.from_pretrained(folder, local_files_only=True)`` exactly as a downloaded SD-1.5, Zeroscope or
AudioLDM folder does.

The folder is written beside its target and renamed into place, so it is never half written; the target must be
new or empty (``nextgpt.tiny_baselines.atomic_folder``): a user's downloaded pipeline there is never replaced.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch

from nextgpt.core.errors import ConfigError
from nextgpt.model.decoders.build import build_decoder
from nextgpt.model.presets import tiny
from nextgpt.model.tiny_tokenizers import write_clip_tokenizer, write_roberta_tokenizer
from nextgpt.tiny_baselines.atomic_folder import write_folder_atomically

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

    def write(target: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="nextgpt-tiny-tokenizer-") as tokenizer_folder:
            _tiny_pipeline(modality, Path(tokenizer_folder)).save_pretrained(str(target))

    return write_folder_atomically(Path(folder), write, what=f"the tiny {modality} pipeline")


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
