"""Per-stage wall time, throughput and memory of a model's ``generate``, measured from outside the model.

``StageProfiler(model)`` wraps a few methods and registers forward hooks (all removed by ``detach``), so the
model's code stays as it reads. Every ``generate`` call (one request or a batch) is one *root* whose wall time is
cut into stages. A model that declares its own stages (``HasStages.profiled_stages()``: every adapter) is cut into
those, in the order they first run, plus ``other`` (whatever no declared stage covers: one unit per request);
see ``declared_stages`` for the declarations refused. NExT-GPT declares none: its stages are found here by its
attribute names:

=============================  ===========================================================  ==============
stage                          what it covers                                               throughput in
=============================  ===========================================================  ==============
encode                         ImageBind (``encoder.encode``) of each media input           inputs/s
input_projection               linear or grouping projection into LLM tokens                inputs/s
llm_prefill                    the first LLM forward of ``decode_answers`` (the prompts)    tokens/s
llm_decode                     every later LLM forward of ``decode_answers``                tokens/s
llm_generate_loop              ``decode_answers`` outside its forwards: token choice,       tokens/s
                               sampling, stop checks, padding and cache bookkeeping
signal_forward                 the teacher-forced LLM pass of ``signal_conditions``         tokens/s
output_projection.M            modality M's output projection                               samples/s
decoder.M.text_encoder         the decoder's text encoder (the empty negative prompt of     calls/s
                               classifier-free guidance)
decoder.M.unet                 one call per denoising step (CFG runs both halves in one)    steps/s
decoder.M.vae_decode           ``vae.decode`` of the final latents                          latents/s
decoder.audio.vocoder          HiFi-GAN mel -> waveform                                     samples/s
decoder.M.pipeline             the rest of ``decode``: building the pipeline, latents,      samples/s
                               scheduler steps, guidance arithmetic, post-processing
other                          the rest of ``generate``: tokenising, embedding lookups,     samples/s
                               media loading, signal-token normalisation, answer text
=============================  ===========================================================  ==============

Times are *exclusive*: a stage's clock stops while a nested stage runs, so the stages of a generation add up to
its wall time exactly; ``end_to_end`` (kind "total") is that sum per generation.  ``other`` is reported, never
hidden.  How marks and memory are read on CPU and CUDA: ``nextgpt.profiling.clock``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nextgpt.core.interface import ProfiledStage
from nextgpt.profiling.clock import MemorySample, MemorySampler, clock_for
from nextgpt.profiling.declared_stages import batch_size_of, checked_stages, declares_stages, requests_in
from nextgpt.profiling.records import Latency, Memory, StageRecord, Throughput

OTHER = "other"
END_TO_END = "end_to_end"
PREFILL, DECODE, GENERATE_LOOP, SIGNAL_FORWARD = "llm_prefill", "llm_decode", "llm_generate_loop", "signal_forward"


@dataclass(eq=False)
class _Frame:
    stage: str
    unit: str
    units: int
    root: _Frame | None
    seconds: float = 0.0
    memory: list[Memory] = field(default_factory=list)


def _first_dim(value: Any) -> int:
    return int(value.shape[0]) if isinstance(value, torch.Tensor) and value.dim() else 1


def _tokens(kwargs: dict[str, Any], args: tuple[Any, ...]) -> tuple[int, int]:
    """(batch, sequence length) of an LLM forward's input."""
    for value in (kwargs.get("inputs_embeds"), kwargs.get("input_ids"), *args[:1]):
        if isinstance(value, torch.Tensor):
            return int(value.shape[0]), int(value.shape[1]) if value.dim() > 1 else 1
    return 1, 1


