"""COCO BLEU-1..4 (pycocoevalcap's BleuScorer, option "closest"), vectorised.

BLEU is a corpus statistic, but its sufficient statistics are per-image sums (clipped n-gram matches, n-gram
guesses, hypothesis length, closest reference length). They are computed once per image, so streaming and
multi-process sync are sums and the bootstrap re-aggregates them without re-counting n-grams.

:func:`coco_bleu` (functional) and ``CocoBLEU.compute`` return :class:`BleuScores`: BLEU-1..4 as typed results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metrics.captions.corpus import caption_provenance, check_aligned
from metrics.captions.ngrams import count_ngrams, lookup
from metrics.defaults import BLEU_MAX_ORDER
from metrics.provenance import MetricResult, Provenance, ResultGroup

# pycocoevalcap's smoothing constants ("so that if guess is 0 still return 0").
_TINY = 1e-15
_SMALL = 1e-9


@dataclass(frozen=True)
class BleuStatistics:
    """Per-image sufficient statistics: arrays of shape (N, order) and (N,)."""

    correct: np.ndarray
    guess: np.ndarray
    testlen: np.ndarray
    reflen: np.ndarray

    def subset(self, indices: np.ndarray) -> BleuStatistics:
        return BleuStatistics(self.correct[indices], self.guess[indices], self.testlen[indices],
                              self.reflen[indices])


def bleu_statistics(
    predictions: Sequence[str], references: Sequence[Sequence[str]], max_order: int = BLEU_MAX_ORDER
) -> BleuStatistics:
    """Per-image statistics for tokenised ``predictions[i]`` against ``references[i]``."""
    n_images = len(predictions)
    ref_counts = [len(refs) for refs in references]
    sentences = [p.split() for p in predictions] + [r.split() for refs in references for r in refs]
    table = count_ngrams(sentences, max_order)
    image_of_ref = np.repeat(np.arange(n_images, dtype=np.int64), ref_counts)
    image_of_sentence = np.concatenate([np.arange(n_images, dtype=np.int64), image_of_ref])

    is_ref = table.sentence >= n_images
    # max count of each n-gram over the references of an image
    ref_key = image_of_sentence[table.sentence[is_ref]] * table.n_grams + table.gram[is_ref]
    order = np.argsort(ref_key, kind="stable")
    ref_key, ref_count = ref_key[order], table.count[is_ref][order]
    if len(ref_key):
        boundaries = np.flatnonzero(np.diff(ref_key)) + 1
        starts = np.concatenate(([0], boundaries))
        max_key, max_count = ref_key[starts], np.maximum.reduceat(ref_count, starts)
    else:
        max_key, max_count = ref_key, ref_count

    hyp = ~is_ref
    hyp_image = table.sentence[hyp]
    clipped = np.minimum(
        table.count[hyp], lookup(max_key, max_count, hyp_image * table.n_grams + table.gram[hyp], 0)
    )
    correct = np.zeros((n_images, max_order), dtype=np.int64)
    np.add.at(correct, (hyp_image, table.order[hyp]), clipped)

    testlen = table.lengths[:n_images]
    guess = np.maximum(0, testlen[:, None] - np.arange(max_order)[None, :])
    # closest reference length: min over (|l - testlen|, l), i.e. ties go to the shorter reference
    ref_lengths = table.lengths[n_images:]
    distance = np.abs(ref_lengths - testlen[image_of_ref])
    big = int(ref_lengths.max(initial=0)) + 1
    score = distance * big + ref_lengths
    ref_starts = np.concatenate(([0], np.cumsum(ref_counts)[:-1]))
    reflen = np.minimum.reduceat(score, ref_starts) % big if n_images else np.zeros(0, np.int64)
    return BleuStatistics(correct=correct, guess=guess, testlen=testlen.copy(), reflen=reflen)


def corpus_bleu_from_statistics(stats: BleuStatistics) -> list[float]:
    """Corpus BLEU-1..n exactly as pycocoevalcap's ``BleuScorer.compute_score``."""
    max_order = stats.correct.shape[1]
    correct = stats.correct.sum(axis=0)
    guess = stats.guess.sum(axis=0)
    testlen, reflen = int(stats.testlen.sum()), int(stats.reflen.sum())
    bleus, bleu = [], 1.0
    for k in range(max_order):
        bleu *= float(correct[k] + _TINY) / (guess[k] + _SMALL)
        bleus.append(bleu ** (1.0 / (k + 1)))
    ratio = (testlen + _TINY) / (reflen + _SMALL)
    if ratio < 1:
        bleus = [b * math.exp(1 - 1 / ratio) for b in bleus]
    return bleus


def sentence_bleu_from_statistics(stats: BleuStatistics) -> np.ndarray:
    """Per-image BLEU-1..n, shape (N, order), as pycocoevalcap's ``bleu_list``."""
    max_order = stats.correct.shape[1]
    ratios = (stats.correct.astype(np.float64) + _TINY) / (stats.guess.astype(np.float64) + _SMALL)
    products = np.cumprod(ratios, axis=1)
    scores = products ** (1.0 / np.arange(1, max_order + 1))[None, :]
    ratio = (stats.testlen + _TINY) / (stats.reflen + _SMALL)
    with np.errstate(divide="ignore"):
        penalty = np.where(ratio < 1, np.exp(1 - 1 / ratio), 1.0)
    return scores * penalty[:, None]


@dataclass(frozen=True)
class BleuScores(ResultGroup):
    """COCO corpus BLEU-1..4, one typed result each (``bleu1`` .. ``bleu4``)."""

    bleu1: MetricResult
    bleu2: MetricResult
    bleu3: MetricResult
    bleu4: MetricResult


def bleu_provenance(order: int, references: Sequence[Sequence[str]], tokenizer: str | None) -> Provenance:
    """Provenance of BLEU-``order`` over ``references`` (the same for every form: suite, class, functional)."""
    return caption_provenance("coco-bleu", references, tokenizer, order=order, reflen="closest")


def bleu_scores(scores: Sequence[float], references: Sequence[Sequence[str]], tokenizer: str | None) -> BleuScores:
    """Corpus BLEU-1..4 values (:func:`corpus_bleu_from_statistics`) as :class:`BleuScores`."""
    return BleuScores(*(MetricResult(f"bleu{k + 1}", scores[k], bleu_provenance(k + 1, references, tokenizer))
                        for k in range(BLEU_MAX_ORDER)))


def coco_bleu(
    predictions: Sequence[str], references: Sequence[Sequence[str]], *, tokenizer: str | None = None
) -> BleuScores:
    """Functional COCO BLEU-1..4 on tokenised text (``tokenizer`` names what tokenised it, for the provenance).

    Per-image BLEU: ``sentence_bleu_from_statistics(bleu_statistics(predictions, references))``, or
    ``score_captions(...).per_sample``.
    """
    check_aligned(predictions, references, "coco_bleu")
    stats = bleu_statistics(predictions, references, BLEU_MAX_ORDER)
    return bleu_scores(corpus_bleu_from_statistics(stats), references, tokenizer)
