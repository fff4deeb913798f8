"""Non-canonical extractors for tests and offline runs: small random networks with a fixed seed.

Their numbers are only comparable with numbers from the same toy network (same name, same seed); results
carry the name (``fid[toy]``) and are refused when compared with canonical ones.
"""

from __future__ import annotations

import hashlib

import torch
from torch import nn

from metrics.extractors.base import ExtractorIdentity, FeatureExtractor, encode_in_batches
from metrics.extractors.clip import ClipImages, rgb_uint8_images
from metrics.image_resize import resize_images

TOY_SEED = 20240101


def _seeded(module: nn.Module, seed: int) -> str:
    """Initialise parameters from ``seed`` and return the sha256 of the parameters (the 'weights' hash)."""
    generator = torch.Generator().manual_seed(seed)
    digest = hashlib.sha256()
    for _, parameter in sorted(module.named_parameters()):
        with torch.no_grad():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) / max(1, parameter[0].numel()) ** 0.5)
        digest.update(parameter.detach().numpy().tobytes())
    return digest.hexdigest()


class ToyImageExtractor(FeatureExtractor):
    """uint8 RGB (N, 3, H, W) -> 64-d features: resize to 32x32, two convs, global pooling."""

    def __init__(self, name: str = "toy", feature_dim: int = 64, seed: int = TOY_SEED,
                 resize: str = "torch-bilinear") -> None:
        super().__init__(ExtractorIdentity(name, False, None, feature_dim, "uint8 RGB, resize to 32"))
        self.resize = resize
        self.net = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2), nn.Tanh(), nn.Conv2d(16, feature_dim, 3), nn.Tanh())
        sha = _seeded(self, seed)
        self.identity = ExtractorIdentity(name, False, sha, feature_dim, f"uint8 RGB, {resize} resize to 32")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = resize_images(images, 32, self.resize) / 127.5 - 1.0
        return self.net(x).mean(dim=(2, 3))


class ToyAudioExtractor(FeatureExtractor):
    """VGGish-shaped input (N, 1, 96, 64) log-mel examples -> 16-d embeddings."""

    def __init__(self, name: str = "toy-audio", feature_dim: int = 16, seed: int = TOY_SEED) -> None:
        super().__init__(ExtractorIdentity(name, False, None, feature_dim, "VGGish log-mel examples"))
        self.net = nn.Sequential(nn.Conv2d(1, 8, 5, stride=4), nn.Tanh(), nn.Flatten(), nn.LazyLinear(feature_dim))
        self.net(torch.zeros(1, 1, 96, 64))  # materialise the lazy layer before seeding
        sha = _seeded(self, seed)
        self.identity = ExtractorIdentity(name, False, sha, feature_dim, "VGGish log-mel examples")

    def forward(self, examples: torch.Tensor) -> torch.Tensor:
        return self.net(examples)


class ToyTextImageModel(nn.Module):
    """A CLIP-shaped toy: byte-level text encoder with a 77-token context and a toy image encoder."""

    context_length = 77
    image_preprocessing = "toy"

    def __init__(self, name: str = "toy-clip", dim: int = 32, seed: int = TOY_SEED) -> None:
        super().__init__()
        self.name = name
        self.image = ToyImageExtractor(name=f"{name}-image", feature_dim=dim, seed=seed)
        self.token_embedding = nn.Embedding(258, dim)
        self.weights_sha256 = _seeded(self, seed)

    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, list[bool]]:
        """Bytes + start/end tokens, truncated to the context; also whether each text was truncated."""
        rows, truncated = [], []
        for text in texts:
            ids = [256, *text.encode("utf-8"), 257]
            truncated.append(len(ids) > self.context_length)
            ids = ids[: self.context_length]
            rows.append(ids + [0] * (self.context_length - len(ids)))
        return torch.tensor(rows), truncated

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        mask = (tokens != 0).to(torch.float32)[..., None]
        return (self.token_embedding(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1)

    def encode_image(self, images: ClipImages) -> torch.Tensor:
        """Any CLIP image input (see metrics.extractors.clip); each image is resized to 32x32 on its own, so
        images of different sizes go into one batch (the resize is per image anyway: same numbers).  Batched like
        the real CLIP (``encode_in_batches``)."""
        arrays = rgb_uint8_images(images, f"{self.name} images")  # may be read-only views (PIL, decoded files)
        pixels = [torch.from_numpy(a if a.flags.writeable else a.copy()).permute(2, 0, 1)[None] for a in arrays]
        resized = torch.cat([resize_images(p, 32, self.image.resize) for p in pixels])
        return encode_in_batches(self.image, resized, f"{self.name} images", "images")
