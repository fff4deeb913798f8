"""Trainable adapters: encoder -> LLM (input projections) and LLM -> decoders (output projections)."""

from nextgpt.model.projections.grouping_input import GroupingInputProjection
from nextgpt.model.projections.linear_input import LinearInputProjection
from nextgpt.model.projections.output import OutputProjection

__all__ = ["GroupingInputProjection", "LinearInputProjection", "OutputProjection"]
