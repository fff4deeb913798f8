"""Reading audio for FAD with soundfile: broken files are errors naming them, conversions are logged.

Stereo is downmixed by averaging the channels (what torchvggish does) and the downmix is recorded. A sample
rate other than 16 kHz is an error unless ``resample=True``, which uses scipy's polyphase resampler and records
that choice (resamplers move FAD by a few percent).
"""

from __future__ import annotations

import logging
from math import gcd
from pathlib import Path

import numpy as np
import torch

from metrics.defaults import VGGISH_SAMPLE_RATE
from metrics.errors import MediaError
from metrics.media_folders import list_media

logger = logging.getLogger("metrics")

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
RESAMPLER = "scipy.signal.resample_poly"


def list_audio(folder: str | Path) -> list[Path]:
    return list_media(folder, AUDIO_SUFFIXES, "audio files")


def load_audio(path: str | Path, *, resample: bool = False, warnings: list[str] | None = None) -> torch.Tensor:
    """16 kHz mono float64 waveform in [-1, 1] of shape (T,)."""
    import soundfile

    path = Path(path)
    try:
        data, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    except (RuntimeError, OSError, ValueError) as error:  # soundfile.LibsndfileError is a RuntimeError
        raise MediaError(f"cannot read audio file {path}: {error}; fix or remove it (it is never scored as "
                         "silence)") from error
    if data.shape[0] == 0:
        raise MediaError(f"audio file {path} has no samples")
    if not np.isfinite(data).all():
        raise MediaError(f"audio file {path} contains NaN or inf samples")
    notes = []
    if data.shape[1] > 1:
        notes.append(f"{path}: downmixed {data.shape[1]} channels to mono by averaging")
        data = data.mean(axis=1, keepdims=True)
    waveform = data[:, 0]
    if rate != VGGISH_SAMPLE_RATE:
        if not resample:
            raise MediaError(f"{path}: sample rate {rate} Hz, VGGish/FAD needs {VGGISH_SAMPLE_RATE} Hz; resample "
                             "the file or pass resample=True (--resample) to use " + RESAMPLER)
        from scipy.signal import resample_poly

        factor = gcd(int(rate), VGGISH_SAMPLE_RATE)
        waveform = resample_poly(waveform, VGGISH_SAMPLE_RATE // factor, int(rate) // factor)
        notes.append(f"{path}: resampled {rate} Hz -> {VGGISH_SAMPLE_RATE} Hz with {RESAMPLER}")
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
