"""The legacy (7b_tiva_v0) input projection: one LLM token per input from ImageBind's pooled embedding."""

from __future__ import annotations

import torch
from torch import nn

from nextgpt.model.encoder import EncodedMedia


class LinearInputProjection(nn.Module):
    def __init__(self, in_dim: int, llm_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, llm_dim)

    @property
    def tokens_per_input(self) -> int:
        return 1

    def forward(self, media: EncodedMedia) -> torch.Tensor:
        """-> (B, 1, llm_dim)"""
        return self.linear(media.pooled.to(self.linear.weight.dtype)).unsqueeze(1)
