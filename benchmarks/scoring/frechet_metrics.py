"""Set distances between the generated media and the targets over one pass of a feature network: FID (images;
videos over their frames), FAD (audio clips, VGGish 0.96 s examples) and KID (images, video frames).

The feature rows are returned with the scores so that the store keeps them per sample: compare/gate recompute
the paired jackknife interval of two runs' difference from them (reports/set_pairing.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.scoring.computation import ScoredMetric, SetMetric, SetOutcome
from benchmarks.scoring.context import ONE_PROCESS, ScoringContext
from benchmarks.scoring.metric_spec import MetricSpec
from benchmarks.store import FeatureRows, FeatureSide
from metrics.provenance import MetricResult, Provenance
from nextgpt.core.errors import TaskError

if TYPE_CHECKING:
    import torch

    from metrics.extractors.base import ExtractorIdentity, FeatureExtractor


@dataclass(frozen=True)
class _Side:
    rows: np.ndarray
    #: rows per scored sample (frames of a video, examples of a clip; 1 per image)
    counts: tuple[int, ...]

    @property
    def clusters(self) -> np.ndarray:
        """The item index of each row: the jackknife keeps one item's rows in one group (not independent)."""
        return np.repeat(np.arange(len(self.counts)), self.counts)


def images_tensor(images: list[np.ndarray]) -> torch.Tensor:
    """(N, H, W, 3) uint8 arrays -> the (N, 3, H, W) batch an image extractor takes."""
    import torch

    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()


def uniform_size(images: list[np.ndarray], size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """Bring images to one (H, W) -- the first image's unless ``size`` is given -- so they stack into a batch;
    the feature networks resize to their own input size anyway (bicubic here)."""
    from PIL import Image

    height, width = size or images[0].shape[:2]
    return [im if im.shape[:2] == (height, width) else
            np.asarray(Image.fromarray(im).resize((width, height), Image.BICUBIC)) for im in images]


def _features(extractor: FeatureExtractor, items: list[np.ndarray], audio: bool) -> _Side:
    import torch

    if audio:
        from metrics.extractors.vggish import waveform_to_examples

        parts = [waveform_to_examples(torch.from_numpy(w.astype(np.float64)), 16000) for w in items]
        return _Side(extractor.extract(torch.cat(parts)).numpy(), tuple(len(p) for p in parts))
    frames = [frame for item in items for frame in (item if item.ndim == 4 else [item])]
    counts = tuple(len(item) if item.ndim == 4 else 1 for item in items)
    return _Side(extractor.extract(images_tensor(uniform_size(frames))).numpy(), counts)


def score_feature_distances(context: ScoringContext, names: tuple[str, ...]) -> SetOutcome:
    """``names`` among fid, fad, kid.  ``n`` stored with FID/KID counts feature rows (images or video frames),
    with FAD the clips."""
    modality = context.task.produced_modality
    if modality is None:
        raise TaskError(f"task {context.task.name}: {', '.join(names)} need a produced medium, the task "
                        f"produces {context.task.output}")
    audio = modality == "audio"
    extractor = context.feature_extractor("audio" if audio else "image")
    identity = extractor.identity
    outputs = {s.id: medium for s in context.samples() if (medium := context.media(s, modality)) is not None}
    samples = [s for s in context.samples() if s.id in outputs]
    if not samples:
        reason = f"task {context.task.name}: the model produced no {modality} (no sample has a generated {modality})"
        return SetOutcome(_unavailable(names, reason, identity, 0))
    generated = _features(extractor, list(outputs.values()), audio)
    reference = _features(extractor, [context.target(s, modality) for s in samples], audio)
    ids = tuple(s.id for s in samples)
    sides: tuple[tuple[FeatureSide, _Side], ...] = (("generated", generated), ("reference", reference))
    features = tuple((side, FeatureRows(identity.name, identity.weights_sha256, ids, rows.counts, rows.rows))
                     for side, rows in sides)
    fewest = min(len(generated.rows), len(reference.rows))
    if fewest < 2:  # a covariance (FID/FAD) or an unbiased MMD (KID) needs two rows a side: not a failed run
        reason = (f"task {context.task.name}: {fewest} feature row(s) on a side ({len(samples)} sample(s)); "
                  f"a distance between feature distributions needs at least 2 (run more samples)")
        return SetOutcome(_unavailable(names, reason, identity, len(samples)), features)
    scored: list[ScoredMetric] = []
    for name in names:
        if name == "kid":
            scored += _kid(context, extractor, generated, reference, interval=modality == "image")
        else:
            scored.append(_frechet(context, name, identity, generated, reference,
                                   len(samples) if audio else len(generated.rows)))
    return SetOutcome(tuple(scored), features)


def _result_names(name: str) -> tuple[str, ...]:
    return ("kid_mean", "kid_std") if name == "kid" else (name,)


def _unavailable(names: tuple[str, ...], reason: str, identity: ExtractorIdentity,
                 n: int) -> tuple[ScoredMetric, ...]:
    """Every result of ``names`` as unavailable for ``reason``; each provenance names the metric that computes it,
    as an available result's does (kid_mean and kid_std: "kid", metrics/kid.py)."""
    return tuple(
        ScoredMetric(MetricResult.unavailable(name, reason, Provenance(
            metric=spec, extractor=identity.name, extractor_canonical=identity.canonical,
            weights_sha256=identity.weights_sha256, n_samples=n)), n)
        for spec in names for name in _result_names(spec))


def _frechet(context: ScoringContext, name: str, identity: ExtractorIdentity, generated: _Side,
             reference: _Side, n: int) -> ScoredMetric:
    from metrics.frechet_metrics import frechet_from_features

    result = frechet_from_features(
        generated.rows, reference.rows, metric=name, extractor=identity.name,
        extractor_canonical=identity.canonical, weights_sha256=identity.weights_sha256,
        interval=context.bootstrap > 0, generated_clusters=generated.clusters,
        reference_clusters=reference.clusters, seed=context.seed)
    return ScoredMetric(result, n)


def _kid(context: ScoringContext, extractor: FeatureExtractor, generated: _Side, reference: _Side, *,
         interval: bool) -> list[ScoredMetric]:
    """kid_mean and kid_std (subset size clamped to the smaller set, with a warning).  The jackknife interval
    of kid_mean treats rows as independent, so video frames get none."""
    from metrics.defaults import JACKKNIFE_GROUPS
    from metrics.kid import KernelInceptionDistance

    kid = KernelInceptionDistance(extractor=extractor, **ONE_PROCESS)
    kid.update_features(generated.rows, real=False)
    kid.update_features(reference.rows, real=True)
    results = kid.compute(interval_groups=JACKKNIFE_GROUPS if interval and context.bootstrap else 0)
    return [ScoredMetric(result, len(generated.rows)) for result in results]


_DISTANCES = SetMetric(score_feature_distances)

FID = MetricSpec("fid", False, frozenset({"image", "video"}), "per-set", "set-jackknife",
                 "Frechet Inception distance of generated images (video: frames) to the targets", _DISTANCES)
KID = MetricSpec("kid", False, frozenset({"image", "video"}), "per-set", "none",
                 "kernel Inception distance of generated images (video: frames) to the targets, mean and std "
                 "over random subsets", _DISTANCES, result_names=("kid_mean", "kid_std"))
FAD = MetricSpec("fad", False, frozenset({"audio"}), "per-set", "set-jackknife",
                 "Frechet audio distance (VGGish) of generated clips to the targets", _DISTANCES)
