"""Seeded random media files for profiling a model that reads media the way a user gives them (files).

NExT-GPT is profiled on already preprocessed tensors (``session.profiling_requests``): its preprocessing is not a
stage. Any other model (an adapter) takes its media as a user would, so it gets a small file of each input
modality -- a PNG image, an MP4 video, a WAV clip -- written into a folder the caller owns (a temporary one in
``session.profile_model``); reading and preprocessing the file is then part of the model's ``other`` time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from nextgpt.core.media.audio import write_wav
from nextgpt.core.media.images import write_png
from nextgpt.core.media.video import write_video
from nextgpt.core.modalities import Modality

#: small enough to write in milliseconds, large enough for any preprocessing to resize from
IMAGE_SIDE = 64
VIDEO_FRAMES = 8
AUDIO_SECONDS = 1.0
AUDIO_RATE = 16000


def write_sample_media(modality: Modality, folder: Path, name: str, rng: np.random.Generator) -> Path:
    """One random ``modality`` file ``folder/name.<ext>`` drawn from ``rng``; returns the path written."""
    if modality == "image":
        pixels = rng.integers(0, 256, (IMAGE_SIDE, IMAGE_SIDE, 3), dtype=np.uint8)
        return write_png(Image.fromarray(pixels), folder / f"{name}.png")
    if modality == "video":
        frames = rng.integers(0, 256, (VIDEO_FRAMES, IMAGE_SIDE, IMAGE_SIDE, 3), dtype=np.uint8)
        return write_video(frames, folder / f"{name}.mp4")
    samples = (rng.uniform(-0.5, 0.5, int(AUDIO_SECONDS * AUDIO_RATE))).astype(np.float32)
    return write_wav(samples, folder / f"{name}.wav", sample_rate=AUDIO_RATE)
