"""FID/FAD math equals the scipy sqrtm formula (pytorch-fid); KID equals torch-fidelity's estimator."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from metrics.errors import ConfigError, FeatureError, IncomparableResultsError
from metrics.frechet import GaussianStatistics, frechet_distance
from metrics.frechet_metrics import FrechetInceptionDistance, frechet_from_features
from metrics.kid import kernel_inception_distance
from metrics.statistics_file import load_statistics, save_statistics


def scipy_frechet(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance, written out here as the reference."""
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def test_analytic_case_d2048() -> None:
    d = 2048
    assert frechet_distance(np.zeros(d), np.eye(d), np.ones(d), np.eye(d)) == pytest.approx(2048.0, rel=1e-12)


@pytest.mark.parametrize("dim", [16, 256])
def test_random_statistics_equal_scipy(dim: int) -> None:
    rng = np.random.default_rng(dim)
    x, y = rng.normal(size=(4 * dim, dim)), rng.normal(size=(4 * dim, dim)) * 1.3 + 0.2
    a, b = GaussianStatistics.from_features(x), GaussianStatistics.from_features(y)
    expected = scipy_frechet(a.mu, a.sigma, b.mu, b.sigma)
    assert frechet_distance(a.mu, a.sigma, b.mu, b.sigma) == pytest.approx(expected, rel=1e-6)


def test_near_singular_covariance_equals_scipy() -> None:
    rng = np.random.default_rng(7)
    dim, rank = 64, 20
    basis = rng.normal(size=(rank, dim))
    x = rng.normal(size=(500, rank)) @ basis  # covariance of rank 20 in 64 dims
    y = rng.normal(size=(500, dim)) * 0.5
    a, b = GaussianStatistics.from_features(x), GaussianStatistics.from_features(y)
    sigma1 = a.sigma + 1e-9 * np.eye(dim)  # near-singular, as with too few samples
    expected = scipy_frechet(a.mu, sigma1, b.mu, b.sigma)
    assert frechet_distance(a.mu, sigma1, b.mu, b.sigma) == pytest.approx(expected, rel=1e-6)


def test_streaming_sums_equal_functional_and_memory_is_constant() -> None:
    from metrics.extractors.toy import ToyImageExtractor

    rng = np.random.default_rng(0)
    gen, ref = rng.normal(size=(300, 64)), rng.normal(size=(200, 64)) + 0.3
    metric = FrechetInceptionDistance(extractor=ToyImageExtractor())
    state_bytes = sum(t.numel() for t in (metric.fake_sum, metric.fake_outer))
    for chunk in np.array_split(gen, 7):
        metric.update_features(chunk, real=False)
    for chunk in np.array_split(ref, 3):
        metric.update_features(chunk, real=True)
    assert sum(t.numel() for t in (metric.fake_sum, metric.fake_outer)) == state_bytes
    result = metric.compute()
    expected = frechet_from_features(gen, ref).value
    assert result.value == pytest.approx(expected, rel=1e-9)
    assert result.qualified_name == "fid[toy]"
    assert result.provenance.extractor_canonical is False
    assert result.provenance.n_samples == 300 and result.provenance.n_reference == 200


def test_rank_deficient_covariance_warns(caplog) -> None:
    rng = np.random.default_rng(1)
    result = frechet_from_features(rng.normal(size=(10, 32)), rng.normal(size=(100, 32)))
    assert any("rank" in w for w in result.provenance.warnings)
    assert "rank" in caplog.text


def test_nan_features_are_an_error() -> None:
    x = np.ones((5, 4))
    x[2, 1] = np.nan
    with pytest.raises(FeatureError, match="NaN"):
        frechet_from_features(x, np.ones((5, 4)))


def test_toy_and_canonical_results_are_refused() -> None:
    from dataclasses import replace

    rng = np.random.default_rng(2)
    toy = frechet_from_features(rng.normal(size=(50, 8)), rng.normal(size=(50, 8)), extractor="toy",
                                extractor_canonical=False)
    canonical = replace(toy, provenance=replace(toy.provenance, extractor="inception-2015-12-05",
                                                extractor_canonical=True, weights_sha256="6726825d" * 8))
    assert toy.qualified_name == "fid[toy]" and canonical.qualified_name == "fid[inception-2015-12-05]"
    with pytest.raises(IncomparableResultsError, match="extractor"):
        toy.difference(canonical)
    assert toy.difference(toy) == 0.0


