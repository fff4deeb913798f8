"""Pre-train the ImageBind encoder of a small preset contrastively: the tiny stand-in for ImageBind's own training.

NExT-GPT freezes ImageBind-Huge, whose embeddings already separate colours, shapes, sounds and motions.  The tiny
preset's encoder is randomly initialised: its pooled embeddings of two different synthetic images have cosine ~0.6
whatever their content and a nearest-centroid probe finds their colour at chance level, so no input projection
can pass content to the LLM and the captions it learns ignore the input.  This module gives the tiny encoder
what ImageBind brings, the way ImageBind got it: an InfoNCE loss (CLIP's, both directions) between each medium's
pooled embedding and an embedding of its caption.  The caption side is a bag-of-words encoder that exists only
for this loss and is discarded; the encoder's text trunk is left as it is (NExT-GPT never uses it).

Only the synthetic world's *train* split is used; after this step the encoder is frozen again.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import Modality
from nextgpt.training.schedule import PretrainingSchedule, freeze, log_step, optimiser_step


@dataclass(frozen=True)
class EncoderPretrainingConfig(PretrainingSchedule):
    batch_size: int = 32
    temperature: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.temperature > 0:
            raise ConfigError(f"EncoderPretrainingConfig.temperature must be positive, got {self.temperature}")


@dataclass(frozen=True)
class CaptionedMedium:
    modality: Modality
    #: the preprocessed tensor ImageBind takes, without the batch axis (``NextGPT.load_media``)
    tensor: torch.Tensor
    captions: tuple[str, ...]


class BagOfWords(nn.Module):
    """Caption -> L2-normalised embedding: mean of learnt word vectors, then a linear map."""

    def __init__(self, captions: Sequence[str], dim: int) -> None:
        super().__init__()
        words = sorted({word for caption in captions for word in _words(caption)})
        self.index = {word: i for i, word in enumerate(words)}
        self.embedding = nn.EmbeddingBag(len(words), dim, mode="mean")
        self.out = nn.Linear(dim, dim)

    def forward(self, captions: Sequence[str]) -> torch.Tensor:
        ids = [torch.tensor([self.index[w] for w in _words(c) if w in self.index] or [0]) for c in captions]
        offsets = torch.tensor([0, *np.cumsum([len(i) for i in ids[:-1]])], dtype=torch.long)
        return F.normalize(self.out(self.embedding(torch.cat(ids), offsets)), dim=-1)


def _words(caption: str) -> list[str]:
    return caption.lower().replace(",", " ").split()


def pretrain_encoder(encoder: Any, media: Sequence[CaptionedMedium], config: EncoderPretrainingConfig, *,
                     progress: TextIO | None = sys.stderr) -> list[float]:
    """Train every weight of ``encoder`` (an ``ImageBindEncoder``) on ``media``; returns the loss per step.

    Each step takes one modality's batch (round robin), so every batch compares like with like."""
    by_modality: dict[str, list[CaptionedMedium]] = {}
    for item in media:
        by_modality.setdefault(item.modality, []).append(item)
    if not by_modality:
        raise ConfigError("encoder pre-training needs at least one captioned medium")
    torch.manual_seed(config.seed)
    text = BagOfWords([c for item in media for c in item.captions], encoder.embed_dim)
    encoder.train()
    for param in encoder.parameters():
        param.requires_grad_(True)
    parameters = [*encoder.parameters(), *text.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(config.steps - step, 0) / config.steps)
    rng = np.random.default_rng(config.seed)
    modalities = sorted(by_modality)
    losses: list[float] = []
    started = time.perf_counter()
    for step in range(1, config.steps + 1):
        pool = by_modality[modalities[(step - 1) % len(modalities)]]
        chosen = [pool[int(i)] for i in rng.choice(len(pool), size=min(config.batch_size, len(pool)), replace=False)]
        captions = [item.captions[int(rng.integers(len(item.captions)))] for item in chosen]
        batch = torch.stack([item.tensor for item in chosen])
        embeddings = F.normalize(encoder.features(chosen[0].modality, batch).pooled, dim=-1)
        logits = embeddings @ text(captions).T / config.temperature
        targets = torch.arange(len(chosen))
        loss = (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
        losses.append(optimiser_step(loss, optimizer, schedule, parameters))
        log_step(progress, "encoder", step, config, losses[-1], started)
    freeze(encoder)
    return losses
