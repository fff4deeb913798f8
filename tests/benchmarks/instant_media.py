"""A model that answers every request at once with a video or a clip drawn from the request's seed: the runs of the
video/audio streaming tests (test_streaming_media.py, test_stream_media_errors.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import torch

from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.modalities import Modality
from nextgpt.core.requests import GenerationRequest, GenerationResult


class InstantMediaModel:
    """Text in, a video (1-3 frames of 24x24) or a 16 kHz clip (1-3 s) out, drawn from the request's seed.
    ``fail_after``: raise after that many requests (a run killed halfway); ``no_medium``: the requests (1-based)
    answered with text only; ``first_size``: the side of the first video's frames (the side's input size)."""

    device = torch.device("cpu")

    def __init__(self, modality: Modality, *, fail_after: int | None = None, no_medium: frozenset[int] = frozenset(),
                 first_size: int = 24) -> None:
        self.modality, self.fail_after, self.calls = modality, fail_after, 0
        self.no_medium, self.first_size = no_medium, first_size
        self.capabilities = Capabilities(inputs=frozenset(), outputs=frozenset({modality}))

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        results = []
        for request in requests:
            if self.fail_after is not None and self.calls >= self.fail_after:
                raise RuntimeError(f"InstantMediaModel stopped after {self.fail_after} requests (as asked)")
            self.calls += 1
            if self.calls in self.no_medium:
                results.append(GenerationResult(text="no medium this time"))
                continue
            rng = np.random.default_rng(request.seed)
            length = int(rng.integers(1, 4))
            if self.modality == "video":
                size = self.first_size if self.calls == 1 else 24
                video = rng.integers(0, 256, (length, size, size, 3), dtype=np.uint8)
                results.append(GenerationResult(text="here it is", videos=[video]))
            else:
                clip = (0.1 * rng.standard_normal(16000 * length)).astype(np.float32)
                results.append(GenerationResult(text="here it is", audios=[clip], audio_sample_rate=16000))
        return results

    def fingerprint(self) -> str:
        return hashlib.sha256(f"instant-media-model {self.modality} {sorted(self.no_medium)} {self.first_size}"
                              .encode()).hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": "instant-media", "source": "tests/benchmarks/test_streaming_media.py"}
