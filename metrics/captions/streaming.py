"""Class forms of the caption metrics (update / compute / reset, synced across processes).

:class:`CocoBLEU` streams: its state is four sums that torchmetrics reduces with ``dist_reduce_fx="sum"``.
:class:`CocoCaptionMetrics` covers CIDEr-D, METEOR and ROUGE-L too; CIDEr-D's idf needs every reference of the
corpus, so it keeps the captions and gathers them from all processes (``all_gather_object``) in ``compute``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from metrics.captions.bleu import (
    BleuScores,
    BleuStatistics,
    bleu_provenance,
    bleu_statistics,
    corpus_bleu_from_statistics,
)
from metrics.captions.ptb_tokenizer import get_tokenizer
from metrics.captions.suite import CAPTION_METRICS, CaptionScores, score_captions
from metrics.defaults import BLEU_MAX_ORDER, DEFAULT_CAPTION_TOKENIZER
from metrics.errors import CaptionInputError
from metrics.metric_base import ResultMetric
from metrics.provenance import MetricResult


class CocoBLEU(ResultMetric):
    """COCO corpus BLEU-1..4 from streamed (prediction, references) pairs; ``compute`` gives :class:`BleuScores`
    with the provenance :func:`metrics.captions.score_captions` gives (so the two are comparable)."""

    higher_is_better = True
    is_differentiable = False
    full_state_update = False

    def __init__(self, tokenizer: str = DEFAULT_CAPTION_TOKENIZER, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokenizer = get_tokenizer(tokenizer)
        zeros = torch.zeros(BLEU_MAX_ORDER, dtype=torch.float64)
        self.add_state("correct", default=zeros.clone(), dist_reduce_fx="sum")
        self.add_state("guess", default=zeros.clone(), dist_reduce_fx="sum")
        self.add_state("testlen", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("reflen", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n_samples", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n_references", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, predictions: Sequence[str], references: Sequence[Sequence[str]]) -> None:
        if len(predictions) != len(references):
            raise CaptionInputError(
                f"CocoBLEU.update: {len(predictions)} predictions but {len(references)} reference lists"
            )
        for i, prediction in enumerate(predictions):
            if not prediction.strip():
                raise CaptionInputError(f"CocoBLEU.update: prediction {i} is empty")
        preds = self.tokenizer.tokenize(list(predictions))
        flat = self.tokenizer.tokenize([r for refs in references for r in refs])
        refs, position = [], 0
        for ref_list in references:
            refs.append(flat[position : position + len(ref_list)])
            position += len(ref_list)
        stats = bleu_statistics(preds, refs)
        self.correct += torch.as_tensor(stats.correct.sum(axis=0), dtype=torch.float64)
        self.guess += torch.as_tensor(stats.guess.sum(axis=0), dtype=torch.float64)
        self.testlen += float(stats.testlen.sum())
        self.reflen += float(stats.reflen.sum())
        self.n_samples += len(preds)
        self.n_references += len(flat)

    def compute(self) -> BleuScores:
        stats = BleuStatistics(
            correct=self.correct.numpy()[None, :].astype(np.int64),
            guess=self.guess.numpy()[None, :].astype(np.int64),
            testlen=np.array([int(self.testlen)]),
            reflen=np.array([int(self.reflen)]),
        )
        scores = corpus_bleu_from_statistics(stats)
        # score_captions' provenance, with the streamed counts of images and references
        provenances = [dataclasses.replace(bleu_provenance(k + 1, (), self.tokenizer.name),
                                           n_samples=int(self.n_samples), n_reference=int(self.n_references))
                       for k in range(BLEU_MAX_ORDER)]
        return BleuScores(*(MetricResult(f"bleu{k + 1}", scores[k], provenances[k]) for k in range(BLEU_MAX_ORDER)))


class CocoCaptionMetrics:
    """BLEU-1..4, METEOR, ROUGE-L, CIDEr-D and sacreBLEU over everything passed to :meth:`update`."""

    higher_is_better = True
    full_state_update = True  # CIDEr-D's document frequencies need the whole corpus

    def __init__(
        self,
        tokenizer: str = DEFAULT_CAPTION_TOKENIZER,
        metrics: Sequence[str] = CAPTION_METRICS,
        bootstrap: int = 0,
        seed: int = 0,
    ) -> None:
        self.tokenizer, self.metrics, self.bootstrap, self.seed = tokenizer, tuple(metrics), bootstrap, seed
        self.reset()

    def reset(self) -> None:
        self.predictions: dict[str, str] = {}
        self.references: dict[str, list[str]] = {}

    def update(self, predictions: Mapping[str, str], references: Mapping[str, str | Sequence[str]]) -> None:
        for key, value in predictions.items():
            if str(key) in self.predictions:
                raise CaptionInputError(f"CocoCaptionMetrics.update: id {key!r} was already given a prediction")
            self.predictions[str(key)] = value
        for key, value in references.items():
            self.references[str(key)] = [value] if isinstance(value, str) else list(value)

    def _gathered(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return self.predictions, self.references
        parts: list[object] = [None] * dist.get_world_size()
        dist.all_gather_object(parts, (self.predictions, self.references))
        predictions: dict[str, str] = {}
        references: dict[str, list[str]] = {}
        for part in parts:  # rank order, so every process builds the same corpus
            preds, refs = part  # type: ignore[misc]
            predictions.update(preds)
            references.update(refs)
        return predictions, references

    def compute(self) -> CaptionScores:
        predictions, references = self._gathered()
        ordered = dict(sorted(references.items()))
        return score_captions(predictions, ordered, tokenizer=self.tokenizer, metrics=self.metrics,
                              bootstrap=self.bootstrap, seed=self.seed)
