"""Batched autoregressive decoding of LLM answers, with every row seeded and limited on its own.

``transformers``' ``generate`` draws all rows of a batch from one random stream, so a sampled answer would
depend on which other requests shared its batch.  This loop gives each row its own ``torch.Generator`` (seeded
by its request), its own suppressed tokens and token limit, and stops a row at end-of-sequence or at the turn
separator; answers are therefore the same whether a request runs alone or in a batch of any size (greedy
decoding is batch-invariant by construction; only float rounding of batched matmuls can differ).

Prompts of different lengths are left-padded: padding is masked out of attention and position ids count only
real tokens, so every row sees exactly the positions it would see alone.  With ``use_cache`` (the default,
``generation_config.use_cache``) each step feeds one token per row against the KV cache; without, every step
re-runs the whole sequence (what the profiler's ``kv_cache=off`` switch measures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from nextgpt.model.config import TextGenerationConfig


@dataclass(frozen=True)
class DecodingRow:
    """What one request asks of the decoding loop."""

    max_new_tokens: int
    seed: int
    suppressed_ids: tuple[int, ...] = ()


def left_padded(prompts: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, L_i, H) prompts -> (B, L, H) embeddings padded on the left with zeros, and the (B, L) mask."""
    length = max(p.shape[1] for p in prompts)
    first = prompts[0]
    embeds = first.new_zeros(len(prompts), length, first.shape[2])
    mask = torch.zeros(len(prompts), length, dtype=torch.long, device=first.device)
    for row, prompt in enumerate(prompts):
        embeds[row, length - prompt.shape[1]:] = prompt[0]
        mask[row, length - prompt.shape[1]:] = 1
    return embeds, mask


def positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids that count real tokens only (0 for the first real token of each row)."""
    return (mask.cumsum(-1) - 1).clamp(min=0)


def choose_tokens(logits: torch.Tensor, rows: Sequence[DecodingRow], settings: TextGenerationConfig,
                  generators: Sequence[torch.Generator | None]) -> torch.Tensor:
    """One next token per row: greedy, or temperature + top-p sampling from the row's own generator."""
    logits = logits.float().clone()
    for index, row in enumerate(rows):
        if row.suppressed_ids:
            logits[index, list(row.suppressed_ids)] = float("-inf")
    if not settings.do_sample:
        return logits.argmax(-1)
    logits = logits / settings.temperature
    if settings.top_p < 1.0:
        ordered, order = logits.sort(dim=-1, descending=False)
        cumulative = ordered.softmax(-1).cumsum(-1)
        # drop the low tail whose mass is <= 1 - top_p, always keeping the most likely token (as transformers)
        drop = cumulative <= (1 - settings.top_p)
        drop[:, -1] = False
        logits = logits.scatter(-1, order, ordered.masked_fill(drop, float("-inf")))
    probabilities = logits.softmax(-1)
    return torch.stack([torch.multinomial(probabilities[i], 1, generator=generators[i])[0]
                        for i in range(len(rows))])


@torch.no_grad()
def decode_batch(llm: torch.nn.Module, prompts: Sequence[torch.Tensor], rows: Sequence[DecodingRow], *,
                 settings: TextGenerationConfig, eos_token_id: int, use_cache: bool = True,
                 row_finished: Callable[[int, int], bool] | None = None) -> list[list[int]]:
    """Answer token ids per prompt (end-of-sequence included when emitted).  ``row_finished(row, token)``,
    called with each new token, lets the caller stop a row early (e.g. once its text holds the turn separator)."""
    embed = llm.get_input_embeddings()
    embeds, mask = left_padded(prompts)
    device = embeds.device
    generators = [torch.Generator(device=device).manual_seed(row.seed) if settings.do_sample else None
                  for row in rows]
    answers: list[list[int]] = [[] for _ in rows]
    done = [row.max_new_tokens < 1 for row in rows]
    limit = max(row.max_new_tokens for row in rows)
    output = llm(inputs_embeds=embeds, attention_mask=mask, position_ids=positions(mask), use_cache=use_cache,
                 logits_to_keep=1)
    for _ in range(limit):
        if all(done):
            break
        tokens = choose_tokens(output.logits[:, -1], rows, settings, generators)
        for index, token in enumerate(tokens.tolist()):
            if done[index]:
                continue
            answers[index].append(token)
            done[index] = (token == eos_token_id or len(answers[index]) >= rows[index].max_new_tokens
                           or (row_finished is not None and row_finished(index, token)))
        if all(done):
            break
        tokens = torch.where(torch.tensor(done, device=device), torch.full_like(tokens, eos_token_id), tokens)
        new = embed(tokens[:, None]).to(embeds.dtype)
        mask = torch.cat([mask, mask.new_ones(len(rows), 1)], dim=1)
        if use_cache:
            output = llm(inputs_embeds=new, attention_mask=mask, position_ids=positions(mask)[:, -1:],
                         cache=output.cache, use_cache=True, logits_to_keep=1)
        else:
            embeds = torch.cat([embeds, new], dim=1)
            output = llm(inputs_embeds=embeds, attention_mask=mask, position_ids=positions(mask), use_cache=False,
                         logits_to_keep=1)
    return answers
