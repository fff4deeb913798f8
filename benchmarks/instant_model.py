"""A model that answers instantly, so that a benchmark times the harness alone (cache keys, media encoding, store
transactions, feature extraction) and not a network.  Each image is a small picture drawn from the request's seed
(deterministic: a resumed run regenerates nothing and compares equal); ``calls`` counts the requests it was asked,
so a benchmark or test can assert that nothing was generated twice."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.requests import GenerationRequest, GenerationResult

#: side of the square images it answers with (the toy feature networks resize to 32 anyway)
IMAGE_SIDE = 32


class InstantImageModel:
    """Text in, images out (t2i), at no cost.  ``fail_after``: raise after that many requests (a run killed
    halfway, for resume tests)."""

    device = torch.device("cpu")
    capabilities = Capabilities(inputs=frozenset(), outputs=frozenset({"image"}))

    def __init__(self, *, fail_after: int | None = None, label: str = "instant") -> None:
        self.calls = 0
        self.fail_after = fail_after
        self.label = label

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        results = []
        for request in requests:
            if self.fail_after is not None and self.calls >= self.fail_after:
                raise RuntimeError(f"InstantImageModel stopped after {self.fail_after} requests (as asked)")
            self.calls += 1
            pixels = np.random.default_rng(request.seed).integers(0, 256, (IMAGE_SIDE, IMAGE_SIDE, 3), dtype=np.uint8)
            results.append(GenerationResult(text="here it is", images=[Image.fromarray(pixels)]))
        return results

    def fingerprint(self) -> str:
        return hashlib.sha256(f"instant-image-model {IMAGE_SIDE} {self.label}".encode()).hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": "instant", "source": "benchmarks/instant_model.py"}
