"""Generated media <-> stored bytes, losslessly, so that rescoring a stored run gives the same numbers.

Images: PNG.  Videos: animated PNG (lossless, and browsers play it in an <img>).  Audio: 32-bit float WAV.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from nextgpt.errors import MediaError

SUFFIX = {"image": ".png", "video": ".apng", "audio": ".wav"}


def encode_image(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def encode_video(frames: np.ndarray, fps: int = 8) -> bytes:
    pictures = [Image.fromarray(np.asarray(frame, dtype=np.uint8)) for frame in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="PNG", save_all=True, append_images=pictures[1:], duration=int(1000 / fps),
                     loop=0)
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
            return np.stack([np.asarray(frame.convert("RGB"), dtype=np.uint8)
                             for frame in ImageSequence.Iterator(image)])
    from nextgpt.encoder.media import read_video_frames

    return read_video_frames(path)[0]


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as error:
        raise MediaError(f"cannot read audio {path}: {error}") from error
    return samples.mean(axis=1), int(rate)
