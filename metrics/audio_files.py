"""Reading audio for FAD: broken files are errors naming them, conversions are logged.

Files are read by ``nextgpt.core.media.read_audio`` in float64 (the one reader and the one set of checks).
Stereo is downmixed by averaging the channels (what torchvggish does) and the downmix is recorded. A sample
rate other than 16 kHz is an error unless ``resample=True``, which uses the project's one resampler,
``scipy.signal.resample_poly`` (a Kaiser-windowed polyphase filter, the closest in kind to the resampy filter of
the VGGish/FAD references; see ``nextgpt/core/media/resample.py``), and records that choice (resamplers move
FAD by a few percent).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from metrics.defaults import VGGISH_SAMPLE_RATE
from metrics.errors import MediaError
from metrics.media_folders import list_media
from nextgpt.core.media import RESAMPLER, read_audio

logger = logging.getLogger("metrics")

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")

__all__ = ["AUDIO_SUFFIXES", "RESAMPLER", "list_audio", "load_audio", "load_audio_examples"]


def list_audio(folder: str | Path) -> list[Path]:
    return list_media(folder, AUDIO_SUFFIXES, "audio files")


def load_audio(path: str | Path, *, resample: bool = False, warnings: list[str] | None = None) -> torch.Tensor:
    """16 kHz mono float64 waveform in [-1, 1] of shape (T,); each conversion is logged and appended to
    ``warnings`` (provenance)."""
    notes: list[str] = []
    waveform, _ = read_audio(path, VGGISH_SAMPLE_RATE, resample=resample, dtype="float64", notes=notes,
                             resample_option="resample=True (--resample)")
    for note in notes:
        logger.warning(note)
        if warnings is not None:
            warnings.append(note)
    return torch.from_numpy(np.ascontiguousarray(waveform))


def load_audio_examples(path: str | Path, *, resample: bool = False,
                        warnings: list[str] | None = None) -> torch.Tensor:
    """(n_examples, 1, 96, 64) VGGish log-mel examples of one file; a clip too short for one 0.96 s example
    (or otherwise unusable) is an error naming the file, not a bare duration."""
    from metrics.extractors.vggish import waveform_to_examples

    waveform = load_audio(path, resample=resample, warnings=warnings)
    try:
        return waveform_to_examples(waveform.float())
    except MediaError as error:
        raise MediaError(f"audio file {path}: {error}") from error
