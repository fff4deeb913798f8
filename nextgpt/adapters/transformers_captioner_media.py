"""A captioner's one medium, read from a request as the arrays a transformers processor takes.

* **image**: a file (any picture Pillow reads) or a PIL image, as ``(H, W, 3)`` uint8 RGB;
* **video**: a file (any video FFmpeg reads, or a stored animated PNG) decoded whole, of which exactly ``frames``
  frames are kept, evenly spaced with the first and the last included: ``linspace(0, T - 1, frames)`` rounded
  half to even (the spacing of ``metrics/frame_picking.py``, except that a clip shorter than ``frames`` repeats
  frames, since the encoder reads a fixed count). Each frame then goes through the folder's image processor as
  an image, so the pixels are prepared exactly as the captioner's own image processor prepares them;
* **audio**: a file libsndfile reads, downmixed to mono and resampled, when it is at another rate, to the
  feature extractor's rate (16 kHz for Whisper) with the project's one resampler. The feature extractor then
  pads or cuts the clip to its window (30 s for published Whisper models).

Preprocessed tensors (ImageBind's layout, which NExT-GPT accepts) are not pixels a captioner's processor can
read; they are refused with the request's index.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from nextgpt.core.errors import ConfigError
from nextgpt.core.media import read_audio, read_image, read_video
from nextgpt.core.media.checks import ImageArray, check_image_array
from nextgpt.core.requests import MediaInput


def evenly_spaced_frames(count: int, frames: int) -> list[int]:
    """The indices of the ``frames`` frames kept from a clip of ``count`` (see the module docstring)."""
    if count < 1 or frames < 1:
        raise ConfigError(f"cannot pick {frames} frame(s) from a clip of {count} frame(s)")
    return [int(i) for i in np.linspace(0, count - 1, frames).round()]


def _path(medium: MediaInput, where: str) -> str:
    if isinstance(medium.source, (str, Path)):
        return str(medium.source)
    raise ConfigError(f"{where} gives {medium.describe()}; this adapter reads {medium.modality} files"
                      + (" or PIL images" if medium.modality == "image" else "")
                      + ", not preprocessed tensors (those are in NExT-GPT's ImageBind layout)")


def read_image_input(medium: MediaInput, where: str) -> ImageArray:
    if isinstance(medium.source, Image.Image):
        return check_image_array(np.array(medium.source.convert("RGB"), dtype=np.uint8), where)
    return read_image(_path(medium, where))


def read_video_input(medium: MediaInput, where: str, frames: int) -> list[ImageArray]:
    clip = read_video(_path(medium, where))
    return [clip[index] for index in evenly_spaced_frames(len(clip), frames)]


def read_audio_input(medium: MediaInput, where: str, sample_rate: int) -> npt.NDArray[np.float32]:
    waveform, _ = read_audio(_path(medium, where), sample_rate, resample=True)
    return waveform
