"""The language model: LLaMA (Vicuna-7B v0 in the paper) + peft LoRA + trainable signal-token rows.

The signal tokens' rows live in separate parameters (``SignalTokenEmbedding.extra``, ``SignalTokenLMHead.extra``)
next to the frozen base matrices, so that "trainable rows" is literal: an optimizer over the trainable
parameters sees 2 x 38 x hidden values, never the 32000 frozen rows (which weight decay would otherwise move).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.model.config import LLMConfig, LoRAConfig
from nextgpt.model.weights_io import READ_ERRORS


class SignalTokenEmbedding(nn.Module):
    """Embedding over ``base`` rows (frozen) followed by ``extra`` rows (trainable)."""

    def __init__(self, base: nn.Embedding, num_extra: int) -> None:
        super().__init__()
        self.base = base
        self.num_base = base.num_embeddings
        # New rows start at the mean of the base rows (a common choice for added tokens).
        init = base.weight.detach().float().mean(0, keepdim=True).repeat(num_extra, 1)
        if base.weight.device.type != "meta":
            init = init + 0.02 * torch.randn_like(init)
        self.extra = nn.Parameter(init.to(base.weight.dtype))

    @property
    def num_embeddings(self) -> int:
        return self.num_base + self.extra.shape[0]

    @property
    def weight(self) -> torch.Tensor:
        """The full (base + extra) matrix; a copy, for inspection only."""
        return torch.cat([self.base.weight, self.extra], dim=0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        is_extra = ids >= self.num_base
        base = self.base(ids.clamp(max=self.num_base - 1))
        if not bool(is_extra.any()):
            return base
        extra = F.embedding((ids - self.num_base).clamp(min=0), self.extra)
        return torch.where(is_extra.unsqueeze(-1), extra, base)


class SignalTokenLMHead(nn.Module):
    """Output layer over ``base`` rows (frozen) followed by ``extra`` rows (trainable)."""

    def __init__(self, base: nn.Linear, num_extra: int) -> None:
        super().__init__()
        self.base = base
        init = base.weight.detach().float().mean(0, keepdim=True).repeat(num_extra, 1)
        if base.weight.device.type != "meta":
            init = init + 0.02 * torch.randn_like(init)
        self.extra = nn.Parameter(init.to(base.weight.dtype))

    @property
    def weight(self) -> torch.Tensor:
        return torch.cat([self.base.weight, self.extra], dim=0)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.base(hidden), F.linear(hidden, self.extra)], dim=-1)


def build_base_llm(config: LLMConfig, *, dtype: torch.dtype | None = None) -> nn.Module:
    """The LLaMA model: from ``config.path`` (local folder) when given, else built from the config."""
    from transformers import LlamaConfig, LlamaForCausalLM

    if config.path is not None:
        path = Path(config.path)
        if not (path / "config.json").is_file():
            raise MissingWeightsError(
                f"llm.path = {path} is not a transformers model folder (no config.json). Expected Vicuna-7B v0 "
                "merged weights in transformers format (LLaMA-7B + lmsys/vicuna-7b-delta-v0); nothing is "
                "downloaded at run time.")
        try:
            model = LlamaForCausalLM.from_pretrained(str(path), local_files_only=True, dtype=dtype or torch.float32)
        except READ_ERRORS as error:
            raise CheckpointError(f"llm.path = {path}: the LLaMA weights cannot be read ({error}); a file of the "
                                  "folder is damaged, truncated or not in transformers format") from error
        if model.config.vocab_size != config.vocab_size:
            raise ConfigError(f"llm.vocab_size = {config.vocab_size} but {path}/config.json has vocab_size "
                              f"{model.config.vocab_size}; set llm.vocab_size to the base vocabulary of the folder")
        return model
    hf_config = LlamaConfig(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_attention_heads, max_position_embeddings=config.max_position_embeddings,
        rms_norm_eps=config.rms_norm_eps, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    return LlamaForCausalLM(hf_config)


def add_signal_rows(model: nn.Module, num_extra: int) -> None:
    """Swap the embedding and output layers for ones with ``num_extra`` trainable rows; fix config.vocab_size
    (transformers reshapes logits by it when computing the loss)."""
    inner = model.model
    inner.embed_tokens = SignalTokenEmbedding(inner.embed_tokens, num_extra)
    model.lm_head = SignalTokenLMHead(model.lm_head, num_extra)
    model.config.vocab_size = inner.embed_tokens.num_embeddings


def add_lora(model: nn.Module, config: LoRAConfig) -> Any:
    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(task_type=TaskType.CAUSAL_LM, r=config.r, lora_alpha=config.alpha,
                      lora_dropout=config.dropout, target_modules=list(config.target_modules))
    return get_peft_model(model, lora)
