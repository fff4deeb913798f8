"""Output projection: signal-token states -> the conditioning a frozen diffusion decoder expects.

The LLM's hidden states at the signal tokens, plus those tokens' input embeddings, go through
``in_fc`` -> an encoder-decoder ``nn.Transformer`` whose decoder reads ``num_queries`` learnable queries ->
``out_fc``.  That gives 77 x 768 (SD-1.5 text states), 77 x 1024 (Zeroscope text states) or 1 x 512 (a CLAP text
embedding for AudioLDM, L2-normalised).  Same structure and sizes as the legacy code's "transformer" mode.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

from nextgpt.model.config import OutputProjectionConfig


class OutputProjection(nn.Module):
    def __init__(self, llm_dim: int, config: OutputProjectionConfig) -> None:
        super().__init__()
        self.config = config
        self.in_fc = nn.Linear(llm_dim, config.hidden_dim)
        with warnings.catch_warnings():  # "enable_nested_tensor ... norm_first": irrelevant here
            warnings.filterwarnings("ignore", message="enable_nested_tensor")
            self.transformer = nn.Transformer(
                d_model=config.hidden_dim, nhead=config.num_heads, num_encoder_layers=config.encoder_layers,
                num_decoder_layers=config.decoder_layers, dim_feedforward=config.feedforward_dim, dropout=0.0,
                batch_first=True, norm_first=True)
        self.out_fc = nn.Linear(config.hidden_dim, config.out_dim)
        self.queries = nn.Parameter(torch.randn(1, config.num_queries, config.hidden_dim))

    def forward(self, signal_states: torch.Tensor, signal_embeddings: torch.Tensor) -> torch.Tensor:
        """(B, N_signal, llm_dim) states and input embeddings -> (B, num_queries, out_dim), or (B, out_dim)
        for a single-query (audio) projection."""
        x = self.in_fc((signal_states + signal_embeddings).to(self.in_fc.weight.dtype))
        queries = self.queries.expand(x.shape[0], -1, -1)
        out = self.out_fc(self.transformer(x, queries))
        if self.config.l2_normalize:
            out = F.normalize(out, dim=-1)
        return out.squeeze(1) if self.config.num_queries == 1 else out