def test_npz_round_trip_and_pytorch_fid_layout(tmp_path) -> None:
    rng = np.random.default_rng(3)
    stats = GaussianStatistics.from_features(rng.normal(size=(40, 6)))
    path = save_statistics(tmp_path / "ref.npz", stats, extractor="toy")
    with np.load(path) as data:  # what pytorch-fid reads
        np.testing.assert_array_equal(data["mu"], stats.mu)
        np.testing.assert_array_equal(data["sigma"], stats.sigma)
    loaded = load_statistics(path)
    assert loaded.extractor == "toy" and loaded.statistics.n == 40
    np.savez(tmp_path / "plain.npz", mu=stats.mu, sigma=stats.sigma)  # a file written by pytorch-fid
    plain = load_statistics(tmp_path / "plain.npz")
    assert plain.extractor is None and plain.statistics.n is None
    np.savez(tmp_path / "bad.npz", mean=stats.mu)
    with pytest.raises(FeatureError, match="'mu' and 'sigma'"):
        load_statistics(tmp_path / "bad.npz")
    (tmp_path / "trunc.npz").write_bytes(path.read_bytes()[:100])
    with pytest.raises(FeatureError, match="cannot read"):
        load_statistics(tmp_path / "trunc.npz")


def _torch_fidelity_kid(f1, f2, subsets, subset_size, degree=3, coef0=1, seed=2020):
    """torch-fidelity's kid_features_to_metric / polynomial_mmd, written out as the reference."""
    rng = np.random.RandomState(seed)
    gamma = 1.0 / f1.shape[1]
    mmds = np.zeros(subsets)
    for i in range(subsets):
        x = f1[rng.choice(len(f1), subset_size, replace=False)]
        y = f2[rng.choice(len(f2), subset_size, replace=False)]
        k_xx, k_yy, k_xy = ((x @ x.T) * gamma + coef0) ** degree, ((y @ y.T) * gamma + coef0) ** degree, (
            (x @ y.T) * gamma + coef0) ** degree
        m = k_xx.shape[0]
        kt_xx_sum = (k_xx.sum(axis=1) - np.diagonal(k_xx)).sum()
        kt_yy_sum = (k_yy.sum(axis=1) - np.diagonal(k_yy)).sum()
        mmds[i] = (kt_xx_sum + kt_yy_sum) / (m * (m - 1)) - 2 * k_xy.sum(axis=0).sum() / (m * m)
    return float(np.mean(mmds)), float(np.std(mmds))


def test_kid_equals_torch_fidelity_formula() -> None:
    rng = np.random.default_rng(4)
    gen, ref = rng.normal(size=(120, 32)), rng.normal(size=(150, 32)) + 0.2
    result = kernel_inception_distance(gen, ref, subsets=10, subset_size=50)
    ref_mean, ref_std = _torch_fidelity_kid(gen, ref, 10, 50)
    assert result.kid_mean.value == pytest.approx(ref_mean, rel=1e-10)
    assert result.kid_std.value == pytest.approx(ref_std, rel=1e-10)
    with pytest.raises(ConfigError, match="subset_size"):
        kernel_inception_distance(gen, ref, subset_size=1000)


