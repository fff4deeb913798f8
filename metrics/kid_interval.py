"""Jackknife interval for KID, the same method as for FID (metrics/jackknife.py).

KID's value is the mean over random subset pairs of the unbiased MMD^2, so it has two sources of spread:
the samples themselves and the choice of subsets. Averaged over all possible subsets it equals the unbiased
MMD^2 of the full sets, whose sampling variance the grouped jackknife estimates from G x G block sums of the
three kernel matrices (each jackknife value is then a sum of blocks, so all C(G, 2) pairs are used). The
subset noise adds ``kid_std^2 / subsets``. The interval is centred on the reported ``kid_mean``; KID is
unbiased for the population MMD^2 at any n, so that is its estimand. (``kid_std``, the spread of single
subsets, is not an interval of the mean and is never used as one.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from metrics.jackknife import assign_groups, check_groups, jackknife_interval, jackknife_variance
from metrics.provenance import ConfidenceInterval
from nextgpt.core.progress import SLOW_WORK_SECONDS, ProgressTask, progress_task

ROW_CHUNK = 1024  # kernel rows computed at once: 1024 x n float64 (80 MB at n = 10k)


@dataclass(frozen=True)
class KernelBlocks:
    """Per-group counts and G x G block sums of k(x, x) (diagonal excluded), k(y, y) and k(x, y)."""

    count_x: np.ndarray
    count_y: np.ndarray
    xx: np.ndarray
    yy: np.ndarray
    xy: np.ndarray

    def mmd2(self, keep: np.ndarray) -> float:
        """Unbiased MMD^2 of the kept groups."""
        m, n = self.count_x[keep].sum(), self.count_y[keep].sum()
        within_x = self.xx[np.ix_(keep, keep)].sum() / (m * (m - 1))
        within_y = self.yy[np.ix_(keep, keep)].sum() / (n * (n - 1))
        return float(within_x + within_y - 2.0 * self.xy[np.ix_(keep, keep)].sum() / (m * n))


def _block_sums(x: np.ndarray, y: np.ndarray, group_x: np.ndarray, group_y: np.ndarray, groups: int,
                degree: int, gamma: float, coef0: float, progress: ProgressTask) -> np.ndarray:
    """sum of k(x_i, y_j) over i in group g, j in group h, as a G x G matrix, in row chunks (each advances
    ``progress`` by its rows)."""
    one_hot_y = np.eye(groups)[group_y]
    blocks = np.zeros((groups, groups))
    for start in range(0, len(x), ROW_CHUNK):
        rows = slice(start, start + ROW_CHUNK)
        kernel = (x[rows] @ y.T * gamma + coef0) ** degree
        np.add.at(blocks, group_x[rows], kernel @ one_hot_y)
        progress.advance(len(kernel))
    return blocks


def kernel_blocks(gen: np.ndarray, ref: np.ndarray, groups: int, seed: int, degree: int, gamma: float,
                  coef0: float) -> KernelBlocks:
    group_x = assign_groups(np.arange(len(gen)), groups, seed)
    group_y = assign_groups(np.arange(len(ref)), groups, seed)  # aligned with x when the sets are (see FD)
    with progress_task("KID interval kernels", 2 * len(gen) + len(ref), unit="rows",
                       show_after=SLOW_WORK_SECONDS) as progress:
        xx = _block_sums(gen, gen, group_x, group_x, groups, degree, gamma, coef0, progress)
        yy = _block_sums(ref, ref, group_y, group_y, groups, degree, gamma, coef0, progress)
        xy = _block_sums(gen, ref, group_x, group_y, groups, degree, gamma, coef0, progress)
    # the diagonal k(x_i, x_i) is not part of the unbiased estimator
    xx -= np.diag(np.bincount(group_x, weights=((gen * gen).sum(1) * gamma + coef0) ** degree, minlength=groups))
    yy -= np.diag(np.bincount(group_y, weights=((ref * ref).sum(1) * gamma + coef0) ** degree, minlength=groups))
    return KernelBlocks(np.bincount(group_x, minlength=groups).astype(float),
                        np.bincount(group_y, minlength=groups).astype(float), xx, yy, xy)


def kid_interval(kid_mean: float, kid_std: float, subsets: int, gen: np.ndarray, ref: np.ndarray, *, groups: int,
                 confidence: float, seed: int, degree: int, gamma: float, coef0: float) -> ConfidenceInterval:
    """Interval for the population MMD^2, centred on the reported subset mean."""
    check_groups(groups, min(len(gen), len(ref)), "KID interval")
    blocks = kernel_blocks(gen, ref, groups, seed, degree, gamma, coef0)
    variance = jackknife_variance(blocks.mmd2, groups, pairs=math.comb(groups, 2), seed=seed, label="KID interval")
    return jackknife_interval(kid_mean, variance, confidence, seed, extra_variance=kid_std**2 / subsets)
