"""The COCO caption metrics in one call: BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, plus sacreBLEU."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from metrics.bootstrap import bootstrap_mean, bootstrap_statistic
from metrics.captions.bleu import (
    BleuStatistics,
    bleu_provenance,
    bleu_statistics,
    corpus_bleu_from_statistics,
    sentence_bleu_from_statistics,
)
from metrics.captions.cider import cider_d_scores, cider_provenance
from metrics.captions.corpus import CaptionCorpus, build_corpus
from metrics.captions.meteor import meteor_provenance, meteor_scores
from metrics.captions.ptb_tokenizer import CaptionTokenizer
from metrics.captions.rouge import rouge_l_scores, rouge_provenance
from metrics.captions.sacrebleu_metric import sacrebleu_corpus
from metrics.defaults import (
    BOOTSTRAP_CONFIDENCE,
    BOOTSTRAP_SEED,
    DEFAULT_CAPTION_TOKENIZER,
    SACREBLEU_TOKENIZE,
)
from metrics.errors import MetricUnavailableError
from metrics.provenance import ConfidenceInterval, JSONDict, MetricResult

logger = logging.getLogger("metrics")

CAPTION_METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider", "sacrebleu")


@dataclass(frozen=True)
class CaptionScores:
    """All caption metrics of one run, keyed by the JSON names (``bleu1`` .. ``sacrebleu``)."""

    results: dict[str, MetricResult]
    per_sample: dict[str, np.ndarray] = field(default_factory=dict, compare=False)

    def values(self) -> dict[str, float | None]:
        return {name: (r.value if r.available else None) for name, r in self.results.items()}

    def to_json(self) -> JSONDict:
        """``{"metrics": {name: value or null}, "provenance": {name: MetricResult.to_dict()}}``."""
        provenance: JSONDict = {name: r.to_dict() for name, r in self.results.items()}
        return {"metrics": self.values(), "provenance": provenance}  # type: ignore[dict-item]


def score_captions(
    predictions: Mapping[str, str | Sequence[str]],
    references: Mapping[str, str | Sequence[str]],
    *,
    tokenizer: str | CaptionTokenizer = DEFAULT_CAPTION_TOKENIZER,
    metrics: Sequence[str] = CAPTION_METRICS,
    bootstrap: int = 0,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> CaptionScores:
    """Score ``{id: caption}`` predictions against ``{id: [captions]}`` references.

    ``bootstrap`` > 0 adds seeded percentile intervals (resampling images). METEOR without Java is returned as
    unavailable (value NaN, ``available=False``), never as 0.
    """
    corpus = build_corpus(predictions, references, tokenizer)
    return score_corpus(corpus, metrics=metrics, bootstrap=bootstrap, confidence=confidence, seed=seed)


def score_corpus(
    corpus: CaptionCorpus,
    *,
    metrics: Sequence[str] = CAPTION_METRICS,
    bootstrap: int = 0,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> CaptionScores:
    results: dict[str, MetricResult] = {}
    per_sample: dict[str, np.ndarray] = {}
    preds, refs = corpus.predictions, corpus.references
    tok = corpus.tokenizer
    ci_args = {"n_resamples": bootstrap, "confidence": confidence, "seed": seed}

    if any(m.startswith("bleu") for m in metrics):
        stats = bleu_statistics(preds, refs)
        corpus_scores = corpus_bleu_from_statistics(stats)
        sentence_scores = sentence_bleu_from_statistics(stats)
        for k in range(4):
            name = f"bleu{k + 1}"
            if name not in metrics:
                continue
            ci = None
            if bootstrap:
                def statistic(idx: np.ndarray, k: int = k, stats: BleuStatistics = stats) -> float:
                    return corpus_bleu_from_statistics(stats.subset(idx))[k]

                ci = bootstrap_statistic(statistic, (len(corpus),), **ci_args)
            prov = bleu_provenance(k + 1, refs, tok)
            results[name] = MetricResult(name, corpus_scores[k], prov, ci)
            per_sample[name] = sentence_scores[:, k]

    if "meteor" in metrics:
        prov = meteor_provenance(refs, tok)
        try:
            meteor = meteor_scores(preds, refs)
        except MetricUnavailableError as error:
            results["meteor"] = MetricResult.unavailable("meteor", str(error), prov)
        else:
            ci = bootstrap_mean(meteor.per_sample, **ci_args) if bootstrap else None
            results["meteor"] = MetricResult("meteor", meteor.value, prov, ci)
            per_sample["meteor"] = meteor.per_sample

    if "rouge_l" in metrics:
        rouge = rouge_l_scores(preds, refs)
        ci = bootstrap_mean(rouge.per_sample, **ci_args) if bootstrap else None
        results["rouge_l"] = MetricResult("rouge_l", rouge.value, rouge_provenance(refs, tok), ci)
        per_sample["rouge_l"] = rouge.per_sample

    if "cider" in metrics:
        cider = cider_d_scores(preds, refs)
        ci = bootstrap_mean(cider.per_sample, **ci_args) if bootstrap else None  # idf from the full corpus
        results["cider"] = MetricResult("cider", cider.value, cider_provenance(refs, tok), ci)
        per_sample["cider"] = cider.per_sample

    if "sacrebleu" in metrics:
        result = sacrebleu_corpus(corpus.raw_predictions, corpus.raw_references)
        if bootstrap:
            result = dataclasses.replace(result, ci=_sacrebleu_ci(corpus, **ci_args))
        results["sacrebleu"] = result
    return CaptionScores(results, per_sample)


def _sacrebleu_ci(corpus: CaptionCorpus, n_resamples: int, confidence: float, seed: int) -> ConfidenceInterval:
    """Resample segments' sufficient statistics (sacrebleu's own per-segment stats)."""
    from sacrebleu.metrics import BLEU

    metric = BLEU(tokenize=SACREBLEU_TOKENIZE)
    n_streams = max(len(r) for r in corpus.raw_references)
    streams = [[r[j] if j < len(r) else None for r in corpus.raw_references] for j in range(n_streams)]
    stats = np.array(metric._extract_corpus_statistics(list(corpus.raw_predictions), streams))

    def statistic(idx: np.ndarray) -> float:
        return float(metric._compute_score_from_stats(list(stats[idx].sum(axis=0))).score)

    return bootstrap_statistic(statistic, (len(corpus),), n_resamples=n_resamples, confidence=confidence,
                               seed=seed)
