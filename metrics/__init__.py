"""Metrics for any-to-any models: FID, KID, CLIP score, CLIP-I, CLIPSIM, FAD and the COCO caption metrics.

Every metric returns a :class:`metrics.provenance.MetricResult` (value + provenance + optional interval), or a
small frozen dataclass of them where it gives several numbers (:class:`KIDResult`, :class:`BleuScores`,
:class:`CaptionScores`); ``MetricResult.from_dict(result.to_dict()) == result``. Names are exported lazily
so ``import metrics`` (and ``nextgpt-bench --help``) stays cheap.
See metrics/README.md for formats, conventions and which numbers are comparable with papers.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MetricResult": "metrics.provenance",
    "Provenance": "metrics.provenance",
    "ConfidenceInterval": "metrics.provenance",
    "ResultGroup": "metrics.provenance",
    "score_captions": "metrics.captions.suite",
    "CaptionScores": "metrics.captions.suite",
    "CocoBLEU": "metrics.captions.streaming",
    "BleuScores": "metrics.captions.bleu",
    "CocoCaptionMetrics": "metrics.captions.streaming",
    "coco_bleu": "metrics.captions.bleu",
    "coco_cider_d": "metrics.captions.cider",
    "coco_rouge_l": "metrics.captions.rouge",
    "coco_meteor": "metrics.captions.meteor",
    "sacrebleu_corpus": "metrics.captions.sacrebleu_metric",
    "frechet_distance": "metrics.frechet",
    "GaussianStatistics": "metrics.frechet",
    "FrechetInceptionDistance": "metrics.frechet_metrics",
    "FrechetAudioDistance": "metrics.frechet_metrics",
    "frechet_from_features": "metrics.frechet_metrics",
    "KernelInceptionDistance": "metrics.kid",
    "kernel_inception_distance": "metrics.kid",
    "KIDResult": "metrics.kid",
    "CLIPScore": "metrics.clip_metrics",
    "CLIPImageSimilarity": "metrics.clip_metrics",
    "CLIPSIM": "metrics.clip_metrics",
    "clip_score": "metrics.clip_metrics",
    "build_extractor": "metrics.extractors.registry",
    "register_feature_extractor": "metrics.extractors.registry",
    "save_statistics": "metrics.statistics_file",
    "load_statistics": "metrics.statistics_file",
    "bootstrap_mean": "metrics.bootstrap",
    "bootstrap_statistic": "metrics.bootstrap",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'metrics' has no attribute {name!r}")
