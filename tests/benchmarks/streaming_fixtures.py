"""Fixtures shared by the streaming tests: chunks of CHUNK items instead of 256 (so a few samples make several
chunks and a partial one), a count of what each feature network extracted, and of what the CLIP image tower
embedded."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
import torch

from metrics import clip_metrics as clip_library
from metrics.extractors import base as extractor_base
from metrics.extractors.base import FeatureExtractor

#: items per chunk in the streaming tests (the real one is 256)
CHUNK = 4


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extractor_base, "EXTRACTION_BATCH", CHUNK)


@pytest.fixture
def extracted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """network name -> rows it extracted, and ``calls:<name>`` -> the calls that extracted them"""
    counts: Counter[str] = Counter()
    original = FeatureExtractor.extract

    def counting(self: FeatureExtractor, batch: torch.Tensor) -> torch.Tensor:
        counts[self.name] += len(batch)
        counts["calls:" + self.name] += 1
        return original(self, batch)

    monkeypatch.setattr(FeatureExtractor, "extract", counting)
    return counts


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """images (and video frames) embedded by the CLIP image tower (``images``) and the calls (``calls``)"""
    counts: Counter[str] = Counter()
    original = clip_library.clip_image_embeddings

    def counting(model: Any, images: list[np.ndarray]) -> Any:
        counts["images"] += len(images)
        counts["calls"] += 1
        return original(model, images)

    monkeypatch.setattr(clip_library, "clip_image_embeddings", counting)
    return counts
