"""Reading image folders for FID/KID/CLIP: every file is either used or an error naming it.

Conversions are explicit and logged: grayscale is replicated to RGB and RGBA/palette images lose alpha
(composited on nothing: the alpha channel is dropped, as PIL's ``convert("RGB")`` does, which is what
torch-fidelity and clean-fid do); each conversion is returned as a provenance warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from metrics.errors import MediaError
from metrics.media_folders import list_media

logger = logging.getLogger("metrics")

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")


def list_images(folder: str | Path) -> list[Path]:
    return list_media(folder, IMAGE_SUFFIXES, "images")


def load_image(path: Path, warnings: list[str] | None = None) -> torch.Tensor:
    """uint8 (3, H, W) RGB; truncated or unreadable files raise :class:`MediaError` with the path."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            if mode != "RGB":
                message = f"{path}: converted {mode} image to RGB" + (
                    " (alpha dropped)" if "A" in mode or mode == "P" else " (channels replicated)")
                logger.warning(message)
                if warnings is not None:
                    warnings.append(message)
                image = image.convert("RGB")
            array = np.asarray(image, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise MediaError(f"cannot read image {path}: {error}; fix or remove the file (it is never scored "
                         "as zeros)") from error
    return torch.from_numpy(array).permute(2, 0, 1)


def iter_image_batches(files: list[Path], batch_size: int, warnings: list[str] | None = None
                       ) -> Iterator[torch.Tensor]:
    """Batches of same-sized uint8 images; differently sized images go into separate batches."""
    batch: list[torch.Tensor] = []
    for path in files:
        image = load_image(path, warnings)
        if batch and (image.shape != batch[0].shape or len(batch) == batch_size):
            yield torch.stack(batch)
            batch = []
        batch.append(image)
    if batch:
        yield torch.stack(batch)
