"""The CLIP image embeddings of an image task's outputs (and, for CLIP-I, its targets), chunk by chunk and kept
in the store, so that CLIP score, ``clip_t`` and CLIP-I read embeddings computed while the run recorded its
outputs (``clip_embedding_stream.py``) instead of re-reading and re-encoding every image.

A side is the items of the samples that have an output image, in dataset order, cut into the chunks of
:data:`~metrics.extractors.base.EXTRACTION_BATCH` items (``chunk_bounds``) that scoring fed the CLIP image tower
at once before embeddings were kept.  Each chunk is embedded in one call, so the rows -- and the scores -- are
bit-identical to that pass, whatever the float rounding of a batched network.  CLIP brings each image to its own
input size (``image_preprocessing``), so unlike the FID rows no side-wide size is involved.  A stored chunk is
used only when it holds exactly the same items, embedded by the same model (name, weights, preprocessing).

The rows are kept as feature chunks under :func:`embedding_extractor` -- the CLIP model's name plus ``-image``,
which no FID/KID network (``inception-*``, ``toy``) shares.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.context import ScoringContext
from benchmarks.scoring.image_feature_chunks import (
    ChunkItem,
    ChunkPlace,
    ItemsOf,
    chunk_bounds,
    output_item,
    served_output,
    served_target,
    stored_place,
    target_item,
)
from benchmarks.store import FeatureChunk, FeatureSide
from benchmarks.store.feature_chunks import ChunkSource
from nextgpt.core.errors import TaskError
from nextgpt.core.modalities import Modality
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

if TYPE_CHECKING:
    import torch

    from metrics.extractors.clip import TextImageModel


def embedding_extractor(model: TextImageModel) -> str:
    """The extractor name of a CLIP model's image embeddings in the store's feature chunks."""
    return f"{model.name}-image"


def embedding_rows(model: TextImageModel, items: Sequence[ChunkItem], index: int, place: ChunkPlace | None
                   ) -> np.ndarray:
    """The image embeddings of chunk ``index`` (``items`` are that chunk's): the stored ones when they match, else
    embedded now, in one call (and kept, when ``place`` is given)."""
    from metrics.clip_metrics import clip_image_embeddings
    from metrics.extractors.clip import rgb_uint8_images

    name = embedding_extractor(model)
    source = ChunkSource(model.weights_sha256 or "", model.image_preprocessing, tuple(item.key for item in items))
    if place is not None:
        stored = place.store.feature_chunk(place.run_id, place.task, name, place.side, index, source)
        if stored is not None:
            return stored.rows
    images = rgb_uint8_images([item.load() for item in items], f"{name} chunk {index}")  # as the metrics' update
    rows = clip_image_embeddings(model, images).numpy()
    if place is not None:
        place.store.save_feature_chunk(place.run_id, place.task, place.side, index,
                                       FeatureChunk.of(name, source, rows))
    return rows


def _stored_output(context: ScoringContext, modality: Modality, sample: Sample) -> ChunkItem:
    item = output_item(context.store, context.output(sample), modality)
    if item is None:
        raise TaskError(f"task {context.task.name}: sample {sample.id} has no output {modality} to embed (only "
                        "samples with one are scored)")
    return item


def side_items(context: ScoringContext, samples: Sequence[Sample], side: FeatureSide,
               modality: Modality = "image") -> ItemsOf:
    """The side's items of ``samples`` (each has an output of ``modality``), in order, each made when its chunk is
    embedded: the stored outputs or the dataset's targets, or the media the context serves in their place
    (``ScoringContext.serves_stored``)."""
    if side == "reference":
        if context.serves_stored(side):
            return ItemsOf(samples, partial(target_item, modality=modality))
        return ItemsOf(samples, partial(served_target, context, modality=modality))
    if context.serves_stored(side):
        return ItemsOf(samples, partial(_stored_output, context, modality))
    return ItemsOf(samples, partial(served_output, context, modality=modality))


def image_embedding_chunks(context: ScoringContext, model: TextImageModel, samples: Sequence[Sample],
                           sides: tuple[FeatureSide, ...]
                           ) -> Iterator[tuple[tuple[int, int], dict[FeatureSide, torch.Tensor]]]:
    """((start, end), side -> embeddings of ``samples[start:end]``) for each chunk, in order: one chunk of
    images in memory at a time."""
    import torch

    items = {side: side_items(context, samples, side) for side in sides}
    places = {side: stored_place(context, side) for side in sides}
    with progress_task(f"{embedding_extractor(model)} embeddings", len(samples), unit="samples",
                       show_after=SLOW_WORK_SECONDS) as progress:
        for index, (start, end) in enumerate(chunk_bounds(len(samples))):
            yield (start, end), {side: torch.from_numpy(embedding_rows(model, items[side][start:end], index,
                                                                       places[side])) for side in sides}
            progress.advance(end - start)
