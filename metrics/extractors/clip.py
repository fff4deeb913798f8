"""CLIP text/image encoders for CLIP score, CLIP-I and CLIPSIM (OpenAI weights through open_clip).

Image preprocessing is CLIP's: bicubic resize of the shorter side to the input size, centre crop, CLIP mean/std
normalisation -- done in torch on uint8 tensors (recorded as ``clip-bicubic-center-crop``). Text is tokenised
with CLIP's BPE into a 77-token context; longer texts are truncated and *counted*.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import torch
import torch.nn.functional as F

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
CLIP_RESIZE = "clip-bicubic-center-crop"


class TextImageModel(Protocol):
    """What the CLIP metrics need; canonical CLIP and the toy model both implement it."""

    name: str
    weights_sha256: str | None

    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, list[bool]]: ...

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor: ...

    def encode_image(self, images: torch.Tensor) -> torch.Tensor: ...


def clip_preprocess(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> normalised float (N, 3, size, size)."""
    x = images.to(torch.float32) / 255.0
    height, width = x.shape[-2:]
    scale = size / min(height, width)
    new_h, new_w = max(size, round(height * scale)), max(size, round(width * scale))
    x = F.interpolate(x, size=(new_h, new_w), mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    x = x[..., top : top + size, left : left + size]
    mean = torch.tensor(CLIP_MEAN)[None, :, None, None]
    std = torch.tensor(CLIP_STD)[None, :, None, None]
    return (x - mean) / std


class OpenClipModel:
    """An OpenAI CLIP checkpoint (``ViT-B-32.pt`` / ``ViT-L-14.pt``) loaded from a local file by open_clip."""

    context_length = 77

    def __init__(self, name: str, architecture: str, weights: Path, weights_sha256: str) -> None:
        import open_clip
        from open_clip.openai import load_openai_model

        self.name, self.weights_sha256 = name, weights_sha256
        self.model = load_openai_model(str(weights), device="cpu").eval()
        self.tokenizer = open_clip.get_tokenizer(architecture)
        self.image_size = int(self.model.visual.image_size[0]
                              if isinstance(self.model.visual.image_size, tuple | list)
                              else self.model.visual.image_size)

    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, list[bool]]:
        encoder = getattr(self.tokenizer, "encode", None)
        truncated = [len(encoder(t)) + 2 > self.context_length for t in texts] if encoder else [False] * len(texts)
        return self.tokenizer(texts), truncated

    @torch.inference_mode()
    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.model.encode_text(tokens).float()

    @torch.inference_mode()
    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(clip_preprocess(images, self.image_size)).float()
