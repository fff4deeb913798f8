"""Trainable adapters: encoder -> LLM (input projections) and LLM -> decoders (output projections)."""

from nextgpt.projections.grouping_input import GroupingInputProjection
from nextgpt.projections.linear_input import LinearInputProjection
from nextgpt.projections.output import OutputProjection

__all__ = ["GroupingInputProjection", "LinearInputProjection", "OutputProjection"]
