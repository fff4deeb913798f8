"""The one base class every feature extractor implements, and the record of what it is."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ExtractorIdentity:
    """What goes into provenance: the registry name, whether it is the canonical network, weights sha256."""

    name: str
    canonical: bool
    weights_sha256: str | None
    feature_dim: int
    input_convention: str  # e.g. "uint8 RGB, tf-bilinear resize to 299, (x-128)/128"


class FeatureExtractor(nn.Module):
    """Maps a batch of inputs to (N, feature_dim) float features. Always in eval mode, never trained."""

    identity: ExtractorIdentity

    def __init__(self, identity: ExtractorIdentity) -> None:
        super().__init__()
        self.identity = identity

    @property
    def name(self) -> str:
        return self.identity.name

    def extract(self, batch: torch.Tensor) -> torch.Tensor:
        """Features of a batch, without gradients, in float64 on the CPU."""
        self.eval()
        with torch.inference_mode():
            return self(batch).to(torch.float64).cpu()
