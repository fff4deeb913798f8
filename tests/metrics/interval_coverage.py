"""Coverage simulation of the FID/FAD jackknife intervals (used by test_interval_coverage.py and for the README).

A setting draws Gaussian feature sets of dimension d and size n. The estimand is E[FD at this n], estimated by
Monte Carlo over independent draws; each repetition draws fresh sets, computes the suite's interval and checks
whether it covers that expectation. ``python tests/metrics/interval_coverage.py`` prints the README table.

Generated and reference rows share a per-sample "prompt" latent (as a generated image and its reference share a
prompt), so the paired difference of two models sees the correlation that pairing exploits.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from metrics.defaults import JACKKNIFE_GROUPS, KID_COEF0, KID_DEGREE
from metrics.frechet import GaussianStatistics, frechet_distance
from metrics.frechet_interval import frechet_interval, paired_frechet_interval
from metrics.kid import kernel_inception_distance, polynomial_kernel, unbiased_mmd2
from metrics.kid_interval import kid_interval

PROMPT_WEIGHT = 0.6  # share of a row's variance that comes from its sample's prompt
KID_SUBSETS = 10  # subsets of half the set: the subset noise is part of what KID's interval must cover


@dataclass(frozen=True)
class Setting:
    """``shift`` moves model B (paired) or the generated set (single) away from the reference distribution."""

    dim: int
    n: int
    shift: float
    paired: bool = False
    kid: bool = False

    @property
    def label(self) -> str:
        kind = "paired FD B - A" if self.paired else "KID" if self.kid else "FD"
        same = "equal" if self.shift == 0 else f"unequal (shift {self.shift})"
        return f"{kind}, d={self.dim}, n={self.n}, {same}"


def _rows(rng: np.random.Generator, prompts: np.ndarray, shift: float, dim: int) -> np.ndarray:
    noise = rng.standard_normal(prompts.shape)
    rows = np.sqrt(PROMPT_WEIGHT) * prompts + np.sqrt(1 - PROMPT_WEIGHT) * noise
    scale = 1.0 + shift * np.linspace(0.5, 1.5, dim)
    return rows * scale + shift


def draw(setting: Setting, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(reference, generated) or, paired, (reference, model A, model B); row i of each is sample i."""
    prompts = rng.standard_normal((setting.n, setting.dim))
    reference = _rows(rng, prompts, 0.0, setting.dim)
    if not setting.paired:
        return reference, _rows(rng, prompts, setting.shift, setting.dim)
    model_a = _rows(rng, prompts, 0.1, setting.dim)
    return reference, model_a, _rows(rng, prompts, 0.1 + setting.shift, setting.dim)


def _distance(first: np.ndarray, second: np.ndarray) -> float:
    a, b = GaussianStatistics.from_features(first), GaussianStatistics.from_features(second)
    return frechet_distance(a.mu, a.sigma, b.mu, b.sigma)


def _kid(generated: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(kid_mean, kid_std) values."""
    result = kernel_inception_distance(generated, reference, subsets=KID_SUBSETS, subset_size=len(generated) // 2)
    return result.kid_mean.value, result.kid_std.value


def statistic(setting: Setting, sets: tuple[np.ndarray, ...]) -> float:
    if setting.kid:
        return _kid(sets[1], sets[0])[0]
    if setting.paired:
        reference, model_a, model_b = sets
        return _distance(model_b, reference) - _distance(model_a, reference)
    reference, generated = sets
    return _distance(generated, reference)


def _full_set_mmd2(generated: np.ndarray, reference: np.ndarray) -> float:
    gamma = 1.0 / generated.shape[1]
    return unbiased_mmd2(*(polynomial_kernel(a, b, KID_DEGREE, gamma, KID_COEF0)
                           for a, b in ((generated, generated), (generated, reference), (reference, reference))))


def expected_value(setting: Setting, draws: int, seed: int) -> float:
    """Monte Carlo estimate of E[statistic at this n] (the interval's estimand). For KID, the full-set unbiased
    MMD^2 has the same expectation as the subset mean (both are unbiased) and costs less."""
    rng = np.random.default_rng(seed)
    if setting.kid:
        return float(np.mean([_full_set_mmd2(*draw(setting, rng)[::-1]) for _ in range(draws)]))
    return float(np.mean([statistic(setting, draw(setting, rng)) for _ in range(draws)]))


def one_interval(setting: Setting, rng: np.random.Generator, seed: int) -> tuple[float, float, float]:
    """(estimate, low, high) of the suite's interval for one fresh draw."""
    sets = draw(setting, rng)
    estimate = statistic(setting, sets)
    if setting.kid:
        reference, generated = sets
        mean, std = _kid(generated, reference)
        ci = kid_interval(mean, std, KID_SUBSETS, generated, reference, groups=JACKKNIFE_GROUPS, confidence=0.95,
                          seed=seed, degree=KID_DEGREE, gamma=1.0 / setting.dim, coef0=KID_COEF0)
    elif setting.paired:
        reference, model_a, model_b = sets
        ci = paired_frechet_interval(estimate, list(model_a[:, None]), list(model_b[:, None]),
                                     list(reference[:, None]), seed=seed)
    else:
        reference, generated = sets
        ci = frechet_interval(estimate, generated, reference, seed=seed)
    return estimate, ci.low, ci.high


@dataclass(frozen=True)
class Coverage:
    setting: Setting
    truth: float
    covered: float
    contains_estimate: bool
    mean_half_width: float
    repetitions: int


def coverage(setting: Setting, repetitions: int = 200, truth_draws: int = 300, seed: int = 0) -> Coverage:
    """Share of ``repetitions`` intervals that cover the Monte Carlo expectation."""
    truth = expected_value(setting, truth_draws, seed=10_000 + seed)
    rng = np.random.default_rng(seed)
    results = np.array([one_interval(setting, rng, seed=rep) for rep in range(repetitions)])
    estimate, low, high = results.T
    return Coverage(setting, truth, float(np.mean((low <= truth) & (truth <= high))),
                    bool(np.all((low <= estimate) & (estimate <= high))), float(np.mean(high - low) / 2), repetitions)


BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def coverage_table(settings: list[Setting], repetitions: int = 200, workers: int = 2) -> list[Coverage]:
    """Coverage per setting, spread over ``workers`` fresh processes with one BLAS thread each (the matrices are
    small: one core per process beats threads fighting over two)."""
    saved = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(BLAS_THREAD_VARIABLES, "1"))  # read by numpy when a worker imports it
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            return list(pool.map(coverage, settings, [repetitions] * len(settings)))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


SINGLE_SETTINGS = [Setting(dim, n, shift) for dim in (64, 256) for n in (500, 2000) for shift in (0.0, 0.2)]
PAIRED_SETTINGS = [Setting(dim, n, shift, paired=True) for dim in (64,) for n in (500, 2000) for shift in (0.0, 0.2)]
KID_SETTINGS = [Setting(64, 500, shift, kid=True) for shift in (0.0, 0.2)]


def markdown(rows: list[Coverage]) -> str:
    lines = ["| setting | E[statistic] (Monte Carlo) | coverage of nominal 95% | mean half-width |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {r.setting.label} | {r.truth:.3f} | {r.covered:.3f} ({r.repetitions} reps) | "
              f"{r.mean_half_width:.3f} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(markdown(coverage_table(SINGLE_SETTINGS + PAIRED_SETTINGS + KID_SETTINGS, reps)))
