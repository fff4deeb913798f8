"""Reading image folders for FID/KID/CLIP: every file is either used or an error naming it.

Files are read by ``nextgpt.core.media.read_image`` (the one reader and the one set of checks: unreadable,
truncated, oversized and empty files are errors naming the file, never scored as zeros). Conversions are
explicit and logged: grayscale is replicated to RGB and RGBA/palette images lose alpha (composited on nothing:
the alpha channel is dropped, as PIL's ``convert("RGB")`` does, which is what torch-fidelity and clean-fid do);
each conversion is returned as a provenance warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import torch

from metrics.media_folders import list_media
from nextgpt.core.media import read_image

logger = logging.getLogger("metrics")

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")


def list_images(folder: str | Path) -> list[Path]:
    return list_media(folder, IMAGE_SUFFIXES, "images")


def load_image(path: Path, warnings: list[str] | None = None) -> torch.Tensor:
    """uint8 (3, H, W) RGB; each conversion to RGB is logged and appended to ``warnings`` (provenance)."""
    notes: list[str] = []
    pixels = read_image(path, notes=notes)
    for note in notes:
        logger.warning(note)
        if warnings is not None:
            warnings.append(note)
    return torch.from_numpy(pixels).permute(2, 0, 1)


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
