"""The one base class every feature extractor implements, the record of what it is, and how a large input is fed
to a network: in fixed batches of :data:`EXTRACTION_BATCH` rows, with progress shown once the pass takes a while."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

#: rows a network sees at once.  It bounds memory (30k Inception inputs are 32 GB as one float batch) and paces
#: the progress display.  Fixed, so the batches -- and therefore the float rounding of batched convolutions -- are
#: the same whether or not progress is shown; inputs of up to this many rows go through in one piece as before.
EXTRACTION_BATCH = 256

Batch = TypeVar("Batch", torch.Tensor, np.ndarray, Sequence[Any])


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
        """Features of a batch (of any length: fed in batches of :data:`EXTRACTION_BATCH`), without gradients, in
        float64 on the CPU."""
        self.eval()

        def features(part: torch.Tensor) -> torch.Tensor:
            with torch.inference_mode():
                return self(part).to(torch.float64).cpu()

        return encode_in_batches(features, batch, f"{self.name} features", "inputs")


def encode_in_batches(encode: Callable[[Batch], torch.Tensor], items: Batch, label: str, unit: str) -> torch.Tensor:
    """``encode(items)``, run over consecutive slices of :data:`EXTRACTION_BATCH` rows and concatenated.

    A long pass reports progress (``label``, counted in ``unit``) through ``nextgpt.core.progress`` once it has
    taken :data:`~nextgpt.core.progress.SLOW_WORK_SECONDS`.  Anything that is not a batch (a tensor, an array, a
    list or tuple of items) goes to ``encode`` whole, so that ``encode`` names what is wrong with it.
    """
    if not isinstance(items, (torch.Tensor, np.ndarray, list, tuple)) or len(items) <= EXTRACTION_BATCH:
        return encode(items)
    parts = []
    with progress_task(label, len(items), unit=unit, show_after=SLOW_WORK_SECONDS) as progress:
        for start in range(0, len(items), EXTRACTION_BATCH):
            part = items[start:start + EXTRACTION_BATCH]
            parts.append(encode(part))
            progress.advance(len(part))
    return torch.cat(parts)
