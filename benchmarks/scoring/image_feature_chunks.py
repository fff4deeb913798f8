"""The image feature rows of FID and KID, extracted chunk by chunk and kept in the store, so that scoring reads
rows extracted while the run recorded its outputs (``streaming_features.py``) instead of re-reading and
re-encoding every image.

A side (generated or reference) is its items in dataset order, cut into the chunks of
:data:`~metrics.extractors.base.EXTRACTION_BATCH` items that ``FeatureExtractor.extract`` feeds the network when
given the whole side at once.  Every chunk is brought to the size of the side's first item (what one pass over
the whole side does) and extracted in one call, so the rows -- and the scores -- are bit-identical to that pass,
whatever the float rounding of batched convolutions.  A stored chunk is used only when it holds exactly the same
items (sample and content), extracted by the same network at the same size; any other is extracted again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.media_inputs import read_scored_media
from benchmarks.store import FeatureChunk, FeatureSide, Generation, ResultsStore
from nextgpt.core.errors import MediaError
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

if TYPE_CHECKING:
    import torch

    from metrics.extractors.base import FeatureExtractor


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


@dataclass(frozen=True)
class ChunkItem:
    """One image of a side: ``key`` names the sample and the content (a changed output is a new key)."""

    key: str
    load: Callable[[], np.ndarray]


@dataclass(frozen=True)
class ChunkPlace:
    """Where a side's chunks are kept: a run's task in a store."""

    store: ResultsStore
    run_id: str
    task: str
    side: FeatureSide


def output_image(store: ResultsStore, generation: Generation) -> ChunkItem | None:
    """The generated image of a recorded output (None when the model produced none)."""
    stored = next((m for m in generation.media if m.modality == "image"), None)
    if stored is None:
        return None
    path = store.media_path(stored)
    return ChunkItem(f"{generation.sample_id}:{stored.sha256}", lambda: read_scored_media(path, "image"))


def target_image(sample: Sample) -> ChunkItem:
    target = next((f for f in sample.targets if f.modality == "image"), None)
    if target is None:
        raise MediaError(f"sample {sample.id}: no image target to score the output against (its targets: "
                         f"{', '.join(f.modality for f in sample.targets) or 'none'})")
    path = target.path
    return ChunkItem(f"{sample.id}:{path}", lambda: read_scored_media(path, "image"))


def chunk_bounds(count: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``count`` items: the slices ``FeatureExtractor.extract`` feeds the network."""
    from metrics.extractors.base import EXTRACTION_BATCH

    return [(start, min(start + EXTRACTION_BATCH, count)) for start in range(0, count, EXTRACTION_BATCH)]


def chunk_rows(extractor: FeatureExtractor, items: Sequence[ChunkItem], index: int, size: tuple[int, int],
               place: ChunkPlace | None) -> np.ndarray:
    """The rows of chunk ``index`` (``items`` are that chunk's): the stored ones when they match, else extracted
    now (and kept, when ``place`` is given)."""
    identity = extractor.identity
    weights, input_size, keys = identity.weights_sha256 or "", f"{size[0]}x{size[1]}", tuple(i.key for i in items)
    if place is not None:
        stored = place.store.feature_chunk(place.run_id, place.task, identity.name, place.side, index)
        if stored is not None and stored.matches(identity.name, weights, input_size, keys):
            return stored.rows
    rows = extractor.extract(images_tensor(uniform_size([item.load() for item in items], size))).numpy()
    if place is not None:
        place.store.save_feature_chunk(place.run_id, place.task, place.side, index,
                                       FeatureChunk(identity.name, weights, input_size, keys, rows))
    return rows


def side_rows(extractor: FeatureExtractor, items: Sequence[ChunkItem], place: ChunkPlace | None,
              label: str) -> np.ndarray:
    """Every row of a side, chunk by chunk (the first item is read for the side's size)."""
    size: tuple[int, int] = items[0].load().shape[:2]
    bounds = chunk_bounds(len(items))
    parts = []
    with progress_task(label, len(items), unit="images", show_after=SLOW_WORK_SECONDS) as progress:
        for index, (start, end) in enumerate(bounds):
            parts.append(chunk_rows(extractor, items[start:end], index, size, place))
            progress.advance(end - start)
    return np.concatenate(parts)
