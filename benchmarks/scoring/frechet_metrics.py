"""Set distances between the generated media and the targets over the rows of a feature network, extracted chunk
by chunk (image_feature_chunks.py): FID (images; videos over their frames), FAD (audio clips, VGGish 0.96 s
examples) and KID (images, video frames).

The feature rows are returned with the scores so that the store keeps them per sample: compare/gate recompute
the paired jackknife interval of two runs' difference from them (reports/set_pairing.py)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.computation import ScoredMetric, SetMetric, SetOutcome
from benchmarks.scoring.context import ONE_PROCESS, ScoringContext
from benchmarks.scoring.image_feature_chunks import (
    ChunkItem,
    ItemsOf,
    SideRows,
    output_item,
    served_output,
    served_target,
    side_rows,
    stored_place,
    target_item,
)
from benchmarks.scoring.metric_spec import MetricSpec
from benchmarks.store import FeatureRows, FeatureSide
from metrics.provenance import MetricResult, Provenance
from nextgpt.core.errors import TaskError
from nextgpt.core.modalities import Modality

if TYPE_CHECKING:

    from metrics.extractors.base import ExtractorIdentity, FeatureExtractor


def _stored_output(context: ScoringContext, modality: Modality, sample: Sample) -> ChunkItem:
    item = output_item(context.store, context.output(sample), modality)
    if item is None:  # the scored samples are those with an output of the modality
        raise TaskError(f"task {context.task.name}: sample {sample.id} has no generated {modality} to extract "
                        "features from (only samples with one are scored)")
    return item


def _sides(context: ScoringContext, extractor: FeatureExtractor, samples: list[Sample], modality: Modality
           ) -> tuple[SideRows, SideRows]:
    """Both sides, chunk by chunk (image_feature_chunks.py: one chunk of media in memory at a time): the rows a
    streaming run stored are read, not extracted again; without a run id (a leg of a cycle, a test), or for a
    side whose media the context overrides (a sensitivity probe), every chunk is extracted."""
    if context.serves_stored("generated"):
        generated = ItemsOf(samples, partial(_stored_output, context, modality))
    else:
        served = [s for s in samples if context.media(s, modality) is not None]
        generated = ItemsOf(served, partial(served_output, context, modality=modality))
    reference = ItemsOf(samples, partial(target_item, modality=modality) if context.serves_stored("reference")
                        else partial(served_target, context, modality=modality))
    sides: dict[FeatureSide, Sequence[ChunkItem]] = {"generated": generated, "reference": reference}
    rows = {side: side_rows(extractor, items, modality, stored_place(context, side),
                            f"{extractor.name} features ({side})") for side, items in sides.items()}
    return rows["generated"], rows["reference"]


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
    samples = [s for s in context.samples() if any(m.modality == modality for m in context.output(s).media)]
    if not samples:
        reason = f"task {context.task.name}: the model produced no {modality} (no sample has a generated {modality})"
        return SetOutcome(_unavailable(names, reason, identity, 0))
    generated, reference = _sides(context, extractor, samples, modality)
    ids = tuple(s.id for s in samples)
    sides: tuple[tuple[FeatureSide, SideRows], ...] = (("generated", generated), ("reference", reference))
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


def _frechet(context: ScoringContext, name: str, identity: ExtractorIdentity, generated: SideRows,
             reference: SideRows, n: int) -> ScoredMetric:
    from metrics.frechet_metrics import frechet_from_features

    result = frechet_from_features(
        generated.rows, reference.rows, metric=name, extractor=identity.name,
        extractor_canonical=identity.canonical, weights_sha256=identity.weights_sha256,
        interval=context.bootstrap > 0, generated_clusters=generated.clusters,
        reference_clusters=reference.clusters, seed=context.seed)
    return ScoredMetric(result, n)


def _kid(context: ScoringContext, extractor: FeatureExtractor, generated: SideRows, reference: SideRows, *,
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
