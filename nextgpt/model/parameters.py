"""Which parameters belong to which component, which ones each training stage trains, and the table of both.

Components: ``encoder`` (ImageBind), ``input_projection``, ``llm`` (base weights, incl. the base vocabulary's
rows), ``lora``, ``signal_embeddings`` (the new rows of the input embedding and output layer),
``output_projection.{image,video,audio}``, ``decoder.{image,video,audio}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from torch import nn

TRAINABLE_COMPONENTS = ("input_projection", "lora", "signal_embeddings", "output_projection.image",
                        "output_projection.video", "output_projection.audio")
FROZEN_COMPONENTS = ("encoder", "llm", "decoder.image", "decoder.video", "decoder.audio")
COMPONENTS = ("encoder", "input_projection", "llm", "lora", "signal_embeddings", "output_projection.image",
              "output_projection.video", "output_projection.audio", "decoder.image", "decoder.video",
              "decoder.audio")

Stage = Literal[1, 2, 3, "all", "none"]
#: The paper's stages: 1 encoding-side alignment, 2 decoding-side alignment, 3 modality-switching tuning.
STAGE_COMPONENTS: dict[Stage, frozenset[str]] = {
    1: frozenset({"input_projection"}),
    2: frozenset({"signal_embeddings", "output_projection.image", "output_projection.video",
                  "output_projection.audio"}),
    3: frozenset({"lora", "input_projection", "output_projection.image", "output_projection.video",
                  "output_projection.audio"}),
    "all": frozenset(TRAINABLE_COMPONENTS),
    "none": frozenset(),
}


def component_of(name: str) -> str:
    """The component a parameter name (as in ``NextGPT.named_parameters()``) belongs to."""
    head, _, rest = name.partition(".")
    if head in ("output_projections", "decoders"):
        modality = rest.partition(".")[0]
        return f"{'output_projection' if head == 'output_projections' else 'decoder'}.{modality}"
    if head == "llm":
        if ".lora_" in name:
            return "lora"
        if name.endswith("embed_tokens.extra") or name.endswith("lm_head.extra"):
            return "signal_embeddings"
        return "llm"
    if head in ("encoder", "input_projection"):
        return head
    raise ValueError(f"parameter {name!r} belongs to no known component")


def parameters_of(model: nn.Module, component: str) -> Iterator[tuple[str, nn.Parameter]]:
    for name, param in model.named_parameters():
        if component_of(name) == component:
            yield name, param


def set_trainable_stage(model: nn.Module, stage: Stage) -> None:
    """Freeze everything except the components ``stage`` trains (see STAGE_COMPONENTS)."""
    if stage not in STAGE_COMPONENTS:
        raise ValueError(f"unknown training stage {stage!r}; expected 1, 2, 3, 'all' or 'none'")
    trainable = STAGE_COMPONENTS[stage]
    for name, param in model.named_parameters():
        param.requires_grad_(component_of(name) in trainable)


def trainable_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    return {name: param for name, param in model.named_parameters() if param.requires_grad}


@dataclass(frozen=True)
class ComponentCount:
    component: str
    #: parameters this component contributes to the paper's trainable / frozen totals
    trainable: int
    frozen: int
    #: parameters with requires_grad right now (depends on the stage set with set_trainable_stage)
    requires_grad: int


def parameter_table(model: nn.Module) -> list[ComponentCount]:
    totals = dict.fromkeys(COMPONENTS, 0)
    live = dict.fromkeys(COMPONENTS, 0)
    for name, param in model.named_parameters():
        component = component_of(name)
        totals[component] += param.numel()
        if param.requires_grad:
            live[component] += param.numel()
    return [ComponentCount(c, totals[c] if c in TRAINABLE_COMPONENTS else 0,
                           totals[c] if c in FROZEN_COMPONENTS else 0, live[c]) for c in COMPONENTS]
