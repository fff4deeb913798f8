"""ROUGE-L as pycocoevalcap computes it (beta 1.2, max precision and max recall over references)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metrics.captions.corpus import CorpusScores, caption_provenance, check_aligned
from metrics.defaults import ROUGE_BETA
from metrics.provenance import MetricResult, Provenance


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (one-row dynamic programme)."""
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l_sentence(prediction: str, references: Sequence[str], beta: float = ROUGE_BETA) -> float:
    # pycocoevalcap splits on a single space: an empty caption is one empty token, as there.
    candidate = prediction.split(" ")
    precisions, recalls = [], []
    for reference in references:
        tokens = reference.split(" ")
        lcs = lcs_length(tokens, candidate)
        precisions.append(lcs / float(len(candidate)))
        recalls.append(lcs / float(len(tokens)))
    prec, rec = max(precisions), max(recalls)
    if prec != 0 and rec != 0:
        return ((1 + beta**2) * prec * rec) / float(rec + beta**2 * prec)
    return 0.0


def rouge_l_scores(
    predictions: Sequence[str], references: Sequence[Sequence[str]], beta: float = ROUGE_BETA
) -> CorpusScores:
    """Mean ROUGE-L and per-image scores for tokenised text."""
    scores = np.array([rouge_l_sentence(p, refs, beta) for p, refs in zip(predictions, references)])
    return CorpusScores(float(np.mean(scores)), scores)


def rouge_provenance(references: Sequence[Sequence[str]], tokenizer: str | None,
                     beta: float = ROUGE_BETA) -> Provenance:
    return caption_provenance("coco-rouge-l", references, tokenizer, beta=beta)


def coco_rouge_l(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    tokenizer: str | None = None,
    beta: float = ROUGE_BETA,
) -> MetricResult:
    """Functional ROUGE-L on tokenised text (``tokenizer`` names what tokenised it, for the provenance)."""
    check_aligned(predictions, references, "coco_rouge_l")
    scores = rouge_l_scores(predictions, references, beta)
    return MetricResult("rouge_l", scores.value, rouge_provenance(references, tokenizer, beta))
