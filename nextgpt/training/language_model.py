"""Pre-train the *base* LLM of a small preset as a plain language model: the tiny stand-in for Vicuna.

NExT-GPT freezes a language model that already speaks English (Vicuna-7B).  The tiny preset's LLM is randomly
initialised, so its frozen weights carry no language at all and the three NExT-GPT stages can only steer noise.
This module gives it what Vicuna brings: a 2-layer LLaMA trained on the text of the synthetic world's *training*
split, rendered in the chat format the model is prompted with (``### Human: ... ### Assistant: ...``), media
left out.  The result is saved in transformers format, so it is loaded like any local LLM folder
(``llm.path``); after this step it is frozen again, exactly like Vicuna in the paper's stages 1-3.

It never sees a test-split sample, so benchmark numbers on the test split stay held out.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
import torch.nn.functional as F

from nextgpt.core.errors import ConfigError
from nextgpt.training.batch import TURN_END
from nextgpt.training.examples import TrainingExample
from nextgpt.training.schedule import PretrainingSchedule, freeze, log_step, optimiser_step


@dataclass(frozen=True)
class LanguageModelConfig(PretrainingSchedule):
    steps: int = 400
    learning_rate: float = 3e-3
    warmup_steps: int = 20


def chat_texts(examples: Iterable[TrainingExample]) -> list[str]:
    """Each example as one text-only chat turn: earlier turns, the user text and the answer's words.

    Media and signal tokens are not part of a text-only language model's vocabulary.  An answer that goes on to
    produce media ("Here is a picture of a blue circle." + [IMG0..3]) keeps its words but not the turn end:
    training on the text alone would teach the model to end the turn exactly where the signal tokens must come.
    Those answers repeat what the user asked for, which is what teaches the model to read its context."""
    from nextgpt.model.nextgpt_model import ASSISTANT_PREFIX, HUMAN_PREFIX

    examples = list(examples)
    texts = _described_media_texts(examples)
    for example in examples:
        if not example.answer:
            continue
        history = "".join(f"{HUMAN_PREFIX}{user}{ASSISTANT_PREFIX} {answer}\n"
                          for user, answer in example.request.history)
        end = "" if example.outputs else TURN_END
        texts.append(f"{history}{HUMAN_PREFIX}{example.request.text}{ASSISTANT_PREFIX} {example.answer}{end}")
    return sorted(set(texts))  # order-independent and without repeats


def _described_media_texts(examples: list[TrainingExample]) -> list[str]:
    """Captioning requests with the medium replaced by another reference caption of it ("alt text"): the model
    learns to read a description in the user turn and say it back, i.e. to take content from its context --
    what Vicuna does with any context and what the input projection will have to drive through media tokens."""
    from nextgpt.model.nextgpt_model import ASSISTANT_PREFIX, HUMAN_PREFIX

    captions: dict[tuple[str, str], list[str]] = {}
    for example in examples:
        if example.answer and len(example.request.media) == 1 and not example.request.history:
            medium = example.request.media[0]
            captions.setdefault((medium.modality, str(medium.source)), []).append(example.answer)
    texts = []
    for example in examples:
        if not (example.answer and len(example.request.media) == 1 and not example.request.history):
            continue
        medium = example.request.media[0]
        others = [c for c in captions[(medium.modality, str(medium.source))] if c != example.answer]
        if others:
            texts.append(f"{HUMAN_PREFIX}{others[0]}. {example.request.text}{ASSISTANT_PREFIX} "
                         f"{example.answer}{TURN_END}")
    return texts


def pretrain_language_model(llm: Any, tokenizer: Any, texts: Sequence[str], config: LanguageModelConfig, *,
                            progress: TextIO | None = sys.stderr) -> list[float]:
    """Train every weight of ``llm`` (a transformers causal LM) on ``texts``; returns the loss per step."""
    if not texts:
        raise ConfigError("language-model pre-training needs at least one text")
    encoded = [[tokenizer.bos_token_id, *tokenizer(text, add_special_tokens=False).input_ids] for text in texts]
    limit = llm.config.max_position_embeddings
    too_long = [text for text, ids in zip(texts, encoded, strict=True) if len(ids) > limit]
    if too_long:
        raise ConfigError(f"{len(too_long)} training texts are longer than the LLM's {limit} positions, "
                          f"e.g. {too_long[0][:80]!r}")
    torch.manual_seed(config.seed)
    llm.train()
    for param in llm.parameters():
        param.requires_grad_(True)
    optimizer = torch.optim.AdamW(llm.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    decay_steps = max(config.steps - config.warmup_steps, 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(
        (step + 1) / max(config.warmup_steps, 1), max(config.steps - step, 0) / decay_steps))
    rng = np.random.default_rng(config.seed)
    losses: list[float] = []
    started = time.perf_counter()
    for step in range(1, config.steps + 1):
        rows = [encoded[int(i)] for i in rng.integers(0, len(encoded), size=config.batch_size)]
        ids, mask = _pad(rows, tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
        logits = llm(input_ids=ids, attention_mask=mask).logits
        labels = ids.masked_fill(mask == 0, -100)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1),
                               ignore_index=-100)
        losses.append(optimiser_step(loss, optimizer, schedule, llm.parameters()))
        log_step(progress, "language model", step, config, losses[-1], started)
    freeze(llm)
    return losses


def _pad(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(len(row) for row in rows)
    ids = torch.full((len(rows), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for index, row in enumerate(rows):
        ids[index, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[index, :len(row)] = 1
    return ids, mask


def texts_digest(texts: Sequence[str]) -> str:
    return hashlib.sha256("\x00".join(texts).encode()).hexdigest()


def save_language_model(llm: Any, folder: Path, *, config: LanguageModelConfig, texts: Sequence[str],
                        losses: Sequence[float]) -> Path:
    """Write ``llm`` in transformers format (config.json + model.safetensors) plus a note of how it was made."""
    folder.mkdir(parents=True, exist_ok=True)
    llm.save_pretrained(str(folder), safe_serialization=True)
    (folder / "generation_config.json").unlink(missing_ok=True)  # defaults only; nothing to keep
    note = {"what": "tiny stand-in for Vicuna: a LLaMA language model pre-trained on the synthetic world's "
                    "training-split text (nextgpt.training.language_model)",
            "config": asdict(config), "texts": len(texts), "texts_sha256": texts_digest(texts),
            "loss_first": round(losses[0], 4), "loss_last_50_mean": round(float(np.mean(losses[-50:])), 4)}
    (folder / "pretraining.json").write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")
    return folder
