"""Images: read any picture Pillow decodes as ``(H, W, 3)`` uint8 RGB; write PNG files and stored PNG bytes.

Conversions are documented, not errors: greyscale is replicated to RGB and RGBA/palette images lose alpha
(dropped, as PIL's ``convert("RGB")`` does, which is what torch-fidelity, clean-fid and ImageBind do). A caller
that records provenance passes ``notes`` and gets one line per conversion.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from nextgpt.core.errors import MediaError
from nextgpt.core.media.checks import ImageArray, check_image_array, check_pixel_count, require_file, too_many_pixels

#: What Pillow-read media are expected to be, for error messages.
PILLOW_FORMATS = "PNG, JPEG or another format Pillow reads"


@contextlib.contextmanager
def opened_image(path: str | Path, kind: str = "image", expected: str = PILLOW_FORMATS) -> Iterator[Image.Image]:
    """An opened picture (header read, pixels not yet decoded), refusing missing files and decompression bombs;
    what Pillow raises here or in the ``with`` body becomes a MediaError naming the file and ``expected``."""
    path = require_file(path, kind)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, with the file's name
            image_file = Image.open(path)
        with image_file as image:
            check_pixel_count(f"{kind} {path}", image.width, image.height)
            yield image
    except Image.DecompressionBombError as error:  # Pillow's own guard, raised by open for > 2x its limit
        raise MediaError(too_many_pixels(f"{kind} {path}", str(error))) from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise MediaError(f"{kind} {path} cannot be read as an image ({error}); expected {expected}") from error


def check_image_header(path: str | Path) -> None:
    """Check an image file from its header alone (nothing decoded): it exists, Pillow identifies it, and it is
    not a decompression bomb."""
    with opened_image(path):
        pass


def to_rgb(image: Image.Image, what: str, notes: list[str] | None = None) -> Image.Image:
    """``image`` in RGB mode; a conversion is noted as ``"<what>: converted <mode> image to RGB (...)"``."""
    if image.mode == "RGB":
        return image
    if notes is not None:
        dropped = "A" in image.mode or image.mode == "P"
        notes.append(f"{what}: converted {image.mode} image to RGB"
                     + (" (alpha dropped)" if dropped else " (channels replicated)"))
    return image.convert("RGB")


def read_image(path: str | Path, *, notes: list[str] | None = None) -> ImageArray:
    """The picture at ``path`` as ``(H, W, 3)`` uint8 RGB. Missing, unidentifiable, truncated, oversized
    (decompression bomb) and empty files raise MediaError naming the file; conversions to RGB are appended to
    ``notes`` when given."""
    with opened_image(path) as image:
        image.load()
        if image.width == 0 or image.height == 0:
            raise MediaError(f"image {path} is empty ({image.width}x{image.height})")
        pixels = np.array(to_rgb(image, str(path), notes), dtype=np.uint8)
    return check_image_array(pixels, f"image {path}")


def encode_image(image: Image.Image) -> bytes:
    """PNG bytes of ``image`` in RGB (how the results store keeps generated images: lossless)."""
    if image.width == 0 or image.height == 0:
        raise MediaError(f"image to encode is empty ({image.width}x{image.height}); expected at least one pixel")
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def write_png(image: Image.Image, path: str | Path) -> Path:
    """Write ``image`` (in its own mode) as a PNG file at ``path`` and return the path."""
    path = Path(path)
    if image.width == 0 or image.height == 0:
        raise MediaError(f"image for {path} is empty ({image.width}x{image.height}); expected at least one pixel")
    image.save(path, format="PNG")
    return path
