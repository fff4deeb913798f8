"""Kernel Inception Distance: unbiased MMD^2 with the cubic polynomial kernel, averaged over random subsets.

Same estimator, kernel and subset sampling as torch-fidelity's ``metric_kid.py`` (numpy ``RandomState``
seeded once, ``choice(n, m, replace=False)`` for each set in turn, ``np.std`` with ddof 0). KID needs every
feature vector (it is not a function of running sums), so its class keeps all features.

Subset size: the functional form takes it literally and refuses one larger than the smaller set (an explicit
request that cannot be honoured). The class, whose default (1000, torch-fidelity's) is larger than many
evaluation sets, clamps it to the smaller set with :func:`effective_subset_size`, warns, and records the size
it used -- the CLI goes through the class, so both apply one policy.
"""

from __future__ import annotations

import numpy as np

from metrics.defaults import BOOTSTRAP_CONFIDENCE, KID_COEF0, KID_DEGREE, KID_SUBSET_SIZE, KID_SUBSETS
from metrics.errors import ConfigError
from metrics.frechet import check_features

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
    """MMD^2 of each random subset pair (torch-fidelity order: generated first, then reference)."""
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
    for i in range(subsets):
        x = gen[rng.choice(len(gen), subset_size, replace=False)]
        y = ref[rng.choice(len(ref), subset_size, replace=False)]
        values[i] = unbiased_mmd2(
            polynomial_kernel(x, x, degree, gamma, coef0),
            polynomial_kernel(x, y, degree, gamma, coef0),
            polynomial_kernel(y, y, degree, gamma, coef0),
        )
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


def kernel_inception_distance(generated: np.ndarray, reference: np.ndarray, **kwargs: object) -> tuple[float, float]:
    """(kid_mean, kid_std) over subsets."""
    values = kid_subsets(generated, reference, **kwargs)  # type: ignore[arg-type]
    return float(values.mean()), float(values.std())


class KernelInceptionDistance:
    """Class form of KID (update / compute / reset). Keeps every feature vector: KID has no running-sum form.

    Multi-process: features are gathered from all processes in rank order with ``all_gather_object``.
    """

    higher_is_better = False
    full_state_update = True

    def __init__(self, extractor: object = "inception-2015-12-05", weights: object = None, subsets: int = KID_SUBSETS,
                 subset_size: int = KID_SUBSET_SIZE, seed: int = KID_SEED, clamp_subset_size: bool = True) -> None:
        """``clamp_subset_size=False`` refuses a subset size larger than a set instead of clamping it."""
        if isinstance(extractor, str):
            from metrics.extractors.registry import build_extractor

            extractor = build_extractor(extractor, weights)
        self.extractor = extractor
        self.subsets, self.subset_size, self.seed = subsets, subset_size, seed
        self.clamp_subset_size = clamp_subset_size
        self.reset()

    def reset(self) -> None:
        self.features: dict[bool, list[np.ndarray]] = {True: [], False: []}

    def update(self, images: object, real: bool) -> None:
        self.update_features(self.extractor.extract(images).numpy(), real)  # type: ignore[attr-defined]

    def update_features(self, features: np.ndarray, real: bool) -> None:
        self.features[real].append(check_features(features, "reference" if real else "generated"))

    def _gathered(self, real: bool) -> np.ndarray:
        import torch.distributed as dist

        local = np.concatenate(self.features[real]) if self.features[real] else np.zeros((0, 0))
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            parts: list[object] = [None] * dist.get_world_size()
            dist.all_gather_object(parts, local)
            local = np.concatenate([p for p in parts if len(p)])  # type: ignore[arg-type]
        return local

    def compute(self, interval_groups: int = 0, confidence: float = BOOTSTRAP_CONFIDENCE) -> tuple[object, object]:
        """(kid_mean, kid_std) results; ``interval_groups`` > 0 gives kid_mean a jackknife interval
        (metrics/kid_interval.py) when the sets have at least that many samples, else a warning says why not."""
        from metrics.provenance import MetricResult, Provenance, warn

        gen, ref = self._gathered(False), self._gathered(True)
        warnings: list[str] = []
        subset_size = self.subset_size
        if self.clamp_subset_size:
            subset_size, message = effective_subset_size(self.subset_size, len(gen), len(ref))
            if message:
                warn(warnings, message)
        mean, std = kernel_inception_distance(gen, ref, subsets=self.subsets, subset_size=subset_size,
                                              seed=self.seed)
        ci = None
        if interval_groups and min(len(gen), len(ref)) < interval_groups:
            warn(warnings, f"kid: no interval -- {min(len(gen), len(ref))} samples cannot fill {interval_groups} "
                           "jackknife groups")
        elif interval_groups:
            from metrics.kid_interval import kid_interval

            ci = kid_interval(mean, std, self.subsets, gen, ref, groups=interval_groups, confidence=confidence,
                              seed=self.seed, degree=KID_DEGREE, gamma=1.0 / gen.shape[1], coef0=KID_COEF0)
        identity = self.extractor.identity  # type: ignore[attr-defined]
        prov = Provenance(metric="kid", extractor=identity.name, extractor_canonical=identity.canonical,
                          weights_sha256=identity.weights_sha256, resize=getattr(self.extractor, "resize", None),
                          dtype="float64", n_samples=len(gen), n_reference=len(ref), seed=self.seed,
                          settings=(("degree", KID_DEGREE), ("subset_size", subset_size),
                                    ("subsets", self.subsets)), warnings=tuple(warnings))
        return MetricResult("kid_mean", mean, prov, ci), MetricResult("kid_std", std, prov)
