"""Generated media <-> stored bytes, losslessly, so that rescoring a stored run gives the same numbers.

Images: PNG.  Videos: animated PNG (lossless, and browsers play it in an <img>).  Audio: 32-bit float WAV.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence, PngImagePlugin

from nextgpt.core.errors import MediaError

SUFFIX = {"image": ".png", "video": ".apng", "audio": ".wav"}


def encode_image(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


#: every stored video plays at this rate; :func:`read_video` relies on it to undo Pillow's frame merging
VIDEO_FPS = 8
FRAME_COUNT_KEY = "nextgpt-bench frames"
_FRAME_MS = 1000 / VIDEO_FPS


def encode_video(frames: np.ndarray) -> bytes:
    """Animated PNG at VIDEO_FPS. Pillow writes a run of identical frames as one frame with the summed duration;
    :func:`read_video` expands it again, so a frozen video keeps its frame count."""
    pictures = [Image.fromarray(np.asarray(frame, dtype=np.uint8)) for frame in frames]
    count = PngImagePlugin.PngInfo()
    count.add_text(FRAME_COUNT_KEY, str(len(pictures)))  # all frames identical: Pillow writes a still PNG
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="PNG", save_all=True, append_images=pictures[1:], duration=int(_FRAME_MS),
                     loop=0, pnginfo=count)
    return buffer.getvalue()


def encode_audio(samples: np.ndarray, sample_rate: int) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(samples, dtype=np.float32), sample_rate, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def read_image(path: Path) -> np.ndarray:
    """(H, W, 3) uint8"""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def read_video(path: Path) -> np.ndarray:
    """(F, H, W, 3) uint8 from an animated PNG, or any video FFmpeg reads."""
    if path.suffix == ".apng":
        with Image.open(path) as image:
            recorded = int(image.info.get(FRAME_COUNT_KEY, 0))
            frames = []
            for frame in ImageSequence.Iterator(image):
                repeats = max(1, round(float(frame.info.get("duration", _FRAME_MS)) / _FRAME_MS))
                frames += [np.asarray(frame.convert("RGB"), dtype=np.uint8)] * repeats
        if recorded and len(frames) == 1:
            frames *= recorded
        if recorded and len(frames) != recorded:
            raise MediaError(f"{path}: holds {len(frames)} frames at {VIDEO_FPS} fps but records {recorded}; the "
                             "file was not written by this suite or is damaged")
        return np.stack(frames)
    from nextgpt.model.encoder.media import read_video_frames

    return read_video_frames(path)[0]


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as error:
        raise MediaError(f"cannot read audio {path}: {error}") from error
    return samples.mean(axis=1), int(rate)
