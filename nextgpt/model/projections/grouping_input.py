"""The paper's grouping input projection: ImageBind's token grid -> a few "concept tokens" for the LLM.

GroupViT-style (Xu et al. 2022), as in the NExT-GPT paper: the grid is embedded at ``embed_dim``; each stage runs
self-attention blocks over the tokens together with that stage's learnable group tokens, then a grouping block
assigns every token to one group (hard, straight-through assignment; Gumbel noise while training) and the groups
become the next stage's tokens.  The last stage has no group tokens and its output (``output_groups[-1]`` tokens)
is projected to the LLM width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nextgpt.model.config import GroupingConfig
from nextgpt.model.encoder import EncodedMedia


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int, qkv_bias: bool) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.k = nn.Linear(dim, dim, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        return x.reshape(batch, length, self.heads, dim // self.heads).transpose(1, 2)

    def forward(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        out = F.scaled_dot_product_attention(self._split(self.q(query)), self._split(self.k(key)),
                                             self._split(self.v(key)))
        return self.proj(out.transpose(1, 2).reshape(query.shape))


def _mlp(dim_in: int, hidden: int, dim_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim_in, hidden), nn.GELU(), nn.Linear(hidden, dim_out))


class _SelfAttentionBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float, qkv_bias: bool) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attention = _Attention(dim, heads, qkv_bias)
        self.mlp = _mlp(dim, int(dim * mlp_ratio), dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normed = self.norm1(x)
        x = x + self.attention(normed, normed)
        return x + self.mlp(self.norm2(x))


class _GroupingBlock(nn.Module):
    """Merge ``tokens`` into ``num_output`` groups guided by ``num_group_tokens`` learnable group tokens."""

    def __init__(self, dim: int, heads: int, num_group_tokens: int, num_output: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm_groups, self.norm_tokens = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.group_mixer = _mlp(num_group_tokens, dim // 2, num_output)  # mixes along the group axis
        self.norm_mixed = nn.LayerNorm(dim)
        self.cross_norm_mlp, self.cross_norm_post = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.cross_attention = _Attention(dim, heads, qkv_bias=True)
        self.cross_mlp = _mlp(dim, int(dim * mlp_ratio), dim)
        self.assign_q = nn.Linear(dim, dim)
        self.assign_k = nn.Linear(dim, dim)
        self.assign_v = nn.Linear(dim, dim)
        self.assign_proj = nn.Linear(dim, dim)
        self.norm_out = nn.LayerNorm(dim)
        self.out_mlp = _mlp(dim, 4 * dim, dim)

    def _assignment(self, groups: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        logits = self.assign_q(groups) @ self.assign_k(tokens).transpose(1, 2) * groups.shape[-1] ** -0.5
        if self.training:
            weights = F.gumbel_softmax(logits, hard=True, dim=-2)
        else:  # hard assignment of each token to its best group, with a straight-through gradient
            soft = logits.softmax(dim=-2)
            hard = torch.zeros_like(soft).scatter_(-2, soft.argmax(dim=-2, keepdim=True), 1.0)
            weights = hard - soft.detach() + soft
        weights = weights / (weights.sum(dim=-1, keepdim=True) + 1.0)  # average of the assigned tokens
        return self.assign_proj(weights @ self.assign_v(tokens))

    def forward(self, tokens: torch.Tensor, group_tokens: torch.Tensor) -> torch.Tensor:
        group_tokens, tokens = self.norm_groups(group_tokens), self.norm_tokens(tokens)
        groups = self.norm_mixed(self.group_mixer(group_tokens.transpose(1, 2)).transpose(1, 2))
        groups = groups + self.cross_attention(groups, tokens)
        groups = self.cross_norm_post(groups + self.cross_mlp(self.cross_norm_mlp(groups)))
        merged = self._assignment(groups, tokens) + groups
        return merged + self.out_mlp(self.norm_out(merged))


class _GroupingStage(nn.Module):
    def __init__(self, config: GroupingConfig, index: int) -> None:
        super().__init__()
        dim, count = config.embed_dim, config.group_tokens[index]
        self.group_tokens = nn.Parameter(torch.randn(1, count, dim) * 0.02) if count else None
        previous = config.group_tokens[index - 1] if index else 0
        self.group_from_previous = (
            nn.Sequential(nn.LayerNorm(dim), _TokenMixer(previous, dim // 2, count))
            if index and count else None)
        self.blocks = nn.ModuleList(_SelfAttentionBlock(dim, config.num_heads[index], config.mlp_ratio,
                                                        config.qkv_bias) for _ in range(config.depths[index]))
        self.grouping = (_GroupingBlock(dim, config.num_heads[index], count, config.output_groups[index],
                                        config.mlp_ratio)
                         if index < len(config.depths) - 1 else None)

    def forward(self, tokens: torch.Tensor, previous_groups: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.group_tokens is None:
            groups = None
            x = tokens
        else:
            groups = self.group_tokens.expand(tokens.shape[0], -1, -1)
            if self.group_from_previous is not None and previous_groups is not None:
                groups = groups + self.group_from_previous(previous_groups)
            x = torch.cat([tokens, groups], dim=1)
        for block in self.blocks:
            x = block(x)
        if groups is None:
            return x, None
        tokens, groups = x[:, :tokens.shape[1]], x[:, tokens.shape[1]:]
        if self.grouping is not None:
            tokens = self.grouping(tokens, groups)
        return tokens, groups


class _TokenMixer(nn.Module):
    """An MLP along the token axis: (B, N_in, C) -> (B, N_out, C)."""

    def __init__(self, tokens_in: int, hidden: int, tokens_out: int) -> None:
        super().__init__()
        self.mlp = _mlp(tokens_in, hidden, tokens_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x.transpose(1, 2)).transpose(1, 2)


class GroupingInputProjection(nn.Module):
    def __init__(self, in_dim: int, llm_dim: int, config: GroupingConfig) -> None:
        super().__init__()
        self.config = config
        self.in_fc = nn.Linear(in_dim, config.embed_dim)
        self.stages = nn.ModuleList(_GroupingStage(config, i) for i in range(len(config.depths)))
        self.norm = nn.LayerNorm(config.embed_dim)
        self.out_fc = nn.Linear(config.embed_dim, llm_dim)

    @property
    def tokens_per_input(self) -> int:
        return self.config.output_groups[-1]

    def forward(self, media: EncodedMedia) -> torch.Tensor:
        """-> (B, output_groups[-1], llm_dim) concept tokens."""
        x = self.in_fc(media.grid.to(self.in_fc.weight.dtype))
        groups = None
        for stage in self.stages:
            x, groups = stage(x, groups)
        return self.out_fc(self.norm(x))
