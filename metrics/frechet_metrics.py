"""FID and FAD: Frechet distances of feature sets, streaming (running sums) and functional.

State per set is n, sum(x) and sum(x x^T) in float64 (d + d^2 numbers whatever the sample count), all
reduced with ``dist_reduce_fx="sum"``, so memory is flat and multi-process runs equal one process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from metrics.defaults import BOOTSTRAP_CONFIDENCE, BOOTSTRAP_SEED
from metrics.errors import ConfigError, FeatureError
from metrics.extractors.base import FeatureExtractor
from metrics.frechet import GaussianStatistics, check_features, frechet_distance
from metrics.frechet_interval import frechet_interval
from metrics.jackknife import JACKKNIFE_GROUPS
from metrics.metric_base import ResultMetric
from metrics.provenance import MetricResult, Provenance, warn


def _resolve(extractor: FeatureExtractor | str, weights: str | Path | None,
             options: dict[str, str]) -> FeatureExtractor:
    if isinstance(extractor, str):
        from metrics.extractors.registry import build_feature_extractor

        return build_feature_extractor(extractor, weights, **options)
    return extractor


class FrechetFeatureDistance(ResultMetric):
    """Frechet distance between generated ("fake") and reference ("real") feature distributions."""

    higher_is_better = False
    is_differentiable = False
    full_state_update = False
    metric_name = "frechet_distance"

    def __init__(self, extractor: FeatureExtractor, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.extractor = extractor
        dim = extractor.identity.feature_dim
        for side in ("real", "fake"):
            self.add_state(f"{side}_n", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state(f"{side}_sum", torch.zeros(dim, dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state(f"{side}_outer", torch.zeros(dim, dim, dtype=torch.float64), dist_reduce_fx="sum")
        self.fixed: dict[bool, GaussianStatistics] = {}
        self.notes: list[str] = []

    # -- inputs ------------------------------------------------------------------------------------------
    def update(self, inputs: torch.Tensor, real: bool) -> None:
        """Extract features of a batch and add them to the generated (``real=False``) or reference set."""
        self.update_features(self.extractor.extract(inputs), real)

    def update_features(self, features: torch.Tensor | np.ndarray, real: bool) -> None:
        array = check_features(np.asarray(features, dtype=np.float64), "reference" if real else "generated")
        if array.shape[1] != self.extractor.identity.feature_dim:
            raise FeatureError(f"features have dim {array.shape[1]}, extractor {self.extractor.name} gives "
                               f"{self.extractor.identity.feature_dim}")
        x = torch.from_numpy(array)
        self._mark_updated()
        side = "real" if real else "fake"
        setattr(self, f"{side}_n", getattr(self, f"{side}_n") + x.shape[0])
        setattr(self, f"{side}_sum", getattr(self, f"{side}_sum") + x.sum(0))
        setattr(self, f"{side}_outer", getattr(self, f"{side}_outer") + x.T @ x)

    def set_reference_statistics(self, statistics: GaussianStatistics, real: bool = True) -> None:
        """Use precomputed statistics (e.g. a pytorch-fid .npz) instead of samples for one set."""
        if statistics.mu.shape[0] != self.extractor.identity.feature_dim:
            raise FeatureError(f"reference statistics have dim {statistics.mu.shape[0]}, extractor "
                               f"{self.extractor.name} gives {self.extractor.identity.feature_dim}")
        self._mark_updated()
        self.fixed[real] = statistics

    def add_notes(self, notes: list[str]) -> None:
        self.notes.extend(n for n in notes if n not in self.notes)

    # -- result ------------------------------------------------------------------------------------------
    def statistics(self, real: bool) -> GaussianStatistics:
        if real in self.fixed:
            return self.fixed[real]
        side = "real" if real else "fake"
        name = "reference set" if real else "generated set"
        if float(getattr(self, f"{side}_n")) < 2:
            raise FeatureError(f"{self.metric_name}: the {name} has {int(getattr(self, f'{side}_n'))} samples; "
                               "need at least 2 (did you call update(..., real=%s)?)" % real)
        return GaussianStatistics.from_sums(getattr(self, f"{side}_n"), getattr(self, f"{side}_sum").numpy(),
                                            getattr(self, f"{side}_outer").numpy(), name)

    def compute(self) -> MetricResult:
        fake, real = self.statistics(False), self.statistics(True)
        warnings = list(self.notes)
        for stats, name in ((fake, "generated set"), (real, "reference set")):
            message = stats.rank_warning(f"{self.metric_name} {name}")
            if message:
                warn(warnings, message)
        value = frechet_distance(fake.mu, fake.sigma, real.mu, real.sigma)
        return MetricResult(self.metric_name, value, self._provenance(fake.n, real.n, warnings))

    def _provenance(self, n_fake: int | None, n_real: int | None, warnings: list[str]) -> Provenance:
        identity = self.extractor.identity
        return Provenance(
            metric=self.metric_name, extractor=identity.name, extractor_canonical=identity.canonical,
            weights_sha256=identity.weights_sha256, resize=getattr(self.extractor, "resize", None),
            dtype="float64 statistics", n_samples=n_fake, n_reference=n_real,
            settings=(("input", identity.input_convention),), warnings=tuple(warnings),
        )


class FrechetInceptionDistance(FrechetFeatureDistance):
    """FID. ``extractor`` defaults to the canonical 2015-12-05 Inception (weights from a local file)."""

    metric_name = "fid"

    def __init__(self, extractor: FeatureExtractor | str = "inception-2015-12-05", weights: str | Path | None = None,
                 resize: str | None = None, **kwargs: Any) -> None:
        options = {"resize": resize} if resize else {}
        super().__init__(_resolve(extractor, weights, options), **kwargs)


class FrechetAudioDistance(FrechetFeatureDistance):
    """FAD on VGGish embeddings of 0.96 s examples; every example of every clip is one sample."""

    metric_name = "fad"

    def __init__(self, extractor: FeatureExtractor | str = "vggish", weights: str | Path | None = None,
                 **kwargs: Any) -> None:
        super().__init__(_resolve(extractor, weights, {}), **kwargs)

    def update(self, waveforms: list[torch.Tensor] | torch.Tensor, real: bool, sample_rate: int = 16000) -> None:
        """16 kHz mono waveforms (a list of (T,) tensors, or (N, T))."""
        from metrics.extractors.vggish import waveform_to_examples

        examples = torch.cat([waveform_to_examples(w, sample_rate) for w in waveforms])
        self.update_features(self.extractor.extract(examples), real)

    def _provenance(self, n_fake: int | None, n_real: int | None, warnings: list[str]) -> Provenance:
        base = super()._provenance(n_fake, n_real, warnings)
        from dataclasses import replace

        return replace(base, resize=None, settings=(*base.settings, ("frames", "0.96 s, 16 kHz mono")))


def frechet_from_features(
    generated: np.ndarray,
    reference: np.ndarray,
    *,
    metric: str = "fid",
    extractor: str | None = None,
    extractor_canonical: bool | None = None,
    weights_sha256: str | None = None,
    interval: bool = False,
    generated_clusters: np.ndarray | None = None,
    reference_clusters: np.ndarray | None = None,
    groups: int = JACKKNIFE_GROUPS,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> MetricResult:
    """Functional FID/FAD on given feature matrices (name the extractor they came from).

    ``interval=True`` adds a jackknife interval for the expected distance at these sample sizes
    (:mod:`metrics.frechet_interval`); ``*_clusters`` give the sample each feature row belongs to (frames of a
    video, examples of a clip), so that correlated rows are never split between jackknife groups.
    """
    gen = check_features(generated, "generated features")
    ref = check_features(reference, "reference features")
    if gen.shape[1] != ref.shape[1]:
        raise ConfigError(f"{metric}: feature dims differ ({gen.shape[1]} vs {ref.shape[1]})")
    fake, real = GaussianStatistics.from_features(gen, "generated"), GaussianStatistics.from_features(ref, "ref")
    warnings: list[str] = []
    for stats, name in ((fake, "generated set"), (real, "reference set")):
        message = stats.rank_warning(f"{metric} {name}")
        if message:
            warn(warnings, message)
    value = frechet_distance(fake.mu, fake.sigma, real.mu, real.sigma)
    ci = None
    if interval:
        samples = min(_count_samples(len(gen), generated_clusters), _count_samples(len(ref), reference_clusters))
        if samples < groups:
            warn(warnings, f"{metric}: no interval -- {samples} samples cannot fill {groups} jackknife groups")
        else:
            ci = frechet_interval(value, gen, ref, generated_clusters=generated_clusters,
                                  reference_clusters=reference_clusters, groups=groups, confidence=confidence,
                                  seed=seed)
    prov = Provenance(metric=metric, extractor=extractor, extractor_canonical=extractor_canonical,
                      weights_sha256=weights_sha256, dtype="float64", n_samples=len(gen), n_reference=len(ref),
                      seed=seed if interval else None, warnings=tuple(warnings))
    return MetricResult(metric, value, prov, ci)


def _count_samples(rows: int, clusters: np.ndarray | None) -> int:
    return rows if clusters is None else len(np.unique(clusters))
