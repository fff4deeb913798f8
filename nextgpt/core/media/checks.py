"""What a usable medium is: the one set of checks behind every reader and writer of ``nextgpt.core.media``.

Each check returns what it checked or raises :class:`~nextgpt.core.errors.MediaError` whose message starts with
``what`` -- the medium and where it comes from, e.g. ``"audio /data/a.wav"`` or ``"video to encode"`` -- and
says what was expected and what was found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from PIL import Image

from nextgpt.core.errors import MediaError

#: ``(H, W, 3)`` uint8 RGB
ImageArray: TypeAlias = npt.NDArray[np.uint8]
#: ``(T, H, W, 3)`` uint8 RGB frames
VideoArray: TypeAlias = npt.NDArray[np.uint8]
#: ``(samples,)`` mono waveform, nominally in [-1, 1]
Waveform: TypeAlias = npt.NDArray[np.float32] | npt.NDArray[np.float64]


def require_file(path: str | Path, kind: str) -> Path:
    """``path`` as a Path when it names an existing file; ``kind`` is "image", "video" or "audio"."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{kind} file {path} does not exist or is not a file")
    return path


def check_pixel_count(what: str, width: int, height: int) -> None:
    """Refuse, from the header alone, a picture above Pillow's decompression-bomb limit (``MAX_IMAGE_PIXELS``,
    89.5 megapixels; Pillow itself only warns up to twice that): decoding it would take gigabytes of memory,
    and every consumer here (ImageBind, Inception, CLIP) resizes to a few hundred pixels anyway."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        raise MediaError(too_many_pixels(what, f"{width} x {height} = {width * height} pixels"))


def too_many_pixels(what: str, detail: str) -> str:
    return (f"{what} is too large to decode safely ({detail}; the limit is {Image.MAX_IMAGE_PIXELS} pixels, "
            "Pillow's decompression-bomb guard). If you trust the file, downscale it first (ImageBind reads "
            "224 x 224), e.g. `convert in.png -resize 4096x4096 out.png`; from Python you may raise "
            "PIL.Image.MAX_IMAGE_PIXELS")


def as_uint8(array: npt.ArrayLike, what: str) -> npt.NDArray[np.uint8]:
    """``array`` as uint8: uint8 as it is, integers (or booleans) in [0, 255] converted exactly; floats and
    out-of-range values are refused instead of being wrapped or truncated."""
    values = np.asarray(array)
    if values.dtype == np.uint8:
        return values
    if values.dtype.kind not in "biu":
        raise MediaError(f"{what}: expected uint8 pixel values in [0, 255], got a {values.dtype} array (scale "
                         "and convert floats explicitly, e.g. (x * 255).round().astype(np.uint8))")
    if values.size and (values.min() < 0 or values.max() > 255):
        raise MediaError(f"{what}: expected pixel values in [0, 255], got values from {values.min()} to "
                         f"{values.max()}")
    return values.astype(np.uint8)


def check_image_array(array: npt.NDArray[np.uint8], what: str) -> ImageArray:
    """An ``(H, W, 3)`` uint8 image with at least one pixel."""
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3 or 0 in array.shape:
        raise MediaError(f"{what}: expected an (H, W, 3) uint8 RGB image with H, W > 0, got a {array.dtype} "
                         f"array of shape {tuple(array.shape)}")
    return array


def check_video_array(array: npt.NDArray[np.uint8], what: str) -> VideoArray:
    """A ``(T, H, W, 3)`` uint8 video with at least one frame of at least one pixel."""
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[3] != 3 or 0 in array.shape:
        raise MediaError(f"{what}: expected (T, H, W, 3) uint8 RGB frames with T, H, W > 0, got a {array.dtype} "
                         f"array of shape {tuple(array.shape)}")
    return array


def check_waveform(array: npt.ArrayLike, what: str) -> npt.NDArray[np.float32]:
    """A 1-D, non-empty, finite float mono waveform, as float32 (what every writer stores). Integer samples are
    refused: their scale (int16 full scale 32767?) is a guess this module does not make."""
    values = np.asarray(array)
    if values.dtype.kind != "f":
        raise MediaError(f"{what}: expected a float mono waveform in [-1, 1], got a {values.dtype} array")
    if values.ndim != 1:
        raise MediaError(f"{what}: expected a 1-D mono waveform (samples,), got shape {tuple(values.shape)}; "
                         "average the channels first")
    if values.size == 0:
        raise MediaError(f"{what} holds no samples")
    samples = values.astype(np.float32, copy=False)
    if not np.isfinite(samples).all():
        raise MediaError(f"{what} contains NaN or infinite samples")
    return samples


def check_sample_rate(rate: int, what: str) -> int:
    """A sample rate: a positive integer number of samples per second."""
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate <= 0:
        raise MediaError(f"{what}: expected a positive integer sample rate in Hz, got {rate!r}")
    return int(rate)


def require_sample_rate(what: str, rate: int, expected: int, *, resample_option: str | None = None) -> None:
    """Refuse audio at ``rate`` where ``expected`` Hz is needed. ``resample_option``: how the caller converts
    on reading (e.g. "resample=True"), offered as the alternative to resampling the file."""
    if rate == expected:
        return
    fix = f"resample it, e.g. `sox in.wav -r {expected} out.wav`"
    if resample_option:
        fix += f", or pass {resample_option}"
    raise MediaError(f"{what} is sampled at {rate} Hz; expected {expected} Hz ({fix})")
