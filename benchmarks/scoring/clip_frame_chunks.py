"""The CLIP image embeddings of a video task's output frames, chunk by chunk and kept in the store, so that CLIPSIM
(and a video task's ``clip_t``, which is CLIPSIM against the target caption) reads embeddings computed while the
run recorded its outputs (``clip_embedding_stream.py``) instead of re-reading and re-encoding every video.

The chunks are those of the image embeddings (``clip_embedding_chunks.py``): the samples with an output video, in
dataset order, cut by ``chunk_bounds``.  Within a chunk each video's frames are embedded in one call of their own,
exactly as ``CLIPSIM.update`` embeds them, so the rows -- and the scores -- are bit-identical to embedding at the
end.  A chunk keeps its rows with each video's frame count, under :func:`frame_extractor` (the CLIP model's name
plus ``-frames``, which neither the image embeddings nor any FID/KID network share).  A stored chunk is used only
when it holds exactly the same items, embedded by the same model (name, weights, preprocessing).

CLIP-I of videos is not kept here: it pairs output and target frames evenly and embeds the pairs in batches that
run across videos, so its batches are not a chunk's; it embeds its frames when scored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.clip_embedding_chunks import side_items
from benchmarks.scoring.context import ScoringContext
from benchmarks.scoring.image_feature_chunks import ChunkItem, ChunkPlace, chunk_bounds, images_tensor, stored_place
from benchmarks.store import FeatureChunk
from benchmarks.store.feature_chunks import ChunkSource
from nextgpt.core.errors import MediaError
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

if TYPE_CHECKING:
    import torch

    from metrics.extractors.clip import TextImageModel


def frame_extractor(model: TextImageModel) -> str:
    """The extractor name of a CLIP model's video frame embeddings in the store's feature chunks."""
    return f"{model.name}-frames"


def _video_rows(model: TextImageModel, item: ChunkItem) -> np.ndarray:
    """One video's frame embeddings, in one call, from the very arrays ``CLIPSIM.update`` makes of a scored video."""
    from metrics.clip_metrics import clip_image_embeddings
    from metrics.extractors.clip import rgb_uint8_images

    video = item.load()
    if video.ndim != 4 or len(video) == 0:
        raise MediaError(f"{item.source}: expected a video of >= 1 frame (F, H, W, 3), got shape {video.shape}")
    frames = rgb_uint8_images(images_tensor(list(video)), f"{item.source} frames")
    return clip_image_embeddings(model, frames).numpy()


def frame_embedding_rows(model: TextImageModel, items: Sequence[ChunkItem], index: int, place: ChunkPlace | None
                         ) -> tuple[np.ndarray, tuple[int, ...]]:
    """(frame rows, frames per video) of chunk ``index`` (``items`` are that chunk's videos): the stored ones when
    they match, else embedded now, one call per video (and kept, when ``place`` is given)."""
    name = frame_extractor(model)
    source = ChunkSource(model.weights_sha256 or "", model.image_preprocessing, tuple(item.key for item in items))
    if place is not None:
        stored = place.store.feature_chunk(place.run_id, place.task, name, place.side, index, source)
        if stored is not None:
            return stored.rows, stored.counts
    per_video = [_video_rows(model, item) for item in items]
    rows, counts = np.concatenate(per_video), tuple(len(part) for part in per_video)
    if place is not None:
        place.store.save_feature_chunk(place.run_id, place.task, place.side, index,
                                       FeatureChunk.of(name, source, rows, counts))
    return rows, counts


def video_frame_chunks(context: ScoringContext, model: TextImageModel, samples: Sequence[Sample]
                       ) -> Iterator[tuple[tuple[int, int], list[torch.Tensor]]]:
    """((start, end), the frame embeddings of each output video of ``samples[start:end]``) for each chunk, in order:
    one chunk of videos in memory at a time."""
    import torch

    items = side_items(context, samples, "generated", "video")
    place = stored_place(context, "generated")
    with progress_task(f"{frame_extractor(model)} embeddings", len(samples), unit="samples",
                       show_after=SLOW_WORK_SECONDS) as progress:
        for index, (start, end) in enumerate(chunk_bounds(len(samples))):
            rows, counts = frame_embedding_rows(model, items[start:end], index, place)
            yield (start, end), list(torch.from_numpy(rows).split(list(counts)))
            progress.advance(end - start)
