"""The COCO caption metrics in one call: BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, plus sacreBLEU."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metrics.bootstrap import bootstrap_mean, bootstrap_statistic
from metrics.captions.bleu import (
    BleuStatistics,
    bleu_statistics,
    corpus_bleu_from_statistics,
    sentence_bleu_from_statistics,
)
from metrics.captions.cider import coco_cider_d, corpus_size_warnings
from metrics.captions.corpus import CaptionCorpus, build_corpus
from metrics.captions.meteor import coco_meteor
from metrics.captions.ptb_tokenizer import CaptionTokenizer
from metrics.captions.rouge import coco_rouge_l
from metrics.captions.sacrebleu_metric import sacrebleu_corpus
from metrics.defaults import (
    BOOTSTRAP_CONFIDENCE,
    BOOTSTRAP_SEED,
    CIDER_SIGMA,
    DEFAULT_CAPTION_TOKENIZER,
    ROUGE_BETA,
    SACREBLEU_TOKENIZE,
)
from metrics.errors import MetricUnavailableError
from metrics.provenance import MetricResult, Provenance

logger = logging.getLogger("metrics")

CAPTION_METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider", "sacrebleu")


@dataclass(frozen=True)
class CaptionScores:
    """All caption metrics of one run, keyed by the JSON names (``bleu1`` .. ``sacrebleu``)."""

    results: dict[str, MetricResult]
    per_sample: dict[str, np.ndarray] = field(default_factory=dict, compare=False)

    def values(self) -> dict[str, float | None]:
        return {name: (r.value if r.available else None) for name, r in self.results.items()}

    def to_json(self) -> dict[str, Any]:
        provenance = {name: r.to_dict() for name, r in self.results.items()}
        return {"metrics": self.values(), "provenance": provenance}


def _provenance(metric: str, corpus: CaptionCorpus, tokenizer: str | None, **settings: Any) -> Provenance:
    return Provenance(
        metric=metric,
        n_samples=len(corpus),
        n_reference=sum(len(r) for r in corpus.references),
        tokenizer=tokenizer,
        settings=tuple(sorted(settings.items())),
    )


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
            prov = _provenance("coco-bleu", corpus, tok, order=k + 1, reflen="closest")
            results[name] = MetricResult(name, corpus_scores[k], prov, ci)
            per_sample[name] = sentence_scores[:, k]

    if "meteor" in metrics:
        prov = _provenance("coco-meteor-1.5", corpus, tok, language="en", norm=True)
        try:
            value, scores = coco_meteor(preds, refs)
        except MetricUnavailableError as error:
            results["meteor"] = MetricResult.unavailable("meteor", str(error), prov)
        else:
            ci = bootstrap_mean(scores, **ci_args) if bootstrap else None
            results["meteor"] = MetricResult("meteor", value, prov, ci)
            per_sample["meteor"] = scores

    if "rouge_l" in metrics:
        value, scores = coco_rouge_l(preds, refs)
        ci = bootstrap_mean(scores, **ci_args) if bootstrap else None
        results["rouge_l"] = MetricResult("rouge_l", value, _provenance("coco-rouge-l", corpus, tok,
                                                                          beta=ROUGE_BETA), ci)
        per_sample["rouge_l"] = scores

    if "cider" in metrics:
        value, scores = coco_cider_d(preds, refs)
        ci = bootstrap_mean(scores, **ci_args) if bootstrap else None  # idf from the full corpus
        prov = _provenance("coco-cider-d", corpus, tok, sigma=CIDER_SIGMA, scale=10.0, idf="reference corpus")
        prov = prov.with_warnings(corpus_size_warnings(len(corpus)))
        results["cider"] = MetricResult("cider", value, prov, ci)
        per_sample["cider"] = scores

    if "sacrebleu" in metrics:
        value, signature = sacrebleu_corpus(corpus.raw_predictions, corpus.raw_references)
        ci = None
        if bootstrap:
            ci = _sacrebleu_ci(corpus, **ci_args)
        prov = _provenance("sacrebleu", corpus, f"sacrebleu-{SACREBLEU_TOKENIZE}", signature=signature)
        results["sacrebleu"] = MetricResult("sacrebleu", value, prov, ci)
    return CaptionScores(results, per_sample)


def _sacrebleu_ci(corpus: CaptionCorpus, n_resamples: int, confidence: float, seed: int):
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
