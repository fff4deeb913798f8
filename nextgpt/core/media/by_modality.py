"""The one modality -> reader table (scoring, pairing, training targets) and the results store's file suffixes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from nextgpt.core.media.audio import read_audio
from nextgpt.core.media.checks import require_sample_rate
from nextgpt.core.media.images import read_image
from nextgpt.core.media.video import read_video
from nextgpt.core.modalities import Modality, check_modality

#: The suffix the results store gives each modality's files (PNG, animated PNG, float WAV: all lossless).
STORED_SUFFIX: dict[Modality, str] = {"image": ".png", "video": ".apng", "audio": ".wav"}


def read_media(modality: str, path: str | Path, *, sample_rate: int | None = None
               ) -> npt.NDArray[np.uint8] | npt.NDArray[np.float32]:
    """The medium at ``path`` as an array: an image ``(H, W, 3)`` uint8, a video ``(T, H, W, 3)`` uint8 or
    audio as a mono float32 waveform.

    ``sample_rate``: audio must be at this rate; another rate is an error naming the file, never resampled
    here (a resampler moves FAD and mel distances: read as 16 kHz, a 32 kHz copy of a reference scored FAD 0.82
    and mel distance 3.0 against itself instead of 0, see benchmarks/sensitivity.py). An unknown modality is
    a ConfigError naming it.
    """
    kind = check_modality(modality, where=f"read_media({str(path)!r})")
    if kind == "image":
        return read_image(path)
    if kind == "video":
        return read_video(path)
    waveform, rate = read_audio(path)
    if sample_rate is not None:
        require_sample_rate(f"audio {path}", rate, sample_rate)
    return waveform
