"""Jackknife intervals for FID / FAD and for the paired difference of two models' FID against one reference.

Features are reduced once to per-group sums (count, sum x, sum x x^T); every jackknife value is then a sum of
G small arrays and one Frechet distance (see :mod:`metrics.jackknife` for why not the bootstrap). Rows of one
sample (the frames of a video, the 0.96 s examples of a clip) are a cluster and stay in one group, because
they are not independent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from metrics.defaults import BOOTSTRAP_CONFIDENCE, BOOTSTRAP_SEED
from metrics.errors import FeatureError
from metrics.frechet import GaussianStatistics, check_features, frechet_distance
from metrics.jackknife import (
    JACKKNIFE_GROUPS,
    JackknifeVariance,
    assign_groups,
    check_groups,
    jackknife_interval,
    jackknife_variance,
)
from metrics.provenance import ConfidenceInterval


@dataclass(frozen=True)
class GroupedSums:
    """Per-group count, sum and outer-product sum of a feature set (float64)."""

    counts: np.ndarray
    sums: np.ndarray
    outers: np.ndarray
    outer_total: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "outer_total", self.outers.sum(axis=0))

    @classmethod
    def from_rows(cls, features: np.ndarray, group_of_row: np.ndarray, groups: int) -> GroupedSums:
        counts = np.bincount(group_of_row, minlength=groups).astype(np.float64)
        dim = features.shape[1]
        sums = np.zeros((groups, dim))
        outers = np.zeros((groups, dim, dim))
        for g in range(groups):
            rows = features[group_of_row == g]
            sums[g] = rows.sum(axis=0)
            outers[g] = rows.T @ rows
        return cls(counts, sums, outers)

    def statistics(self, keep: np.ndarray, name: str) -> GaussianStatistics:
        """Statistics of the kept groups: the total minus the (one or two) deleted groups, which avoids
        summing G d x d arrays per evaluation."""
        dropped = np.flatnonzero(~keep)
        count = self.counts.sum() - self.counts[dropped].sum()
        total = self.sums.sum(axis=0) - self.sums[dropped].sum(axis=0)
        outer = self.outer_total - self.outers[dropped].sum(axis=0)
        return GaussianStatistics.from_sums(count, total, outer, name)


def _clusters(rows: int, clusters: np.ndarray | None, name: str) -> np.ndarray:
    if clusters is None:
        return np.arange(rows)
    clusters = np.asarray(clusters)
    if clusters.shape != (rows,):
        raise FeatureError(f"{name}: {clusters.shape[0] if clusters.ndim == 1 else clusters.shape} cluster ids "
                           f"for {rows} feature rows; expected one id per row")
    return clusters


def _distance(first: GroupedSums, second: GroupedSums, keep: np.ndarray) -> float:
    a, b = first.statistics(keep, "generated"), second.statistics(keep, "reference")
    return frechet_distance(a.mu, a.sigma, b.mu, b.sigma)


def frechet_jackknife(
    generated: np.ndarray,
    reference: np.ndarray,
    *,
    generated_clusters: np.ndarray | None = None,
    reference_clusters: np.ndarray | None = None,
    groups: int = JACKKNIFE_GROUPS,
    seed: int = BOOTSTRAP_SEED,
) -> JackknifeVariance:
    """Corrected jackknife variance of FD(generated, reference); each set is split into ``groups`` groups.

    Deleting group g removes the g-th group of both sets, so the statistic is a function of G exchangeable
    units. Both sets are grouped with the same seed: when they list the same samples in the same order (the
    harness's generated item i and its reference target i), sample i's two sides land in the same group and
    the covariance a shared prompt induces between the sets is kept; for independent sets it changes nothing.
    """
    gen = check_features(generated, "generated features")
    ref = check_features(reference, "reference features")
    gen_clusters = _clusters(len(gen), generated_clusters, "generated features")
    ref_clusters = _clusters(len(ref), reference_clusters, "reference features")
    for clusters, name in ((gen_clusters, "generated set"), (ref_clusters, "reference set")):
        check_groups(groups, len(np.unique(clusters)), f"FD interval, {name}")
    gen_sums = GroupedSums.from_rows(gen, assign_groups(gen_clusters, groups, seed), groups)
    ref_sums = GroupedSums.from_rows(ref, assign_groups(ref_clusters, groups, seed), groups)
    return jackknife_variance(lambda keep: _distance(gen_sums, ref_sums, keep), groups, seed=seed,
                              label="Frechet distance interval")


def frechet_interval(
    estimate: float,
    generated: np.ndarray,
    reference: np.ndarray,
    *,
    generated_clusters: np.ndarray | None = None,
    reference_clusters: np.ndarray | None = None,
    groups: int = JACKKNIFE_GROUPS,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> ConfidenceInterval:
    """Interval for E[FD at these sample sizes], centred on ``estimate`` (the full-set value)."""
    variance = frechet_jackknife(generated, reference, generated_clusters=generated_clusters,
                                 reference_clusters=reference_clusters, groups=groups, seed=seed)
    return jackknife_interval(estimate, variance, confidence, seed, lower_bound=0.0)


def paired_frechet_jackknife(
    first: list[np.ndarray],
    second: list[np.ndarray],
    reference: list[np.ndarray],
    *,
    groups: int = JACKKNIFE_GROUPS,
    seed: int = BOOTSTRAP_SEED,
) -> JackknifeVariance:
    """Corrected jackknife variance of FD(second, ref) - FD(first, ref) over shared samples.

    Entry i of each list holds the feature rows of sample i (model A's output, model B's output, its reference
    target); a group deletes whole samples from all three sets at once, which is what makes it paired.
    """
    if not len(first) == len(second) == len(reference):
        raise FeatureError(f"paired FD: {len(first)}, {len(second)} and {len(reference)} samples; the two models "
                           "and the reference must list the same samples in the same order")
    check_groups(groups, len(reference), "paired FD interval")
    group_of_sample = assign_groups(np.arange(len(reference)), groups, seed)

    def grouped(rows: list[np.ndarray], name: str) -> GroupedSums:
        stacked = check_features(np.concatenate(rows), name)
        group_of_row = np.repeat(group_of_sample, [len(r) for r in rows])
        return GroupedSums.from_rows(stacked, group_of_row, groups)

    sums_a, sums_b = grouped(first, "first model's features"), grouped(second, "second model's features")
    sums_ref = grouped(reference, "reference features")
    return jackknife_variance(
        lambda keep: _distance(sums_b, sums_ref, keep) - _distance(sums_a, sums_ref, keep), groups, seed=seed,
        label="paired Frechet distance interval")


def paired_frechet_interval(
    difference: float,
    first: list[np.ndarray],
    second: list[np.ndarray],
    reference: list[np.ndarray],
    *,
    groups: int = JACKKNIFE_GROUPS,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> ConfidenceInterval:
    """Interval for E[FD(B) - FD(A)] at these sample sizes, centred on the full-set ``difference``."""
    variance = paired_frechet_jackknife(first, second, reference, groups=groups, seed=seed)
    return jackknife_interval(difference, variance, confidence, seed)
