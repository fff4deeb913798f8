"""Resizing images for feature extractors; the method is part of every image metric's provenance.

clean-fid showed the resize filter alone moves FID by several points, so the method is never implicit:
``tf-bilinear`` (TF1 legacy bilinear without half-pixel centres, as torch-fidelity/torchmetrics use for the
2015 Inception graph), ``torch-bilinear`` (``F.interpolate(..., align_corners=False)``, as pytorch-fid) or
``pil-bicubic`` (PIL bicubic on uint8, close to clean-fid's "clean" mode).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from metrics.errors import ConfigError

RESIZE_METHODS = ("tf-bilinear", "torch-bilinear", "pil-bicubic")


def _tf1_bilinear(x: torch.Tensor, size: int) -> torch.Tensor:
    def axis(n_in: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        src = torch.arange(size, dtype=torch.float64) * (n_in / size)
        low = src.floor().long().clamp(max=n_in - 1)
        high = (low + 1).clamp(max=n_in - 1)
        return low, high, (src - low).to(x.dtype)

    y0, y1, fy = axis(x.shape[2])
    x0, x1, fx = axis(x.shape[3])
    top = x[:, :, y0, :] * (1 - fy)[None, None, :, None] + x[:, :, y1, :] * fy[None, None, :, None]
    return top[:, :, :, x0] * (1 - fx) + top[:, :, :, x1] * fx


def _pil_bicubic(x: torch.Tensor, size: int) -> torch.Tensor:
    from PIL import Image

    out = []
    for image in x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy():
        resized = Image.fromarray(image).resize((size, size), Image.Resampling.BICUBIC)
        out.append(torch.from_numpy(np.asarray(resized).copy()))
    return torch.stack(out).permute(0, 3, 1, 2).to(torch.float32)


def resize_images(images: torch.Tensor, size: int, method: str) -> torch.Tensor:
    """(N, 3, H, W) values in [0, 255] (uint8 or float) -> float32 (N, 3, size, size) in [0, 255]."""
    if method not in RESIZE_METHODS:
        raise ConfigError(f"unknown resize method {method!r}; choose one of {', '.join(RESIZE_METHODS)}")
    x = images.to(torch.float32)
    if x.shape[-2:] == (size, size):
        return x
    if method == "tf-bilinear":
        return _tf1_bilinear(x, size)
    if method == "torch-bilinear":
        return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return _pil_bicubic(x, size)
