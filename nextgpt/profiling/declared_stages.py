"""The stages a model declares itself (``HasStages.profiled_stages()``), checked before a profiler attaches.

NExT-GPT's stages are known to ``stage_profiler`` by name; every other model (the adapters) names its own as
:class:`~nextgpt.core.interface.ProfiledStage`s. A declaration the profiler could not time unambiguously is refused
here, before any hook is installed:

* two stages on the same module object: a forward hook cannot tell which of the two a call belongs to (and a
  method stage and a forward stage on one module would count each other's calls), so the model must pick one;
* two stages of the same name: their records would silently merge;
* a stage named ``other`` or ``end_to_end``: those are the profiler's own records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import HasStages, ProfiledStage

#: the profiler's own record names: the root's uncovered time and the per-generation total
RESERVED_STAGE_NAMES = ("other", "end_to_end")


def declares_stages(model: object) -> bool:
    """True when ``model`` names its own profiled stages (every adapter); False for NExT-GPT, whose stages the
    profiler knows itself."""
    return isinstance(model, HasStages)


def checked_stages(model: HasStages) -> tuple[ProfiledStage, ...]:
    """``model.profiled_stages()``, refused with a ConfigError naming the model and the stages when ambiguous
    (see the module docstring)."""
    owner = type(model).__name__
    stages = tuple(model.profiled_stages())
    seen_names: set[str] = set()
    seen_modules: dict[int, str] = {}
    for stage in stages:
        if not isinstance(stage, ProfiledStage):
            raise ConfigError(f"{owner}.profiled_stages(): expected ProfiledStage items, got "
                              f"{type(stage).__name__} {stage!r}")
        if stage.name in RESERVED_STAGE_NAMES:
            raise ConfigError(f"{owner}.profiled_stages(): the stage name {stage.name!r} is the profiler's own "
                              f"record ({', '.join(RESERVED_STAGE_NAMES)} are reserved); rename the stage")
        if stage.name in seen_names:
            raise ConfigError(f"{owner}.profiled_stages(): two stages are named {stage.name!r}; their records would "
                              "merge, so give each stage its own name")
        seen_names.add(stage.name)
        earlier = seen_modules.get(id(stage.module))
        if earlier is not None:
            raise ConfigError(
                f"{owner}.profiled_stages(): stages {earlier!r} and {stage.name!r} both time the same "
                f"{type(stage.module).__name__} object; a call of it could belong to either, so declare it in one "
                "stage only (a method stage, e.g. a VAE's decode, and its module's forward cannot both be stages)")
        seen_modules[id(stage.module)] = stage.name
    return stages


def batch_size_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """The first dimension of the first tensor argument (positional first, then keyword), or 1 when no tensor
    argument has one: what a ``per_item`` stage adds to its throughput per call."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.Tensor):
            return int(value.shape[0]) if value.dim() else 1
    return 1


def requests_in(args: tuple[Any, ...]) -> int:
    """How many requests a ``generate(requests)`` call answers (one for a single request)."""
    requests = args[0] if args else None
    return len(requests) if isinstance(requests, Sequence) and not isinstance(requests, str) else 1


def dtype_of(stages: Sequence[ProfiledStage]) -> str:
    """The dtype of the first floating-point parameter among the stages' modules ("unknown" when none has one),
    e.g. "float16" for a pipeline loaded in half precision."""
    for stage in stages:
        for parameter in stage.module.parameters():
            if parameter.is_floating_point():
                return str(parameter.dtype).removeprefix("torch.")
    return "unknown"
