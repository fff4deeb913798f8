"""A test model that knows the synthetic world: it answers every leg of a cycle perfectly (or, shifted, draws the
wrong sample's medium).  Shared by the cycle tests of tests/benchmarks and tests/reports (tests/ is on the path
of every test module through its conftest)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image

from benchmarks.datasets.registry import resolve_dataset
from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.media import read_media
from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import GenerationRequest, GenerationResult

FAMILIES = {"image": "image-captions", "video": "video-captions", "audio": "audio-captions"}


def digest(path: object) -> str:
    return hashlib.sha256(Path(str(path)).read_bytes()).hexdigest()


class WorldModel:
    """Not a network: it knows the synthetic world.  Asked for a caption of a medium, it answers the first caption
    of the sample whose medium has those bytes (``caption_prefix`` first); asked for a medium of a caption, it
    returns that sample's own medium.  So each leg of a cycle is answered perfectly, unless ``produce`` leaves a
    modality out (a model that ignores what it was asked) or ``outputs``/``inputs`` narrow what it claims."""

    device = torch.device("cpu")

    def __init__(self, *, produce: frozenset[Modality] = frozenset(MODALITIES), caption_prefix: str = "",
                 inputs: frozenset[Modality] = frozenset(MODALITIES),
                 outputs: frozenset[Modality] = frozenset(MODALITIES), shift: bool = False) -> None:
        self.capabilities = Capabilities(inputs=inputs, outputs=outputs)
        self.produce, self.prefix, self.shift = produce, caption_prefix, shift
        self.requests: list[GenerationRequest] = []
        self.captions: dict[str, str] = {}  # medium bytes digest -> first caption
        self.media: dict[tuple[str, str], Path] = {}  # (modality, first caption) -> the medium file
        for modality, family in FAMILIES.items():
            samples = resolve_dataset(family, None, limit=3).samples
            for index, sample in enumerate(samples):
                source = sample.inputs[0].path
                self.captions[digest(source)] = sample.captions[0]
                drawn = samples[(index + 1) % len(samples)] if shift else sample
                self.media[(modality, sample.captions[0])] = drawn.inputs[0].path

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        self.requests += requests
        return [self._answer(request) for request in requests]

    def _answer(self, request: GenerationRequest) -> GenerationResult:
        if not request.want:
            caption = self.captions.get(digest(request.media[0].source), "a thing") if request.media else "nothing"
            return GenerationResult(text=self.prefix + caption)
        modality, = request.want
        result = GenerationResult(text="here it is")
        if modality not in self.produce:
            return result
        caption = request.text.split(" of ", 1)[1].rstrip(".").removeprefix(self.prefix)
        medium = read_media(modality, self.media[(modality, caption)])
        if modality == "image":
            result.images.append(Image.fromarray(medium))
        elif modality == "video":
            result.videos.append(medium)
        else:
            result.audios.append(medium)
        return result

    def fingerprint(self) -> str:
        return hashlib.sha256(f"world {sorted(self.produce)} {self.prefix} {self.shift}".encode()).hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": "world-test", "source": "tests/benchmarks/test_cycle_tasks.py"}
