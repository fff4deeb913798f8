"""Seeded percentile-bootstrap confidence intervals for per-sample and set metrics.

Per-sample metrics (CLIP score, ROUGE-L, per-image CIDEr-D) resample their per-sample values. Set metrics
(FID, KID, FAD, corpus BLEU) resample the samples of each set independently and recompute the statistic, so
they pass a function of index arrays. CIDEr-D keeps the document frequencies of the full corpus inside each
resample (documented in metrics/README.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from metrics.defaults import BOOTSTRAP_CONFIDENCE, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED
from metrics.errors import ConfigError
from metrics.provenance import ConfidenceInterval
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task


def _interval(values: np.ndarray, confidence: float, n_resamples: int, seed: int) -> ConfidenceInterval:
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(values, [100 * alpha, 100 * (1 - alpha)])
    return ConfidenceInterval(float(low), float(high), confidence, n_resamples, seed)


def _check(n_resamples: int, confidence: float) -> None:
    if n_resamples < 2:
        raise ConfigError(f"bootstrap n_resamples must be >= 2, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"bootstrap confidence must be in (0, 1), got {confidence}")


def bootstrap_mean(
    values: np.ndarray,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> ConfidenceInterval:
    """Interval for the mean of per-sample values."""
    _check(n_resamples, confidence)
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(values), size=(n_resamples, len(values)))
    return _interval(values[indices].mean(axis=1), confidence, n_resamples, seed)


def bootstrap_statistic(
    statistic: Callable[..., float],
    sizes: tuple[int, ...],
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> ConfidenceInterval:
    """Interval for ``statistic(idx_1, ..., idx_k)``, each ``idx_j`` a resample of ``range(sizes[j])``.

    One evaluation per resample (corpus BLEU: a pass over the corpus), so a long one shows progress."""
    _check(n_resamples, confidence)
    rng = np.random.default_rng(seed)
    values = np.empty(n_resamples)
    with progress_task("bootstrap", n_resamples, unit="resamples", show_after=SLOW_WORK_SECONDS) as progress:
        for index in range(n_resamples):
            values[index] = statistic(*(rng.integers(0, size, size=size) for size in sizes))
            progress.advance()
    return _interval(values, confidence, n_resamples, seed)
