"""Kernel Inception Distance: unbiased MMD^2 with the cubic polynomial kernel, averaged over random subsets.

Same estimator, kernel and subset sampling as torch-fidelity's ``metric_kid.py`` (numpy ``RandomState``
seeded once, ``choice(n, m, replace=False)`` for each set in turn, ``np.std`` with ddof 0). KID needs every
feature vector (it is not a function of running sums), so its class keeps all features: two torchmetrics list
states reduced with ``dist_reduce_fx="cat"``, gathered from all processes in rank order before ``compute``.

Both forms return a :class:`KIDResult`: ``kid_mean`` (the metric; with a jackknife interval when asked, see
:mod:`metrics.kid_interval`) and ``kid_std`` (the spread of single subsets, never an interval of the mean).

Subset size: the functional form takes it literally and refuses one larger than the smaller set (an explicit
request that cannot be honoured). The class, whose default (1000, torch-fidelity's) is larger than many
evaluation sets, clamps it to the smaller set with :func:`effective_subset_size`, warns, and records the size
it used -- the CLI goes through the class, so both apply one policy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchmetrics.utilities.distributed import gather_all_tensors

from metrics.defaults import BOOTSTRAP_CONFIDENCE, KID_COEF0, KID_DEGREE, KID_SUBSET_SIZE, KID_SUBSETS
from metrics.errors import ConfigError, FeatureError
from metrics.extractors.base import FeatureExtractor
from metrics.frechet import check_features
from metrics.metric_base import ResultMetric
from metrics.provenance import MetricResult, Provenance, ResultGroup, Scalar, warn
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

KID_SEED = 2020  # torch-fidelity's default rng_seed


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int, gamma: float, coef0: float) -> np.ndarray:
    return (x @ y.T * gamma + coef0) ** degree


def unbiased_mmd2(k_xx: np.ndarray, k_xy: np.ndarray, k_yy: np.ndarray) -> float:
    m = k_xx.shape[0]
    sum_xx = k_xx.sum() - np.trace(k_xx)
    sum_yy = k_yy.sum() - np.trace(k_yy)
    return float((sum_xx + sum_yy) / (m * (m - 1)) - 2.0 * k_xy.sum() / (m * m))


def kid_subsets(
    generated: np.ndarray,
    reference: np.ndarray,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET_SIZE,
    degree: int = KID_DEGREE,
    gamma: float | None = None,
    coef0: float = KID_COEF0,
    seed: int = KID_SEED,
) -> np.ndarray:
    """MMD^2 of each random subset pair (torch-fidelity order: generated first, then reference); a long
    computation (100 subsets of 1000 2048-d features) shows progress."""
    gen = check_features(generated, "generated features")
    ref = check_features(reference, "reference features")
    if gen.shape[1] != ref.shape[1]:
        raise ConfigError(f"KID: feature dims differ ({gen.shape[1]} vs {ref.shape[1]})")
    if subset_size > min(len(gen), len(ref)):
        raise ConfigError(
            f"KID subset_size={subset_size} is larger than the smaller set ({len(gen)} generated, "
            f"{len(ref)} reference); pass a subset_size <= {min(len(gen), len(ref))} (and report it)"
        )
    if subset_size < 2:
        raise ConfigError("KID subset_size must be >= 2")
    gamma = 1.0 / gen.shape[1] if gamma is None else gamma
    rng = np.random.RandomState(seed)
    values = np.empty(subsets)
    with progress_task("KID subsets", subsets, unit="subsets", show_after=SLOW_WORK_SECONDS) as progress:
        for i in range(subsets):
            x = gen[rng.choice(len(gen), subset_size, replace=False)]
            y = ref[rng.choice(len(ref), subset_size, replace=False)]
            values[i] = unbiased_mmd2(
                polynomial_kernel(x, x, degree, gamma, coef0),
                polynomial_kernel(x, y, degree, gamma, coef0),
                polynomial_kernel(y, y, degree, gamma, coef0),
            )
            progress.advance()
    return values


def effective_subset_size(requested: int, n_generated: int, n_reference: int) -> tuple[int, str | None]:
    """The subset size KID can use: ``requested`` clamped to the smaller set, and the warning when clamped."""
    smaller = min(n_generated, n_reference)
    if requested <= smaller:
        return requested, None
    return smaller, (f"KID subset_size {requested} is larger than the smaller set ({n_generated} generated, "
                     f"{n_reference} reference); clamped to {smaller}. Every subset then holds all of the smaller "
                     "set, so kid_std understates the spread, and KID is not comparable with KID at subset size "
                     f"{requested}")


@dataclass(frozen=True)
class KIDResult(ResultGroup):
    """KID's two numbers, sharing one provenance: ``kid_mean`` (the metric, with the jackknife interval when
    one was asked for) and ``kid_std`` (the standard deviation over subsets, ddof 0; no interval)."""

    kid_mean: MetricResult
    kid_std: MetricResult


def _kid_result(gen: np.ndarray, ref: np.ndarray, *, subsets: int, subset_size: int, degree: int,
                gamma: float | None, coef0: float, seed: int, interval_groups: int, confidence: float,
                provenance: Provenance, warnings: list[str]) -> KIDResult:
    """The subset mean and std of checked features, the interval when ``interval_groups`` > 0 and the sets can
    fill that many groups (else a warning says why not); ``provenance`` gets the warnings."""
    values = kid_subsets(gen, ref, subsets=subsets, subset_size=subset_size, degree=degree, gamma=gamma,
                         coef0=coef0, seed=seed)
    mean, std = float(values.mean()), float(values.std())
    ci = None
    if interval_groups and min(len(gen), len(ref)) < interval_groups:
        warn(warnings, f"kid: no interval -- {min(len(gen), len(ref))} samples cannot fill {interval_groups} "
                       "jackknife groups")
    elif interval_groups:
        from metrics.kid_interval import kid_interval

        ci = kid_interval(mean, std, subsets, gen, ref, groups=interval_groups, confidence=confidence, seed=seed,
                          degree=degree, gamma=1.0 / gen.shape[1] if gamma is None else gamma, coef0=coef0)
    prov = dataclasses.replace(provenance, warnings=tuple(warnings))
    return KIDResult(MetricResult("kid_mean", mean, prov, ci), MetricResult("kid_std", std, prov))


def _settings(subsets: int, subset_size: int, degree: int = KID_DEGREE, gamma: float | None = None,
              coef0: float = KID_COEF0) -> tuple[tuple[str, Scalar], ...]:
    """Sorted settings; gamma and coef0 only when not the defaults (1 / dim and 1), as the class never sets them."""
    settings: dict[str, Scalar] = {"degree": degree, "subset_size": subset_size, "subsets": subsets}
    if gamma is not None:
        settings["gamma"] = gamma
    if coef0 != KID_COEF0:
        settings["coef0"] = coef0
    return tuple(sorted(settings.items()))


def kernel_inception_distance(
    generated: np.ndarray,
    reference: np.ndarray,
    *,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET_SIZE,
    degree: int = KID_DEGREE,
    gamma: float | None = None,
    coef0: float = KID_COEF0,
    seed: int = KID_SEED,
    extractor: str | None = None,
    extractor_canonical: bool | None = None,
    weights_sha256: str | None = None,
    interval_groups: int = 0,
    confidence: float = BOOTSTRAP_CONFIDENCE,
) -> KIDResult:
    """Functional KID on given feature matrices (name the extractor they came from).

    ``subset_size`` is taken literally: one larger than the smaller set is a ConfigError. ``gamma`` None is
    1 / dim. ``interval_groups`` > 0 gives ``kid_mean`` a jackknife interval (as the class does).
    """
    gen = check_features(generated, "generated features")
    ref = check_features(reference, "reference features")
    prov = Provenance(metric="kid", extractor=extractor, extractor_canonical=extractor_canonical,
                      weights_sha256=weights_sha256, dtype="float64", n_samples=len(gen), n_reference=len(ref),
                      seed=seed, settings=_settings(subsets, subset_size, degree, gamma, coef0))
    return _kid_result(gen, ref, subsets=subsets, subset_size=subset_size, degree=degree, gamma=gamma,
                       coef0=coef0, seed=seed, interval_groups=interval_groups, confidence=confidence,
                       provenance=prov, warnings=[])


class KernelInceptionDistance(ResultMetric):
    """Class form of KID (update / compute / reset), a torchmetrics ``Metric`` like FID.

    States: ``fake_features`` and ``real_features``, lists of (n, d) float64 tensors with
    ``dist_reduce_fx="cat"`` -- KID has no running-sum form, so every feature vector is kept. In a
    multi-process run torchmetrics gathers them from all processes in rank order before ``compute``, which
    therefore sees the same sets (and draws the same subsets) as one process given all the data.
    """

    higher_is_better = False
    is_differentiable = False
    full_state_update = False

    def __init__(self, extractor: FeatureExtractor | str = "inception-2015-12-05", weights: str | Path | None = None,
                 subsets: int = KID_SUBSETS, subset_size: int = KID_SUBSET_SIZE, seed: int = KID_SEED,
                 clamp_subset_size: bool = True, **kwargs: Any) -> None:
        """``clamp_subset_size=False`` refuses a subset size larger than a set instead of clamping it;
        ``kwargs`` go to ``torchmetrics.Metric`` (e.g. ``process_group``)."""
        super().__init__(**kwargs)
        if isinstance(extractor, str):
            from metrics.extractors.registry import build_feature_extractor

            extractor = build_feature_extractor(extractor, weights)
        self.extractor = extractor
        self.subsets, self.subset_size, self.seed = subsets, subset_size, seed
        self.clamp_subset_size = clamp_subset_size
        self.add_state("fake_features", [], dist_reduce_fx="cat")
        self.add_state("real_features", [], dist_reduce_fx="cat")

    def update(self, images: torch.Tensor, real: bool) -> None:
        """Extract features of a batch and add them to the generated (``real=False``) or reference set."""
        self.update_features(self.extractor.extract(images).numpy(), real)

    def update_features(self, features: torch.Tensor | np.ndarray, real: bool) -> None:
        array = check_features(np.asarray(features, dtype=np.float64), "reference" if real else "generated")
        dim = self.extractor.identity.feature_dim
        if array.shape[1] != dim:
            raise FeatureError(f"kid: features have dim {array.shape[1]}, extractor {self.extractor.name} gives {dim}")
        if not array.flags.writeable:
            array = array.copy()
        self._mark_updated()
        (self.real_features if real else self.fake_features).append(torch.from_numpy(array))

    def _sync_dist(self, dist_sync_fn: Callable = gather_all_tensors, process_group: Any | None = None) -> None:
        """A process that received no features of a set contributes a (0, d) tensor: torchmetrics' own stand-in
        for an empty list is 1-d, which cannot be gathered beside (n, d) features. (The local states are
        restored after ``compute``.)"""
        dim = self.extractor.identity.feature_dim
        for name in ("fake_features", "real_features"):
            if isinstance(getattr(self, name), list) and not getattr(self, name):
                setattr(self, name, [torch.zeros((0, dim), dtype=torch.float64)])
        super()._sync_dist(dist_sync_fn, process_group)

    def features(self, real: bool) -> np.ndarray:
        """All features of one set as (n, d) float64, in the order given (after a sync: rank by rank)."""
        state = self.real_features if real else self.fake_features
        if isinstance(state, list):
            state = torch.cat(state) if state else torch.zeros((0, self.extractor.identity.feature_dim),
                                                               dtype=torch.float64)
        return state.numpy()

    def compute(self, interval_groups: int = 0, confidence: float = BOOTSTRAP_CONFIDENCE) -> KIDResult:
        """``kid_mean`` and ``kid_std``; ``interval_groups`` > 0 gives kid_mean a jackknife interval
        (metrics/kid_interval.py) when the sets have at least that many samples, else a warning says why not."""
        gen, ref = self.features(False), self.features(True)
        for array, name, real in ((gen, "generated set", False), (ref, "reference set", True)):
            if len(array) < 2:
                raise FeatureError(f"kid: the {name} has {len(array)} samples; need at least 2 (did you call "
                                   f"update(..., real={real})?)")
        warnings: list[str] = []
        subset_size = self.subset_size
        if self.clamp_subset_size:
            subset_size, message = effective_subset_size(self.subset_size, len(gen), len(ref))
            if message:
                warn(warnings, message)
        identity = self.extractor.identity
        prov = Provenance(metric="kid", extractor=identity.name, extractor_canonical=identity.canonical,
                          weights_sha256=identity.weights_sha256, resize=getattr(self.extractor, "resize", None),
                          dtype="float64", n_samples=len(gen), n_reference=len(ref), seed=self.seed,
                          settings=_settings(self.subsets, subset_size))
        return _kid_result(gen, ref, subsets=self.subsets, subset_size=subset_size, degree=KID_DEGREE, gamma=None,
                           coef0=KID_COEF0, seed=self.seed, interval_groups=interval_groups, confidence=confidence,
                           provenance=prov, warnings=warnings)
