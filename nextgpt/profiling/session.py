"""Profile a model on a standard request: warm up, run profiled rounds, return typed records.

The request is text plus one seeded random input per modality in ``inputs`` and every output in ``outputs``
forced (``want``) and allowed, so every stage runs. NExT-GPT's inputs are preprocessed tensors; a model that
declares its own stages (an adapter) gets media files instead (``sample_media``), and the inputs and outputs must
be within its ``capabilities`` (``default_modalities`` picks them when the caller does not).

``batch_size`` requests go into one ``generate`` call; ``NextGPT.generate`` answers a list as one batch (the LLM
decodes the requests together, left-padded, and each decoder denoises all its outputs of the same diffusion
settings in one batch), each request keeping its own seeds, so the batch size changes the per-stage timings and
memory, not the outputs (up to float rounding of batched matmuls).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import Capabilities
from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import GenerationRequest, MediaInput
from nextgpt.profiling.declared_stages import checked_stages, declares_stages, dtype_of
from nextgpt.profiling.options import ProfilingOptionError, SpeedOptions, applied
from nextgpt.profiling.prediction import media_shape
from nextgpt.profiling.records import StageRecord
from nextgpt.profiling.sample_media import write_sample_media
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


def default_modalities(capabilities: Capabilities) -> tuple[tuple[Modality, ...], tuple[Modality, ...]]:
    """(inputs, outputs) to profile when none are chosen: one image input (else the model's first input
    modality; none for a text-in model) and every output the model writes. For an any-to-any model (NExT-GPT)
    that is ``ProfileConfig``'s defaults."""
    readable = [m for m in MODALITIES if m in capabilities.inputs]
    inputs: tuple[Modality, ...] = ("image",) if "image" in readable else tuple(readable[:1])
    return inputs, tuple(m for m in MODALITIES if m in capabilities.outputs)


def check_capabilities(model: Any, config: ProfileConfig) -> None:
    """Refuse inputs or outputs the model cannot handle, naming them and what it can (ConfigError)."""
    capabilities: Capabilities = model.capabilities
    for side, chosen, able, verb in (("inputs", config.inputs, capabilities.inputs, "reads"),
                                     ("outputs", config.outputs, capabilities.outputs, "writes")):
        unsupported = sorted({m for m in chosen if m not in able})
        if unsupported:
            can = ", ".join(m for m in MODALITIES if m in able) or "text only"
            raise ConfigError(f"profile: {_model_name(model)} {verb} no {', '.join(unsupported)} (its {side}: "
                              f"{can}); choose the {side} among those (--{side})")


def _model_name(model: Any) -> str:
    describe = getattr(model, "describe", None)
    adapter = describe().get("adapter") if callable(describe) else None
    return f"the {adapter} adapter" if adapter else f"the model {type(model).__name__}"


def profiling_requests(model: Any, config: ProfileConfig, media_folder: Path | None = None
                       ) -> list[GenerationRequest]:
    """``config.batch_size`` requests of seeds ``seed, seed + 1, ...``. NExT-GPT's media are preprocessed tensors;
    a model declaring its own stages reads media files, written into ``media_folder`` (required then)."""
    if declares_stages(model):
        folder = media_folder
        if config.inputs and folder is None:
            raise ConfigError(f"profiling_requests: {_model_name(model)} reads media files; give a media_folder "
                              "to write them into")
        rng = np.random.default_rng(config.seed)

        def media(index: int) -> tuple[MediaInput, ...]:
            return tuple(MediaInput(m, write_sample_media(m, folder, f"{m}-{index}-{n}", rng))
                         for n, m in enumerate(config.inputs) if folder is not None)
    else:
        generator = torch.Generator().manual_seed(config.seed)

        def media(index: int) -> tuple[MediaInput, ...]:
            return tuple(MediaInput(m, torch.rand(media_shape(model.config, m), generator=generator))
                         for m in config.inputs)
    return [GenerationRequest(text=config.text, media=media(index), want=frozenset(config.outputs),
                              allowed_outputs=frozenset(config.outputs), seed=config.seed + index,
                              max_new_tokens=config.max_new_tokens, num_inference_steps=config.num_inference_steps)
            for index in range(config.batch_size)]


@contextlib.contextmanager
def _media_folder(model: Any) -> Iterator[Path | None]:
    """A temporary folder for a declaring model's media files (removed afterwards); None for NExT-GPT."""
    if not declares_stages(model):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="nextgpt-profile-media-") as folder:
        yield Path(folder)


def model_dtype(model: Any) -> str:
    """The dtype the model computes in: NExT-GPT's LLM weights, else the first declared stage's weights."""
    if declares_stages(model):
        return dtype_of(checked_stages(model))
    return str(next(model.llm.parameters()).dtype).removeprefix("torch.")


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
    check_capabilities(model, config)
    if declares_stages(model) and config.options != SpeedOptions():
        raise ProfilingOptionError(
            f"profile: the speed switches ({config.options.label()}) act on NExT-GPT's LLM and decoders; "
            f"{_model_name(model)} declares its own stages, so profile it with the default options")
    walls = []
    with _media_folder(model) as folder, applied(model, config.options):
        requests = profiling_requests(model, config, folder)
        for _ in range(config.warmup):
            model.generate(requests)
        with StageProfiler(model) as profiler:
            for _ in range(config.rounds):
                walls.append(timed_generate(model, requests))
        records = profiler.records()
    records[END_TO_END].extra.update(options=config.options.label(), batch_size=config.batch_size)
    return ProfileRun(records, tuple(walls), config, str(model.device), model_dtype(model))


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
