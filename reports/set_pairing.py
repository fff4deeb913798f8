"""Paired intervals for set statistics (FID, FAD): recomputed from the feature rows both runs stored.

FID/FAD have no per-sample scores, but each generated item still belongs to a sample: deleting groups of
*samples* (their generated media in both runs and their reference target together) and recomputing both
distances gives a paired jackknife interval of the difference (metrics/frechet_interval.py; the bootstrap is
not used because duplicated samples inflate a Frechet distance).  The feature rows are the ones the runs were
scored from (the scorers store them per sample with the extractor's name and weights sha256:
``ResultsStore.features``), so no feature network is built here; the recomputed full-set values must still
reproduce the stored ones -- otherwise no interval is reported.  Which metrics get this pairing is the metric
registry's ``pairing`` (``set-jackknife``).

Runs stored before feature rows were (results-store schema 3) have none, so they get no paired interval; the
note says why and what to do: rerun the same ``nextgpt-bench run`` command, which makes a new run whose
outputs come from the generation cache and whose features are stored, and compare that run's id instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reports.rundata import RunData

if TYPE_CHECKING:
    from benchmarks.store import ResultsStore
    from metrics.frechet import GaussianStatistics


def paired_set_difference(a: RunData, b: RunData, task: str, metric: str, *, groups: int, seed: int,
                          confidence: float) -> tuple[tuple[float, float] | None, int, str]:
    """-> (interval of B - A or None, number of paired samples, note saying how or why not)."""
    from metrics.frechet_interval import paired_frechet_interval
    from metrics.jackknife import check_groups
    from nextgpt.core.errors import NextGPTError

    if groups <= 0:
        return None, 0, f"no paired CI: {metric} is a set statistic and --set-groups is 0"
    if not _set_jackknife(metric):
        return None, 0, f"no paired CI: {metric} is a set statistic"
    if a.store is None or b.store is None:
        return None, 0, (f"no paired CI: {metric} is a set statistic and a run comes from a file (no stored "
                         "features)")
    try:
        features = _features(a, b, task, metric)
    except NextGPTError as error:
        return None, 0, f"no paired CI: {metric} could not be recomputed from the stored features ({error})"
    rows_a, rows_b, rows_ref = features
    n = len(rows_ref)
    try:
        check_groups(groups, n, f"paired {metric}")
    except NextGPTError as error:
        return None, n, f"no paired CI: {error}"
    full = np.arange(n)
    for run, rows in ((a, rows_a), (b, rows_b)):
        stored = run.metrics[(task, metric)].value
        recomputed = _distance(rows, _statistics(rows_ref, full), full)
        if stored is None or not np.isclose(recomputed, stored, rtol=1e-5, atol=1e-8):
            return None, n, (f"no paired CI: recomputing {metric} of {run.run_id} from its features gave "
                             f"{recomputed:.6g}, not the stored {stored}")
    difference = float(b.metrics[(task, metric)].value) - float(a.metrics[(task, metric)].value)  # type: ignore[arg-type]
    interval = paired_frechet_interval(difference, rows_a, rows_b, rows_ref, groups=groups, confidence=confidence,
                                       seed=seed)
    extractor = a.metrics[(task, metric)].result.provenance.extractor
    return (interval.low, interval.high), n, (
        f"{interval.method} over {n} shared samples (whole samples deleted from both runs and the reference "
        f"together), {metric} recomputed from the feature rows of {extractor} stored when the runs were scored "
        f"(no media re-read), seed {seed}")


def _store(run: RunData) -> ResultsStore:
    from nextgpt.core.errors import StoreError

    if run.store is None:
        raise StoreError(f"run {run.run_id} comes from {run.source}, not from a results store: no stored features")
    return run.store


def _set_jackknife(metric: str) -> bool:
    from benchmarks.scoring.registry import metric_spec
    from nextgpt.core.errors import TaskError

    try:
        return metric_spec(metric).pairing == "set-jackknife"
    except TaskError:
        return False


def _statistics(rows: list[np.ndarray], index: np.ndarray) -> GaussianStatistics:
    from metrics.frechet import GaussianStatistics

    return GaussianStatistics.from_features(np.concatenate([rows[i] for i in index]))


def _distance(rows: list[np.ndarray], reference: GaussianStatistics, index: np.ndarray) -> float:
    from metrics.frechet import frechet_distance

    generated = _statistics(rows, index)
    return frechet_distance(generated.mu, generated.sigma, reference.mu, reference.sigma)


def _features(a: RunData, b: RunData, task: str, metric: str) -> tuple[list[np.ndarray], ...]:
    """Per shared sample (in A's scoring order): feature rows of A's output, B's output and the reference
    target, as the runs' scoring stored them (ResultsStore.features)."""
    from nextgpt.core.errors import StoreError

    extractor = a.metrics[(task, metric)].result.provenance.extractor
    if not extractor:
        raise StoreError(f"the stored {metric} of run {a.run_id} task {task} names no feature extractor")
    generated_a = _store(a).features(a.run_id, task, extractor, "generated")
    generated_b = _store(b).features(b.run_id, task, extractor, "generated")
    reference = _store(a).features(a.run_id, task, extractor, "reference")
    if generated_a.weights_sha256 != generated_b.weights_sha256:
        raise StoreError(f"{extractor} features of runs {a.run_id} and {b.run_id} come from different weights "
                         f"({generated_a.weights_sha256} vs {generated_b.weights_sha256})")
    rows_a, rows_b, rows_ref = generated_a.by_sample(), generated_b.by_sample(), reference.by_sample()
    shared = [sid for sid in reference.sample_ids if sid in rows_a and sid in rows_b]
    return tuple([rows[sid].astype(np.float64) for sid in shared] for rows in (rows_a, rows_b, rows_ref))
