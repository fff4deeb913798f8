"""The model interface: everything the benchmark harness needs of a model, and nothing NExT-GPT-specific.

The harness (``benchmarks.runner`` and the layers below and beside it), the reports and the leaderboards know a
model only as an :class:`AnyToAnyModel`: it answers a batch of requests (``generate``), names its own content
(``fingerprint``: the generation cache reuses an output exactly when the fingerprint, the task, the sample and the
request are the same), describes where it came from (``describe``: stored with every run, shown by the reports),
says which media it reads and writes (``capabilities``: a task the model cannot do is refused before a run
starts), and tells on which device it computes (``device``: the runner waits for CUDA before it stops the clock of
a timed generation). NExT-GPT implements it in ``nextgpt.model.nextgpt_model``; any other model needs nothing else.

Stage profiling (``nextgpt-bench run --profile``) is optional and lives outside the model. Which stages a model
has (NExT-GPT: encoder, LLM prefill and decode, diffusion UNets...) is model-specific, and NExT-GPT's instrumentation
(``nextgpt.profiling.StageProfiler``) wraps the model's modules from outside. The layering forbids both the runner
and the model importing ``nextgpt.profiling``, so the instrumentation is *injected*: the runner takes a
:data:`StageProfilerFactory` (a callable model -> :class:`StageProfiling`), and the CLI, the top layer, passes
``nextgpt.profiling.StageProfiler`` when ``--profile`` is given. The alternative -- the model exposing its stages
to a generic profiler in a low layer -- would pull the clocks, the memory sampler and the records into this ground
floor for one feature; injection keeps the ground floor small and lets a model without a profiler run unprofiled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias, Union, runtime_checkable

import torch

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import MODALITIES, Modality, check_modality
from nextgpt.core.requests import GenerationRequest, GenerationResult

#: A value ``json.dumps`` writes as is (what a run's stored model description and stage records hold).
JSONValue: TypeAlias = Union[str, int, float, bool, list["JSONValue"], dict[str, "JSONValue"], None]  # noqa: UP007


@dataclass(frozen=True)
class Capabilities:
    """The media a model reads (``inputs``) and writes (``outputs``). Text is always read and written, so it is
    never listed. ``conversations``: whether the model answers a turn that continues a conversation (a request
    with ``history``) and a turn of text alone; a single-purpose model (a text-to-image pipeline, a captioner)
    does not, and the harness skips the dialogue task for it."""

    inputs: frozenset[Modality]
    outputs: frozenset[Modality]
    conversations: bool = True

    def __post_init__(self) -> None:
        for name in ("inputs", "outputs"):
            value = getattr(self, name)
            if not isinstance(value, frozenset):
                raise ConfigError(f"Capabilities.{name}: expected a frozenset of modalities, got "
                                  f"{type(value).__name__} {value!r}")
            for modality in value:
                check_modality(modality, where=f"Capabilities.{name}")
        if not isinstance(self.conversations, bool):
            raise ConfigError(f"Capabilities.conversations: expected True or False, got {self.conversations!r}")

    @classmethod
    def any_to_any(cls) -> Capabilities:
        """Every modality in and out."""
        return cls(frozenset(MODALITIES), frozenset(MODALITIES))


@runtime_checkable
class AnyToAnyModel(Protocol):
    """A model the harness can benchmark (see the module docstring)."""

    capabilities: Capabilities

    @property
    def device(self) -> torch.device:
        """Where the model computes; on CUDA the runner synchronises before it stops a generation's clock."""
        ...

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """One :class:`GenerationResult` per request, in order (the runner refuses anything else with a TaskError).

        A request's result must depend only on the request (its seed included), not on the other requests of the
        batch, up to float rounding: batched matmuls and convolutions may round differently from a request alone
        (NExT-GPT: pixels may differ by rounding, scores agree to about 1e-4). The generation cache assumes this:
        batch size is not part of a run's identity or of a cache key, so an output generated in a batch of any size
        is reused for every batch size.

        Report each output medium's :class:`~nextgpt.core.requests.SignalRun` in ``signal_runs`` when the model
        signals its outputs (NExT-GPT's signal tokens). A model without signal tokens leaves them out: the runner
        records an ``unsignalled`` run (start 0, length 0, nothing dropped) for every returned medium without one,
        so the produced media count for ``modality_accuracy`` (dialogue), while ``signal_rate`` and
        ``signal_exact`` are not applicable (unavailable, with the reason) rather than 0."""
        ...

    def fingerprint(self) -> str:
        """A content hash: equal exactly when the model would answer every request the same (weights and
        settings), so the generation cache can reuse outputs across runs and stores."""
        ...

    def describe(self) -> dict[str, JSONValue]:
        """Provenance stored with every run (e.g. preset, checkpoint, device, dtype); the leaderboard labels a run
        with its ``checkpoint``, else its ``preset``, else its ``source``."""
        ...


@dataclass(frozen=True)
class ProfiledStage:
    """One part of a model that a stage profiler times, declared by the model itself (see :class:`HasStages`).

    Calls of ``module``'s forward -- or, with ``method``, of that method of ``module`` (e.g. a VAE's ``decode``) --
    count as stage ``name``. Each call adds its batch size (the first dimension of its first tensor argument) to
    the stage's throughput when ``per_item`` is true, else 1 (e.g. one UNet call per denoising step); ``unit``
    names what is counted ("samples", "steps", "tokens", "calls"). Stages nest: a stage's clock stops while a
    stage called inside it runs, so the stages of a generation add up to its wall time.
    """

    name: str
    module: torch.nn.Module
    unit: str = "calls"
    method: str | None = None
    per_item: bool = False

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ConfigError(f"ProfiledStage.name: expected a non-empty stage name, got {self.name!r}")
        if not isinstance(self.module, torch.nn.Module):
            raise ConfigError(f"ProfiledStage {self.name!r}: module must be a torch.nn.Module, got "
                              f"{type(self.module).__name__}")
        if self.method is not None and not callable(getattr(self.module, self.method, None)):
            raise ConfigError(f"ProfiledStage {self.name!r}: {type(self.module).__name__} has no method "
                              f"{self.method!r}")


@runtime_checkable
class HasStages(Protocol):
    """A model that names its own stages for ``--profile``: every adapter does (NExT-GPT's stages are known to
    ``nextgpt.profiling`` itself). The profiler times each whole ``generate`` call as the root, whatever no
    declared stage covers as ``other``, and each :class:`ProfiledStage` inside it."""

    def profiled_stages(self) -> Sequence[ProfiledStage]:
        ...


@runtime_checkable
class StageRecordLike(Protocol):
    """One stage's measurements, stored with the run as the JSON object ``to_dict`` returns."""

    def to_dict(self) -> Mapping[str, object]:
        ...


@runtime_checkable
class StageProfiling(Protocol):
    """A profiler attached to one model for a ``with`` block: every generation inside the block is measured, and
    ``records()`` (after the block) gives stage name -> record over all of them."""

    def __enter__(self) -> StageProfiling:
        ...

    def __exit__(self, *exc: object) -> None:
        ...

    def records(self) -> Mapping[str, StageRecordLike]:
        ...


#: Attaches a stage profiler to a model (``nextgpt.profiling.StageProfiler`` for NExT-GPT).
StageProfilerFactory: TypeAlias = Callable[[AnyToAnyModel], StageProfiling]
