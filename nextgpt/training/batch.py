"""Turn training examples into one padded batch of LLM input embeddings and labels.

The prompt is built by ``NextGPT.prompt_embeddings`` (the exact inference layout, media encoded by the frozen
ImageBind and projected by the -- possibly trainable -- input projection); the answer is
`` {answer}`` + each output's signal-token run + ``\\n###``.  Labels are -100 on the prompt and on padding;
``label_scope="signal"`` (stage 2) also masks the answer text, so only the signal tokens and the turn end are
learnt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch

from nextgpt.training.examples import TargetOutput, TrainingExample

IGNORE = -100
TURN_END = "\n###"


@dataclass
class SignalSpan:
    """Where one output's signal run sits in a batch row."""

    row: int
    start: int
    length: int
    output: TargetOutput


@dataclass
class TrainingBatch:
    inputs_embeds: torch.Tensor  # (B, L, H)
    attention_mask: torch.Tensor  # (B, L)
    labels: torch.Tensor  # (B, L), aligned with inputs (the loss shifts them)
    spans: list[SignalSpan]


def answer_ids(model: Any, example: TrainingExample) -> tuple[list[int], list[tuple[int, TargetOutput]], int]:
    """Token ids of the answer, the start of each output's run in them, and where the text part ends."""
    tokenizer = model.tokenizer
    ids = tokenizer(" " + example.answer, add_special_tokens=False).input_ids if example.answer else []
    text_end = len(ids)
    starts = []
    for output in example.outputs:
        starts.append((len(ids), output))
        ids += list(model.signal_vocab.run_ids[output.modality])
    ids += tokenizer(TURN_END, add_special_tokens=False).input_ids
    return ids, starts, text_end


def build_batch(model: Any, examples: list[TrainingExample], *,
                label_scope: Literal["answer", "signal"] = "answer",
                encodings: Callable[[Any], Any] | None = None) -> TrainingBatch:
    """``encodings``: frozen ImageBind outputs of media inputs computed earlier (``NextGPT.prompt_embeddings``)."""
    rows, labels, spans = [], [], []
    for row, example in enumerate(examples):
        prompt = model.prompt_embeddings(example.request, encodings)[0]
        ids, starts, text_end = answer_ids(model, example)
        answer = model.embed_ids(torch.tensor(ids, dtype=torch.long)).to(prompt.dtype)
        rows.append(torch.cat([prompt, answer]))
        target = torch.tensor(ids, dtype=torch.long)
        if label_scope == "signal":
            target[:text_end] = IGNORE
        labels.append(torch.cat([torch.full((prompt.shape[0],), IGNORE, dtype=torch.long), target]))
        spans += [SignalSpan(row, prompt.shape[0] + start, len(model.signal_vocab.run_ids[output.modality]),
                             output) for start, output in starts]
    length = max(r.shape[0] for r in rows)
    hidden = rows[0].shape[1]
    device = rows[0].device
    embeds = torch.zeros(len(rows), length, hidden, dtype=rows[0].dtype, device=device)
    mask = torch.zeros(len(rows), length, dtype=torch.long, device=device)
    padded = torch.full((len(rows), length), IGNORE, dtype=torch.long, device=device)
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        embeds[i, :row.shape[0]] = row
        mask[i, :row.shape[0]] = 1
        padded[i, :row.shape[0]] = label
    return TrainingBatch(embeds, mask, padded, spans)
