"""Stored videos: animated PNG (lossless, and browsers play it in an ``<img>``), always at :data:`VIDEO_FPS`.

Pillow writes a run of identical consecutive frames as one frame with the summed duration (and a video whose
frames are all identical as a still PNG). :func:`read_apng` expands every frame to ``duration / frame time``
copies, and the frame count recorded in a text chunk restores a still, so a frozen video keeps its frame count
-- frame-paired metrics (CLIP-I) would compare the wrong frames otherwise.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageSequence, PngImagePlugin

from nextgpt.core.errors import MediaError
from nextgpt.core.media.checks import VideoArray, as_uint8, check_video_array
from nextgpt.core.media.images import opened_image

#: every stored video plays at this rate; :func:`read_apng` relies on it to undo Pillow's frame merging
VIDEO_FPS = 8
FRAME_COUNT_KEY = "nextgpt-bench frames"
_FRAME_MS = 1000 / VIDEO_FPS


def encode_video(frames: npt.ArrayLike) -> bytes:
    """Animated PNG bytes of ``(T, H, W, 3)`` uint8 frames at VIDEO_FPS, recording T (see the module doc)."""
    video = check_video_array(as_uint8(frames, "video to encode"), "video to encode")
    pictures = [Image.fromarray(frame) for frame in video]
    count = PngImagePlugin.PngInfo()
    count.add_text(FRAME_COUNT_KEY, str(len(pictures)))  # all frames identical: Pillow writes a still PNG
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="PNG", save_all=True, append_images=pictures[1:], duration=int(_FRAME_MS),
                     loop=0, pnginfo=count)
    return buffer.getvalue()


def read_apng(path: str | Path) -> VideoArray:
    """``(T, H, W, 3)`` uint8 frames of an animated PNG written by :func:`encode_video` (any other APNG is read
    frame by frame, each repeated by its duration in frames at VIDEO_FPS)."""
    expected = "an animated PNG"
    with opened_image(path, "video", expected) as image:
        recorded = _recorded_count(path, image.info.get(FRAME_COUNT_KEY))
        frames: list[npt.NDArray[np.uint8]] = []
        for frame in ImageSequence.Iterator(image):
            repeats = max(1, round(float(frame.info.get("duration", _FRAME_MS)) / _FRAME_MS))
            frames += [np.asarray(frame.convert("RGB"), dtype=np.uint8)] * repeats
    if recorded and len(frames) == 1:
        frames *= recorded
    if recorded and len(frames) != recorded:
        raise MediaError(f"video {path}: holds {len(frames)} frames at {VIDEO_FPS} fps but records {recorded}; "
                         "the file was not written by this suite or is damaged")
    return check_video_array(np.stack(frames), f"video {path}")


def _recorded_count(path: str | Path, text: object) -> int:
    """The frame count recorded by :func:`encode_video` (0: none recorded)."""
    if text is None:
        return 0
    try:
        count = int(str(text))
    except ValueError:
        count = -1
    if count < 1:
        raise MediaError(f"video {path}: its {FRAME_COUNT_KEY!r} text chunk is {text!r}; expected a positive "
                         "frame count")
    return count
