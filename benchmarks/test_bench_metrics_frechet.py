"""Frechet distance at d = 2048 beside the scipy sqrtm formula (target >= 2x), the cost of its jackknife
interval at 10k samples, and FID streaming memory staying flat from 1k to 10k samples.
``pytest benchmarks/test_bench_metrics_frechet.py --benchmark-only``."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

DIM = 2048
SPEEDUP_TARGET = 2.0


@pytest.fixture(scope="module")
def statistics() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4096, DIM))
    y = rng.normal(size=(4096, DIM)) * 1.1 + 0.05
    return x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False)


def _scipy_formula(mu1, sigma1, mu2, sigma2) -> float:  # type: ignore[no-untyped-def]
    """pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm of the product)."""
    import scipy.linalg

    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def _ours(mu1, sigma1, mu2, sigma2) -> float:  # type: ignore[no-untyped-def]
    from metrics.frechet import frechet_distance

    return frechet_distance(mu1, sigma1, mu2, sigma2)


@pytest.mark.benchmark(group="frechet-distance-d2048")
def test_frechet_scipy_sqrtm(benchmark, statistics) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(_scipy_formula, args=statistics, rounds=1, iterations=1)


@pytest.mark.benchmark(group="frechet-distance-d2048")
def test_frechet_metrics(benchmark, statistics) -> None:  # type: ignore[no-untyped-def]
    ours = benchmark.pedantic(_ours, args=statistics, rounds=2, iterations=1)
    start = time.perf_counter()
    reference = _scipy_formula(*statistics)
    reference_time = time.perf_counter() - start
    assert ours == pytest.approx(reference, rel=1e-6)
    speedup = reference_time / benchmark.stats.stats.min
    benchmark.extra_info["speedup_vs_scipy_sqrtm"] = round(speedup, 2)
    assert speedup >= SPEEDUP_TARGET, f"only {speedup:.1f}x faster than scipy sqrtm"


INTERVAL_SAMPLES = 10_000


@pytest.fixture(scope="module")
def features_10k() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=(INTERVAL_SAMPLES, DIM)), rng.normal(size=(INTERVAL_SAMPLES, DIM)) * 1.05 + 0.02


def _fid(generated: np.ndarray, reference: np.ndarray, interval: bool) -> float:
    from metrics.frechet_metrics import frechet_from_features

    return frechet_from_features(generated, reference, interval=interval).value


def _one_bootstrap_resample(generated: np.ndarray, reference: np.ndarray) -> float:
    """What each resample of the replaced percentile bootstrap cost: two resampled covariances and a distance."""
    from metrics.frechet import GaussianStatistics, frechet_distance

    rng = np.random.default_rng(0)
    a = GaussianStatistics.from_features(generated[rng.integers(0, len(generated), len(generated))])
    b = GaussianStatistics.from_features(reference[rng.integers(0, len(reference), len(reference))])
    return frechet_distance(a.mu, a.sigma, b.mu, b.sigma)


@pytest.mark.benchmark(group="fid-interval-10k-d2048")
def test_fid_without_interval(benchmark, features_10k) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(_fid, args=(*features_10k, False), rounds=1, iterations=1)


@pytest.mark.benchmark(group="fid-interval-10k-d2048")
def test_fid_with_jackknife_interval(benchmark, features_10k) -> None:  # type: ignore[no-untyped-def]
    """Cost of the interval in units of the plain FID and of the 200-resample bootstrap it replaced (one
    resample timed here, times 200). Recorded, not asserted: both sides are numpy/LAPACK-bound the same way."""
    benchmark.pedantic(_fid, args=(*features_10k, True), rounds=1, iterations=1)
    start = time.perf_counter()
    _fid(*features_10k, False)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    _one_bootstrap_resample(*features_10k)
    bootstrap_200 = 200 * (time.perf_counter() - start)
    seconds = benchmark.stats.stats.min
    benchmark.extra_info.update(seconds=round(seconds, 1), times_plain_fid=round(seconds / plain, 1),
                                bootstrap_200_seconds_estimated=round(bootstrap_200, 1),
                                speedup_vs_bootstrap_200=round(bootstrap_200 / seconds, 1))


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stream(n_samples: int, batch: int = 250) -> float:
    """Stream n 2048-d Inception-sized feature vectors through FID; returns the metric state in MiB."""
    import torch

    from metrics.extractors.base import ExtractorIdentity, FeatureExtractor
    from metrics.frechet_metrics import FrechetInceptionDistance

    class Features2048(FeatureExtractor):  # stands in for Inception: the state size is what is measured
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    metric = FrechetInceptionDistance(extractor=Features2048(ExtractorIdentity("bench-2048", False, None, DIM, "")))
    rng = np.random.default_rng(1)
    for _ in range(n_samples // batch):
        metric.update_features(rng.normal(size=(batch, DIM)).astype(np.float32), real=False)
        metric.update_features(rng.normal(size=(batch, DIM)).astype(np.float32), real=True)
    metric.compute()
    return sum(t.numel() * t.element_size() for t in metric.metric_state.values()) / 2**20


def _peak_rss_in_fresh_process(n_samples: int) -> tuple[float, float]:
    """(peak RSS MiB, state MiB) of a new interpreter that streams ``n_samples`` (no earlier allocations)."""
    import subprocess
    import sys

    code = (f"import benchmarks.test_bench_metrics_frechet as b; state = b._stream({n_samples}); "
            "print(b._peak_rss_mib(), state)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.split()
    return float(out[-2]), float(out[-1])


@pytest.mark.benchmark(group="fid-streaming-memory")
def test_fid_streaming_memory_is_flat(benchmark) -> None:  # type: ignore[no-untyped-def]
    peak_1k, state_1k = _peak_rss_in_fresh_process(1000)
    peak_10k, state_10k = benchmark.pedantic(_peak_rss_in_fresh_process, args=(10000,), rounds=1, iterations=1)
    growth = peak_10k - peak_1k
    benchmark.extra_info.update(state_mib_1k=round(state_1k, 1), state_mib_10k=round(state_10k, 1),
                                peak_rss_mib_1k=round(peak_1k, 1), peak_rss_mib_10k=round(peak_10k, 1))
    assert state_10k == state_1k
    kept_features_mib = 2 * 10000 * DIM * 4 / 2**20  # what keeping the features would cost (~156 MiB)
    assert growth < kept_features_mib / 4, f"peak RSS grew {growth:.0f} MiB from 1k to 10k samples"