def test_kid_class_clamps_subset_size_to_the_smaller_set_and_records_it(caplog) -> None:
    from metrics.extractors.toy import ToyImageExtractor
    from metrics.kid import KernelInceptionDistance

    rng = np.random.default_rng(5)
    gen, ref = rng.normal(size=(20, 64)), rng.normal(size=(35, 64)) + 0.2
    kid = KernelInceptionDistance(extractor=ToyImageExtractor(), subsets=5)  # default subset_size 1000
    kid.update_features(gen, real=False)
    kid.update_features(ref, real=True)
    result = kid.compute()
    mean, std = result.kid_mean, result.kid_std
    assert std.provenance == mean.provenance and list(result) == [mean, std]
    assert mean.value == pytest.approx(_torch_fidelity_kid(gen, ref, 5, 20)[0], rel=1e-10)
    assert dict(mean.provenance.settings)["subset_size"] == 20
    assert any("clamped to 20" in w and "1000" in w for w in mean.provenance.warnings)
    assert "clamped to 20" in caplog.text
    strict = KernelInceptionDistance(extractor=ToyImageExtractor(), subsets=5, clamp_subset_size=False)
    strict.update_features(gen, real=False)
    strict.update_features(ref, real=True)
    with pytest.raises(ConfigError, match="subset_size"):
        strict.compute()


def test_kid_class_is_a_torchmetrics_metric_whose_results_equal_the_functional_form() -> None:
    """Feature states are torchmetrics list states reduced by "cat"; streamed in batches, the class gives
    exactly the functional KID (same subsets), with and without the jackknife interval."""
    import torch
    from torchmetrics import Metric
    from torchmetrics.utilities.data import dim_zero_cat

    from metrics.extractors.toy import ToyImageExtractor
    from metrics.kid import KernelInceptionDistance, KIDResult

    rng = np.random.default_rng(6)
    gen, ref = rng.normal(size=(60, 64)), rng.normal(size=(50, 64)) + 0.2
    kid = KernelInceptionDistance(extractor=ToyImageExtractor(), subsets=4, subset_size=25, seed=11)
    assert isinstance(kid, Metric)
    assert kid._reductions == {"fake_features": dim_zero_cat, "real_features": dim_zero_cat}
    for part in np.array_split(gen, 3):
        kid.update_features(part, real=False)
    kid.update_features(torch.from_numpy(ref), real=True)
    plain = kid.compute()
    with_interval = kid.compute(interval_groups=5, confidence=0.9)
    assert isinstance(plain, KIDResult) and plain.kid_mean.ci is None  # an interval is not served from the cache
    assert kid.compute() is plain  # the argument-free result is cached until the next update
    functional = kernel_inception_distance(gen, ref, subsets=4, subset_size=25, seed=11, extractor="toy",
                                           extractor_canonical=False, interval_groups=5, confidence=0.9)
    assert with_interval.kid_mean.value == functional.kid_mean.value  # bit for bit
    assert with_interval.kid_std.value == functional.kid_std.value
    assert with_interval.kid_mean.ci == functional.kid_mean.ci is not None
    assert with_interval.kid_mean.ci.low < with_interval.kid_mean.value < with_interval.kid_mean.ci.high
    assert with_interval.kid_std.ci is None
    assert with_interval.kid_mean.provenance.settings == (("degree", 3), ("subset_size", 25), ("subsets", 4))
    assert functional.kid_mean.provenance.settings == with_interval.kid_mean.provenance.settings
    kid.reset()
    assert kid.fake_features == [] and kid.real_features == []
    with pytest.raises(FeatureError, match="generated set has 0 samples"):
        kid.compute()
    with pytest.raises(FeatureError, match="dim 8"):
        kid.update_features(np.zeros((3, 8)), real=True)


def test_kid_interval_needs_enough_samples_and_functional_settings_name_non_default_kernels() -> None:
    rng = np.random.default_rng(8)
    gen, ref = rng.normal(size=(12, 16)), rng.normal(size=(12, 16))
    result = kernel_inception_distance(gen, ref, subsets=3, subset_size=6, interval_groups=20)
    assert result.kid_mean.ci is None
    assert result.kid_mean.provenance.warnings == ("kid: no interval -- 12 samples cannot fill 20 jackknife groups",)
    custom = kernel_inception_distance(gen, ref, subsets=3, subset_size=6, gamma=0.5, coef0=2.0)
    assert dict(custom.kid_mean.provenance.settings) == {"coef0": 2.0, "degree": 3, "gamma": 0.5, "subset_size": 6,
                                                         "subsets": 3}
    with pytest.raises(IncomparableResultsError, match="settings"):
        custom.kid_mean.check_comparable(result.kid_mean)
