"""Reading a stored output or a sample's target as the metrics expect it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.datasets.samples import Sample
from nextgpt.core.errors import MediaError
from nextgpt.core.media import read_media
from nextgpt.core.modalities import Modality

#: FAD (VGGish) and mel_distance are computed on 16 kHz audio; another rate is an error naming the file, never
#: resampled silently (nextgpt.core.media.read_media says why)
SCORED_SAMPLE_RATE = 16000


def read_scored_media(path: Path, modality: Modality) -> np.ndarray:
    """Image (H, W, 3) uint8, video (F, H, W, 3) uint8, or 16 kHz mono float32 audio."""
    return read_media(modality, path, sample_rate=SCORED_SAMPLE_RATE)


def read_target(sample: Sample, modality: Modality) -> np.ndarray:
    """The sample's reference medium of ``modality``."""
    target = next((f for f in sample.targets if f.modality == modality), None)
    if target is None:
        raise MediaError(f"sample {sample.id}: no {modality} target to score the output against (its targets: "
                         f"{', '.join(f.modality for f in sample.targets) or 'none'})")
    return read_scored_media(target.path, modality)
