"""Frechet distance between Gaussians, and running feature statistics (mean, covariance) in float64.

FID = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)). pytorch-fid takes ``scipy.linalg.sqrtm(S1 @ S2)`` (a
Schur decomposition of a non-symmetric matrix). Only the *trace* of that square root is needed, and
Tr((S1 S2)^(1/2)) = sum_i sqrt(lambda_i(S1^(1/2) S2 S1^(1/2))), a symmetric PSD eigenvalue problem: two
``eigh`` calls, faster and better conditioned for near-singular covariances (tiny negative eigenvalues from
round-off are clipped to 0 instead of producing complex square roots).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metrics.errors import FeatureError


def check_features(features: np.ndarray, name: str) -> np.ndarray:
    """2-D float64 features without NaN/inf, else :class:`FeatureError` naming what is wrong."""
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2:
        raise FeatureError(f"{name}: expected features of shape (n_samples, dim), got shape {array.shape}")
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise FeatureError(
            f"{name}: {int(bad.sum())} feature row(s) contain NaN or inf (first rows: {rows}); the inputs or "
            "the extractor produced invalid values -- fix the inputs, they are never dropped silently"
        )
    return array


def _check_statistics(mu: np.ndarray, sigma: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    mu = np.atleast_1d(np.asarray(mu, dtype=np.float64))
    sigma = np.atleast_2d(np.asarray(sigma, dtype=np.float64))
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise FeatureError(f"{name}: mu has shape {mu.shape} and sigma {sigma.shape}; expected (d,) and (d, d)")
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise FeatureError(f"{name}: statistics contain NaN or inf")
    return mu, sigma


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """Tr((sigma1 sigma2)^(1/2)) for symmetric PSD matrices.

    sigma1 sigma2 is similar to R sigma2 R for any factor sigma1 = R R^T, so one symmetric eigenvalue problem
    suffices. A Cholesky factor is ~30x cheaper than the symmetric square root at d = 2048 (what makes the
    jackknife intervals affordable); a covariance that is singular in floating point (n <= d) falls back to
    the eigendecomposition square root, whose tiny negative eigenvalues are clipped to 0.
    """
    try:
        factor = np.linalg.cholesky(sigma1)
    except np.linalg.LinAlgError:
        factor = _psd_sqrt(sigma1)
    inner = factor.T @ sigma2 @ factor
    eigenvalues = np.linalg.eigvalsh((inner + inner.T) / 2.0)
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2), computed in float64."""
    mu1, sigma1 = _check_statistics(mu1, sigma1, "first statistics")
    mu2, sigma2 = _check_statistics(mu2, sigma2, "second statistics")
    if mu1.shape != mu2.shape:
        raise FeatureError(f"feature dimensions differ: {mu1.shape[0]} vs {mu2.shape[0]}; both sets must come "
                           "from the same feature extractor")
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2))
    return max(value, 0.0) if value > -1e-9 * max(1.0, abs(np.trace(sigma1))) else value


@dataclass(frozen=True)
class GaussianStatistics:
    """Mean and covariance of a feature set (the pytorch-fid .npz ``mu``/``sigma``) and its sample count."""

    mu: np.ndarray
    sigma: np.ndarray
    n: int | None = None

    @classmethod
    def from_features(cls, features: np.ndarray, name: str = "features") -> GaussianStatistics:
        array = check_features(features, name)
        if len(array) < 2:
            raise FeatureError(f"{name}: need at least 2 samples for a covariance, got {len(array)}")
        return cls(array.mean(axis=0), np.cov(array, rowvar=False), len(array))

    @classmethod
    def from_sums(cls, n: float, total: np.ndarray, outer: np.ndarray, name: str = "features") -> GaussianStatistics:
        """From running sums: n, sum x, sum x x^T (what the streaming metrics keep)."""
        count = round(float(n))
        if count < 2:
            raise FeatureError(f"{name}: need at least 2 samples for a covariance, got {count}")
        mu = np.asarray(total, dtype=np.float64) / count
        sigma = (np.asarray(outer, dtype=np.float64) - count * np.outer(mu, mu)) / (count - 1)
        return cls(mu, (sigma + sigma.T) / 2.0, count)

    def rank_warning(self, name: str) -> str | None:
        """Text of the rank-deficiency warning when n <= d (covariance cannot be full rank)."""
        dim = self.mu.shape[0]
        if self.n is not None and self.n <= dim:
            return (f"{name}: {self.n} samples for {dim}-d features -- the covariance has rank <= {self.n - 1} "
                    f"< {dim}; the value is biased and not comparable with papers (use > {dim} samples)")
        return None
