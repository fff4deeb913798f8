"""Grouped jackknife intervals for biased set statistics (FID, FAD, KID, paired differences of them).

Why not the bootstrap: resampling *with replacement* puts duplicates into a feature set, and a Frechet
distance treats a duplicate as a second, perfectly correlated sample -- every resample's value is inflated
(two sets from one distribution: FID 2.25, bootstrap interval [4.13, 4.62]). The estimand papers report is the
expected value of the statistic at the sample size used (FID-30k is E[FID] over 30k-sample sets), so an
interval needs an estimate of the *spread* of the statistic at this n, centred on the estimate itself.

Method. The samples are split at random into G groups (whole clusters -- the frames of one video, the 0.96 s
examples of one clip -- stay together). The statistic is recomputed without each group (T_g) and without
2G random pairs of groups (T_gh), from per-group sums, so no feature is ever duplicated.

* The delete-a-group jackknife variance v_J = (G-1)/G * sum_g (T_g - mean T_g)^2 is unbiased for the
  first-order (linear) part of the statistic's variance, but by the Efron-Stein ANOVA argument it counts the
  second-order part twice (Efron & Stein 1981, "The jackknife estimate of variance"). FID of two sets from
  one distribution is almost purely second order, and v_J is then ~2x the true variance (measured 1.9-2.5x).
* The second-order part is measured by the interaction residuals r_gh = G T - (G-1)(T_g + T_h) + (G-2) T_gh:
  for a statistic T_m = theta + c/m + (1/m) sum a(Z_i) + (1/m^2) sum_{i!=j} b(Z_i, Z_j) over m groups, the
  constant, bias and linear terms cancel exactly, and r_gh is a known linear combination of the b's.
  Matching expectations gives v = v_J - k(G) sum_{g<h} r_gh^2, with k(G) from :func:`second_order_coefficient`.
* v is clamped to [v_J / 2, v_J]: up to second order, E[v_J] = V1 + 2 V2 lies between the true variance
  V1 + V2 and twice it, so the clamp only removes sampling noise of the correction.

The interval is ``estimate +- t_{df, (1+confidence)/2} * sqrt(v)``, df from Satterthwaite's approximation
(:attr:`JackknifeVariance.degrees_of_freedom`): symmetric, so it always contains its own estimate. Coverage
of E[statistic at this n] is checked by simulation in tests/metrics/test_interval_coverage.py (table in
metrics/README.md).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from metrics.defaults import JACKKNIFE_GROUPS
from metrics.errors import ConfigError
from metrics.provenance import ConfidenceInterval
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

__all__ = ["JACKKNIFE_GROUPS", "JackknifeVariance", "assign_groups", "check_groups", "jackknife_interval",
           "jackknife_variance", "second_order_coefficient"]
JACKKNIFE_METHOD = "grouped jackknife, second-order corrected"


def second_order_coefficient(groups: int) -> float:
    """k(G) such that E[v_J] - Var(T) = k(G) * E[sum_{g<h} r_gh^2] for a purely second-order statistic.

    With T_m = (2/m^2) sum_{pairs} b over m groups (b degenerate, variance s^2):
    Var(T_G) = 2 (G-1) s^2 / G^3, E[v_J] = 4 (G-2) s^2 / (G (G-1)^2), and each r_gh has expected square
    s^2 [C(G-2, 2) * 16 / (G(G-1)(G-2))^2 + 2 (G-2) * 4 / (G(G-1))^2 + 4 / G^2] (pairs touching neither,
    one or both of g, h).
    """
    g = groups
    excess = 4 * (g - 2) / (g * (g - 1) ** 2) - 2 * (g - 1) / g**3
    residual = (math.comb(g - 2, 2) * 16 / (g * (g - 1) * (g - 2)) ** 2
                + 2 * (g - 2) * 4 / (g * (g - 1)) ** 2 + 4 / g**2)
    return excess / (math.comb(g, 2) * residual)


@dataclass(frozen=True)
class JackknifeVariance:
    """The pieces of the corrected variance, kept for provenance and for the coverage tests."""

    groups: int
    full: float
    jackknife: float
    corrected: float
    pairs: int

    @property
    def variance(self) -> float:
        """The corrected variance clamped to [v_J / 2, v_J] (see the module docstring)."""
        return min(max(self.corrected, self.jackknife / 2.0), self.jackknife)

    @property
    def degrees_of_freedom(self) -> float:
        """Satterthwaite's degrees of freedom of v = v_J - correction, kept within [(G-1)/2, G-1].

        v_J has G - 1 degrees of freedom and the correction about as many as the pairs it is estimated from;
        their difference is noisier than either when the correction is material. With G - 1 df regardless,
        coverage of a first-order dominated FID fell to 0.90 (d = 256, n = 2000); with (G - 1) / 2 regardless,
        a paired difference was over-covered (0.995). The floor stops the degenerate case, where the clamp
        removes half of v_J, from collapsing to ~2 df (measured: coverage 1.0).
        """
        low, high = (self.groups - 1) / 2.0, float(self.groups - 1)
        removed = self.jackknife - self.variance
        if self.variance <= 0.0:
            return high
        satterthwaite = self.variance**2 / (self.jackknife**2 / high + removed**2 / self.pairs)
        return min(max(satterthwaite, low), high)


def check_groups(groups: int, n_units: int, what: str) -> int:
    """The number of groups to use for ``n_units`` independent units, or a ConfigError naming the problem."""
    if groups < 3:
        raise ConfigError(f"jackknife groups must be >= 3, got {groups}")
    if n_units < groups:
        raise ConfigError(f"{what}: {n_units} independent samples cannot be split into {groups} jackknife groups; "
                          f"need at least {groups} (or pass fewer groups)")
    return groups


def default_pairs(groups: int) -> int:
    """Delete-two evaluations used for the correction: 2G of the G(G-1)/2 pairs (all of them for G <= 5)."""
    return min(2 * groups, math.comb(groups, 2))


def jackknife_variance(statistic: Callable[[np.ndarray], float], groups: int, *, pairs: int | None = None,
                       seed: int = 0, label: str = "jackknife interval") -> JackknifeVariance:
    """Corrected jackknife variance of ``statistic(keep)``, ``keep`` a boolean mask over the groups.

    Costs 1 + G + ``pairs`` evaluations of the statistic (31 for G = 10 and the default 2G pairs). The pairs
    are drawn at random without replacement (``seed``); their mean squared residual stands for all C(G, 2).
    An evaluation can take seconds (a 2048-d Frechet distance), so a long computation shows progress as
    ``label`` (``nextgpt.core.progress``).
    """
    keep_all = np.ones(groups, dtype=bool)
    all_pairs = list(itertools.combinations(range(groups), 2))
    chosen = np.random.default_rng(seed).choice(len(all_pairs), size=pairs or default_pairs(groups), replace=False)
    with progress_task(label, 1 + groups + len(chosen), unit="evaluations",
                       show_after=SLOW_WORK_SECONDS) as progress:
        full = statistic(keep_all)
        progress.advance()
        delete_one = np.empty(groups)
        for g in range(groups):
            keep = keep_all.copy()
            keep[g] = False
            delete_one[g] = statistic(keep)
            progress.advance()
        jackknife = (groups - 1) / groups * float(((delete_one - delete_one.mean()) ** 2).sum())
        residual_squares = 0.0
        for g, h in (all_pairs[i] for i in sorted(chosen)):
            keep = keep_all.copy()
            keep[[g, h]] = False
            residual = (groups * full - (groups - 1) * (delete_one[g] + delete_one[h])
                        + (groups - 2) * statistic(keep))
            residual_squares += residual**2
            progress.advance()
    residual_squares *= len(all_pairs) / len(chosen)
    corrected = jackknife - second_order_coefficient(groups) * residual_squares
    return JackknifeVariance(groups, full, jackknife, corrected, len(chosen))


def jackknife_interval(estimate: float, variance: JackknifeVariance, confidence: float, seed: int, *,
                       extra_variance: float = 0.0, lower_bound: float | None = None) -> ConfidenceInterval:
    """``estimate +- t * sqrt(variance)``; ``extra_variance`` adds independent noise (e.g. KID's subsets).

    ``lower_bound`` cuts the interval where the estimand cannot go (an expected distance is >= 0); the
    estimate itself stays inside.
    """
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence}")
    degrees = variance.degrees_of_freedom
    quantile = float(stats.t.ppf((1.0 + confidence) / 2.0, degrees))
    half_width = quantile * math.sqrt(max(variance.variance + extra_variance, 0.0))
    low = estimate - half_width
    if lower_bound is not None:
        low = max(low, min(lower_bound, estimate))
    return ConfidenceInterval(low, estimate + half_width, confidence, variance.groups, seed,
                              method=f"{JACKKNIFE_METHOD} ({variance.groups} groups, t with "
                                     f"{degrees:.1f} df)")


def assign_groups(clusters: np.ndarray, groups: int, seed: int) -> np.ndarray:
    """Group index per row: whole clusters (one sample's rows) go to one group, clusters shuffled by ``seed``.

    Groups get as equal a number of clusters as possible (sizes differ by at most one).
    """
    unique, inverse = np.unique(clusters, return_inverse=True)
    order = np.random.default_rng(seed).permutation(len(unique))
    cluster_group = np.empty(len(unique), dtype=np.int64)
    cluster_group[order] = np.arange(len(unique)) % groups
    return cluster_group[inverse]
