"""Profile a model on a standard any-to-any request: warm up, run profiled rounds, return typed records.

The request is text plus one preprocessed (seeded random) input per modality in ``inputs`` and every output in
``outputs`` forced (``want``) and allowed, so every stage runs.  ``batch_size`` requests go into one
``generate`` call; ``NextGPT.generate`` answers a list as one batch (the LLM decodes the requests together,
left-padded, and each decoder denoises all its outputs of the same diffusion settings in one batch), each request
keeping its own seeds, so the batch size changes the per-stage timings and memory, not the outputs (up to float
rounding of batched matmuls).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import GenerationRequest, MediaInput
from nextgpt.profiling.options import SpeedOptions, applied
from nextgpt.profiling.prediction import media_shape
from nextgpt.profiling.records import StageRecord
from nextgpt.profiling.stage_profiler import END_TO_END, StageProfiler

DEFAULT_TEXT = "Describe what you see, then draw it, animate it and make it sound."


@dataclass(frozen=True)
class ProfileConfig:
    batch_size: int = 1
    #: profiled generate calls (each of ``batch_size`` requests) after ``warmup`` unprofiled ones
    rounds: int = 1
    warmup: int = 1
    inputs: tuple[Modality, ...] = ("image",)
    outputs: tuple[Modality, ...] = MODALITIES
    max_new_tokens: int | None = None
    num_inference_steps: int | None = None
    seed: int = 0
    text: str = DEFAULT_TEXT
    options: SpeedOptions = field(default_factory=SpeedOptions)

    def __post_init__(self) -> None:
        for name in ("batch_size", "rounds"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ConfigError(f"ProfileConfig.{name} must be a positive integer, got {getattr(self, name)!r}")
        if not isinstance(self.warmup, int) or self.warmup < 0:
            raise ConfigError(f"ProfileConfig.warmup must be a non-negative integer, got {self.warmup!r}")
        for modality in (*self.inputs, *self.outputs):
            if modality not in MODALITIES:
                raise ConfigError(f"ProfileConfig: unknown modality {modality!r}; expected {', '.join(MODALITIES)}")


@dataclass(frozen=True)
class ProfileRun:
    records: dict[str, StageRecord]
    #: wall seconds of each profiled ``generate`` call, read outside the profiler
    wall_seconds: tuple[float, ...]
    config: ProfileConfig
    device: str
    dtype: str

    @property
    def stage_seconds(self) -> float:
        return sum(r.seconds for r in self.records.values() if r.kind == "stage")

    @property
    def coverage(self) -> float:
        """Sum of the stages / wall time of the generate calls (1.0: the stages partition the wall time)."""
        wall = sum(self.wall_seconds)
        return self.stage_seconds / wall if wall else 0.0

    def to_store(self) -> dict[str, dict[str, Any]]:
        return {name: record.to_dict() for name, record in self.records.items()}


def profiling_requests(model: Any, config: ProfileConfig) -> list[GenerationRequest]:
    generator = torch.Generator().manual_seed(config.seed)
    requests = []
    for index in range(config.batch_size):
        media = tuple(MediaInput(m, torch.rand(media_shape(model.config, m), generator=generator))
                      for m in config.inputs)
        requests.append(GenerationRequest(
            text=config.text, media=media, want=frozenset(config.outputs), allowed_outputs=frozenset(config.outputs),
            seed=config.seed + index, max_new_tokens=config.max_new_tokens,
            num_inference_steps=config.num_inference_steps))
    return requests


def synchronise(model: Any) -> None:
    if model.device.type == "cuda":
        torch.cuda.synchronize(model.device)


def timed_generate(model: Any, requests: list[GenerationRequest]) -> float:
    synchronise(model)
    started = time.perf_counter()
    model.generate(requests)
    synchronise(model)
    return time.perf_counter() - started


def profile_model(model: Any, config: ProfileConfig | None = None) -> ProfileRun:
    config = config or ProfileConfig()
    requests = profiling_requests(model, config)
    walls = []
    with applied(model, config.options):
        for _ in range(config.warmup):
            model.generate(requests)
        with StageProfiler(model) as profiler:
            for _ in range(config.rounds):
                walls.append(timed_generate(model, requests))
        records = profiler.records()
    dtype = str(next(model.llm.parameters()).dtype).removeprefix("torch.")
    records[END_TO_END].extra.update(options=config.options.label(), batch_size=config.batch_size)
    return ProfileRun(records, tuple(walls), config, str(model.device), dtype)


@dataclass(frozen=True)
class Overhead:
    """Interleaved unprofiled/profiled calls of the same requests; the ratio of the medians minus one."""

    plain_seconds: tuple[float, ...]
    profiled_seconds: tuple[float, ...]

    @property
    def ratio(self) -> float:
        return _median(self.profiled_seconds) / _median(self.plain_seconds)

    @property
    def overhead(self) -> float:
        return self.ratio - 1.0


def _median(values: tuple[float, ...]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def measure_overhead(model: Any, requests: list[GenerationRequest], pairs: int = 3) -> Overhead:
    """Alternate plain and profiled calls (so machine noise hits both sides alike) after one warm-up each."""
    profiler = StageProfiler(model)
    plain, profiled = [], []
    model.generate(requests)
    for index in range(pairs + 1):
        seconds = timed_generate(model, requests)
        if index:
            plain.append(seconds)
        profiler.attach()
        try:
            seconds = timed_generate(model, requests)
        finally:
            profiler.detach()
        if index:
            profiled.append(seconds)
    return Overhead(tuple(plain), tuple(profiled))
