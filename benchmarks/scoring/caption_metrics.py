"""COCO caption metrics (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, sacreBLEU) of a captioning task's answers, all
from one call of the metric library's caption suite (they share tokenisation and n-gram statistics)."""

from __future__ import annotations

import dataclasses

from benchmarks.scoring.computation import ScoredMetric, SetMetric, SetOutcome
from benchmarks.scoring.context import ScoringContext
from benchmarks.scoring.metric_spec import Granularity, MetricSpec

#: What an empty caption answer is scored as (a made-up word no reference contains).
EMPTY_ANSWER = "noanswergiven"


def score_caption_suite(context: ScoringContext, names: tuple[str, ...]) -> SetOutcome:
    """An empty answer is a real (bad) model output, not a data error: it is scored as a word no reference
    contains, so it matches nothing, and the count is recorded as a warning of every caption metric."""
    from metrics.captions.suite import score_captions

    samples = context.samples()
    predictions = {s.id: context.output(s).text for s in samples}
    empty = [sid for sid, text in predictions.items() if not text.strip()]
    predictions.update(dict.fromkeys(empty, EMPTY_ANSWER))
    references = {s.id: list(s.captions) for s in samples}
    scores = score_captions(predictions, references, metrics=names, bootstrap=context.bootstrap,
                            seed=context.seed)
    note = f"{len(empty)} of {len(samples)} answers were empty and scored as the word {EMPTY_ANSWER!r}"
    scored = []
    for name in names:
        result = scores.results[name]
        if empty:
            result = dataclasses.replace(result, provenance=result.provenance.with_warnings([note]))
        per_sample = scores.per_sample.get(name)
        scored.append(ScoredMetric(result, len(samples), None if per_sample is None else dict(
            zip(predictions, map(float, per_sample), strict=True))))
    return SetOutcome(tuple(scored))


_SUITE = SetMetric(score_caption_suite)


def _caption(name: str, granularity: Granularity, description: str) -> MetricSpec:
    """Corpus statistics (BLEU, METEOR) get no paired interval; means of per-caption scores do."""
    return MetricSpec(name, True, frozenset({"text"}), granularity,
                      "per-sample" if granularity == "per-sample" else "none", description, _SUITE)


CAPTION_METRICS: tuple[MetricSpec, ...] = (
    *(_caption(f"bleu{k}", "per-set", f"COCO corpus BLEU-{k} (pycocoevalcap, 0-1 scale)") for k in range(1, 5)),
    _caption("meteor", "per-set", "COCO METEOR 1.5 (corpus score of the Java scorer)"),
    _caption("rouge_l", "per-sample", "COCO ROUGE-L, mean of per-caption F-scores"),
    _caption("cider", "per-sample", "COCO CIDEr-D, mean of per-caption scores (idf from the reference corpus)"),
    _caption("sacrebleu", "per-set", "sacreBLEU corpus BLEU (0-100 scale)"),
)