class StageProfiler:
    """Attach to a model (NExT-GPT, or one declaring its stages); every ``generate`` while attached is
    profiled.  ``records()`` aggregates them.

    >>> with StageProfiler(model) as profiler:
    ...     model.generate(request)
    >>> profiler.records()["llm_decode"].throughput.per_second   # tokens/s
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        #: the model's own stages (checked now, before anything is hooked), None for NExT-GPT
        self._declared = checked_stages(model) if declares_stages(model) else None
        self.device = model.device
        self.clock = clock_for(self.device)
        self.sampler: MemorySampler | None = None
        self._stack: list[_Frame] = []
        self._marks: list[Any] = []
        self._owners: list[_Frame | None] = []
        self._samples: list[MemorySample] = []
        self._frames: list[_Frame] = []
        self._done: list[_Frame] = []
        self._undo: list[Callable[[], None]] = []
        self._prefilled = False
        #: host seconds spent in the profiler's own bookkeeping (marks, memory samples) since attach/reset
        self.self_seconds = 0.0

    # ------------------------------------------------------------------------------------- attach
    def __enter__(self) -> StageProfiler:
        self.attach()
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()

    @property
    def attached(self) -> bool:
        return bool(self._undo)

    def attach(self) -> None:
        if self.attached:
            return
        self.sampler = MemorySampler(self.device)
        try:
            if self._declared is None:
                self._attach_nextgpt(self.model)
            else:
                self._attach_declared(self._declared)
        except BaseException:
            self.detach()
            raise

    def _attach_nextgpt(self, model: Any) -> None:
        """NExT-GPT's stages (the table in the module docstring), found by the model's own attribute names."""
        self._wrap(model, "_generate_batch", OTHER, "samples", units=lambda a, k: len(a[1]), root=True)
        self._wrap(model.encoder, "encode", "encode", "inputs", units=lambda a, k: _first_dim(a[1]))
        self._hook(model.input_projection, "input_projection", "inputs")
        self._wrap(model, "decode_answers", GENERATE_LOOP, "tokens", units=lambda a, k: 0, on_enter=self._new_loop)
        self._hook_llm(model.llm.get_base_model())
        for modality, projection in model.output_projections.items():
            self._hook(projection, f"output_projection.{modality}", "samples")
        for modality, decoder in model.decoders.items():
            prefix = f"decoder.{modality}"
            self._wrap(decoder, "decode", f"{prefix}.pipeline", "samples", units=lambda a, k: _first_dim(a[0]))
            components = decoder.components
            self._hook(components["text_encoder"], f"{prefix}.text_encoder", "calls", units=lambda a, k: 1)
            self._hook(components["unet"], f"{prefix}.unet", "steps", units=lambda a, k: 1)
            self._wrap(components["vae"], "decode", f"{prefix}.vae_decode", "latents",
                       units=lambda a, k: _first_dim(a[0] if a else k.get("z")))
            if "vocoder" in components:
                self._hook(components["vocoder"], f"{prefix}.vocoder", "samples")

    def _attach_declared(self, stages: tuple[ProfiledStage, ...]) -> None:
        """A model that declares its stages: each whole ``generate`` call is the root (its uncovered time is
        ``other``, one unit per request), each stage a forward hook on its module or a wrapper of its method."""
        self._wrap(self.model, "generate", OTHER, "samples", units=lambda a, k: requests_in(a[1:]), root=True)
        for stage in stages:
            count = _counter(stage.per_item)
            if stage.method is None:
                self._hook(stage.module, stage.name, stage.unit, units=count)
            else:  # the wrapper passes (owner, *args): the owner is not an argument of the call
                self._wrap(stage.module, stage.method, stage.name, stage.unit,
                           units=lambda a, k, count=count: count(a[1:], k))

    def detach(self) -> None:
        while self._undo:
            self._undo.pop()()
        if self.sampler is not None:
            self.sampler.close()
            self.sampler = None

    def _wrap(self, owner: nn.Module, name: str, stage: str, unit: str, *,
              units: Callable[[tuple[Any, ...], dict[str, Any]], int], root: bool = False,
              on_enter: Callable[[], None] | None = None) -> None:
        """Replace ``owner.name`` by an instance attribute that runs it inside ``stage``."""
        original = getattr(owner, name)

        @functools.wraps(original)
        def staged(*args: Any, **kwargs: Any) -> Any:
            if not root and not self._stack:  # called outside a profiled generation
                return original(*args, **kwargs)
            if on_enter is not None:
                on_enter()
            self._enter(stage, unit, units((owner, *args), kwargs))
            try:
                return original(*args, **kwargs)
            finally:
                self._exit()

        had_own, own = name in owner.__dict__, owner.__dict__.get(name)
        object.__setattr__(owner, name, staged)

        def restore() -> None:  # an attribute the instance held itself is put back, a class method uncovered
            if had_own:
                object.__setattr__(owner, name, own)
            else:
                owner.__dict__.pop(name, None)

        self._undo.append(restore)

    def _hook(self, module: nn.Module, stage: str, unit: str,
              units: Callable[[tuple[Any, ...], dict[str, Any]], int] | None = None) -> None:
        count = units or (lambda args, kwargs: _first_dim(args[0] if args else next(iter(kwargs.values()), None)))

        def before(_: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if self._stack:
                self._enter(stage, unit, count(args, kwargs))

        def after(*_: Any) -> None:
            if self._stack and self._stack[-1].stage == stage:
                self._exit()

        self._undo.append(module.register_forward_pre_hook(before, with_kwargs=True).remove)
        self._undo.append(module.register_forward_hook(after, always_call=True).remove)

    def _hook_llm(self, causal_lm: nn.Module) -> None:
        """LLM forwards: prefill (first inside ``decode_answers``), decode (later ones), or the signal pass."""

        def before(_: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if not self._stack:
                return
            batch, length = _tokens(kwargs, args)
            if self._stack[-1].stage != GENERATE_LOOP:
                self._enter(SIGNAL_FORWARD, "tokens", batch * length)
            elif not self._prefilled:
                self._prefilled = True
                self._enter(PREFILL, "tokens", batch * length)
            else:
                self._enter(DECODE, "tokens", batch)
                self._stack[-2].units += batch  # the loop's time is per generated token too

        def after(*_: Any) -> None:
            if self._stack and self._stack[-1].stage in (PREFILL, DECODE, SIGNAL_FORWARD):
                self._exit()

        self._undo.append(causal_lm.register_forward_pre_hook(before, with_kwargs=True).remove)
        self._undo.append(causal_lm.register_forward_hook(after, always_call=True).remove)

    def _new_loop(self) -> None:
        self._prefilled = False

    # ------------------------------------------------------------------------------------- marks
    def _mark(self) -> None:
        self._marks.append(self.clock.mark())
        self._samples.append(self.sampler.sample())  # type: ignore[union-attr]  # set while attached
        self._owners.append(self._stack[-1] if self._stack else None)

    def _enter(self, stage: str, unit: str, units: int) -> None:
        started = time.perf_counter()
        root = self._stack[0] if self._stack else None
        frame = _Frame(stage, unit, units, root)
        self._frames.append(frame)
        self._stack.append(frame)
        self._mark()
        self.self_seconds += time.perf_counter() - started

    def _exit(self) -> None:
        started = time.perf_counter()
        self._stack.pop()
        self._mark()
        if not self._stack:
            self._settle()
        self.self_seconds += time.perf_counter() - started

    def _settle(self) -> None:
        """Turn the marks of finished generations into seconds and memory (one device sync on CUDA)."""
        durations = self.clock.elapsed(self._marks)
        cuda = self.device.type == "cuda"
        for index, seconds in enumerate(durations):
            frame = self._owners[index]
            if frame is None:
                continue
            start, end = self._samples[index], self._samples[index + 1]
            frame.seconds += seconds
            allocated = end.allocated if cuda else _max(start.allocated, end.allocated)
            rss = end.max_rss if end.max_rss > start.max_rss else _max(start.rss, end.rss)
            frame.memory.append(Memory(self.device.type, allocated, end.reserved, rss))
        self._done.extend(self._frames)
        self._frames, self._marks, self._owners, self._samples = [], [], [], []

    # ----------------------------------------------------------------------------------- results
    def reset(self) -> None:
        if self._stack:
            raise RuntimeError("StageProfiler.reset() during a generation")
        self._done = []
        self.self_seconds = 0.0

    def records(self) -> dict[str, StageRecord]:
        """Stage name -> record over every generation since attach (or ``reset``), in data-flow order (the order
        stages first ran) with ``other`` last, then ``end_to_end``; each record's ``extra["position"]`` is its
        index in that order."""
        if self._stack:
            raise RuntimeError("StageProfiler.records() during a generation")
        by_stage: dict[str, list[_Frame]] = {}
        for frame in self._done:
            by_stage.setdefault(frame.stage, []).append(frame)
        order = [s for s in by_stage if s != OTHER] + ([OTHER] if OTHER in by_stage else [])
        # ``position`` keeps this order where records are stored by name (the results store sorts them)
        records = {stage: _record(stage, by_stage[stage], position) for position, stage in enumerate(order)}
        roots = by_stage.get(OTHER, [])
        if roots:
            totals = {id(root): 0.0 for root in roots}
            memories: list[Memory] = []
            for frame in self._done:
                totals[id(frame.root or frame)] += frame.seconds
                memories.extend(frame.memory)
            records[END_TO_END] = StageRecord(
                END_TO_END, Latency.from_values(totals.values()), Memory.aggregate(memories),
                Throughput(sum(root.units for root in roots), "samples", sum(totals.values())), kind="total",
                extra={"position": len(order), "profiler_self_seconds": self.self_seconds,
                       "profiler_self_share": self.self_seconds / (sum(totals.values()) or 1.0)})
        return records


def _counter(per_item: bool) -> Callable[[tuple[Any, ...], dict[str, Any]], int]:
    """Units a declared stage's call adds: its batch size when ``per_item``, else 1."""
    return batch_size_of if per_item else (lambda args, kwargs: 1)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _record(stage: str, frames: list[_Frame], position: int) -> StageRecord:
    memories = [m for f in frames for m in f.memory]
    memory = Memory.aggregate(memories) if memories else Memory(frames[0].memory[0].device if frames[0].memory
                                                                else "cpu")
    seconds = [f.seconds for f in frames]
    return StageRecord(stage, Latency.from_values(seconds), memory,
                       Throughput(sum(f.units for f in frames), frames[0].unit, sum(seconds)),
                       extra={"position": position})
