"""The feature rows of FID, KID (images, video frames) and FAD (audio clips' VGGish examples), extracted chunk by
chunk and kept in the store, so that scoring reads rows extracted while the run recorded its outputs
(``streaming_features.py``) instead of re-reading and re-encoding every medium, and so that at most one chunk of
media is in memory at a time.

A side (generated or reference) is its items in dataset order, cut into chunks of
:data:`~metrics.extractors.base.EXTRACTION_BATCH` items.  A chunk's media become one network input (an image is one
row, a video its frames, a clip its 0.96 s VGGish examples; the rows per item are kept, the jackknife's clusters),
brought to the size of the side's first item, and extracted in one call.  For images a chunk is exactly the slice
``FeatureExtractor.extract`` feeds the network in one pass over the whole side, so the rows are bit-identical to
that pass; for videos and clips a chunk's rows are fed in slices of EXTRACTION_BATCH rows, so only where items
have different row counts can a batch hold other rows than in a whole-side pass (float rounding of batched
convolutions; test_streaming_media.py measures it).  Every path -- streamed while recording, or at the end --
cuts the same chunks, so their rows are bit-identical to each other.  A stored chunk is used only when it holds
exactly the same items (sample and content), extracted by the same network at the same size; any other is
extracted again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, overload

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.context import ScoringContext
from benchmarks.scoring.media_inputs import SCORED_SAMPLE_RATE, read_scored_media
from benchmarks.store import FeatureChunk, FeatureSide, Generation, ResultsStore
from benchmarks.store.feature_chunks import ChunkSource
from nextgpt.core.errors import MediaError, TaskError
from nextgpt.core.modalities import Modality
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


def _frames(medium: np.ndarray) -> list[np.ndarray]:
    """The images of a video (F, H, W, 3), or the one image (H, W, 3) a video side may hold."""
    return list(medium) if medium.ndim == 4 else [medium]


@dataclass(frozen=True)
class SideInput:
    """How a side's media become the network's input: their modality, and the (H, W) every image or frame is
    brought to (the side's first item's; None for audio, whose clips are cut into examples as they are)."""

    modality: Modality
    size: tuple[int, int] | None

    @classmethod
    def of(cls, modality: Modality, first: np.ndarray) -> SideInput:
        """The input of a side whose first item's medium is ``first``."""
        if modality == "audio":
            return cls(modality, None)
        height, width = _frames(first)[0].shape[:2]
        return cls(modality, (int(height), int(width)))

    @property
    def label(self) -> str:
        """What a stored chunk records as its input size ("64x64"; "16000Hz" for audio)."""
        return f"{SCORED_SAMPLE_RATE}Hz" if self.size is None else f"{self.size[0]}x{self.size[1]}"

    def network_input(self, media: list[np.ndarray], sources: Sequence[str]) -> tuple[torch.Tensor, tuple[int, ...]]:
        """The batch of one chunk's media, and how many of its rows each medium gave; ``sources`` say where each
        medium came from (``ChunkItem.source``), for the MediaError of one the network cannot take (a clip
        shorter than one VGGish example)."""
        import torch

        if self.modality == "audio":
            from metrics.extractors.vggish import waveform_to_examples

            parts = []
            for waveform, source in zip(media, sources, strict=True):
                try:
                    parts.append(waveform_to_examples(torch.from_numpy(waveform.astype(np.float64)),
                                                      SCORED_SAMPLE_RATE))
                except MediaError as error:
                    raise MediaError(f"{source}: {error}") from error
            return torch.cat(parts), tuple(len(part) for part in parts)
        per_item = [_frames(medium) for medium in media]
        frames = [frame for item in per_item for frame in item]
        return images_tensor(uniform_size(frames, self.size)), tuple(len(item) for item in per_item)


@dataclass(frozen=True)
class SideRows:
    """A side's feature rows, and how many each scored item gave (frames of a video, examples of a clip; 1 per
    image)."""

    rows: np.ndarray
    counts: tuple[int, ...]

    @property
    def clusters(self) -> np.ndarray:
        """The item index of each row: the jackknife keeps one item's rows in one group (not independent)."""
        return np.repeat(np.arange(len(self.counts)), self.counts)


@dataclass(frozen=True)
class ChunkItem:
    """One medium of a side: ``key`` names the sample and the content (a changed output is a new key);
    ``source`` says where the medium comes from (the sample and its file), for errors."""

    key: str
    load: Callable[[], np.ndarray]
    source: str


class ItemsOf(Sequence[ChunkItem]):
    """The items of ``samples``, each made by ``make`` when a chunk asks for it: a side of 30,000 items made at
    once would hold about 30 MB of keys, loaders and descriptions for no use (a chunk needs only its own)."""

    def __init__(self, samples: Sequence[Sample], make: Callable[[Sample], ChunkItem]) -> None:
        self._samples, self._make = samples, make

    def __len__(self) -> int:
        return len(self._samples)

    @overload
    def __getitem__(self, index: int) -> ChunkItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[ChunkItem]: ...

    def __getitem__(self, index: int | slice) -> ChunkItem | list[ChunkItem]:
        if isinstance(index, slice):
            return [self._make(sample) for sample in self._samples[index]]
        return self._make(self._samples[index])


@dataclass(frozen=True)
class ChunkPlace:
    """Where a side's chunks are kept: a run's task in a store."""

    store: ResultsStore
    run_id: str
    task: str
    side: FeatureSide


def stored_place(context: ScoringContext, side: FeatureSide) -> ChunkPlace | None:
    """Where the side's chunks are kept, when stored chunks can be used for it: a run's context (a run id) that
    serves the stored media of that side (``ScoringContext.serves_stored``); else None, and every chunk of the side
    is extracted from the media the context serves, none read or kept."""
    if context.run_id is None or not context.serves_stored(side):
        return None
    return ChunkPlace(context.store, context.run_id, context.task.name, side)


def served_output(context: ScoringContext, sample: Sample, modality: Modality) -> ChunkItem:
    """The medium ``context`` serves as the sample's output (of a context serving other media than the stored
    outputs; only a sample it serves one for becomes an item)."""
    return ChunkItem(f"{sample.id}:served", partial(_served_output, context, sample, modality),
                     f"sample {sample.id}: {modality} served by {type(context).__name__}")


def _served_output(context: ScoringContext, sample: Sample, modality: Modality) -> np.ndarray:
    medium = context.media(sample, modality)
    if medium is None:
        raise TaskError(f"task {context.task.name}: sample {sample.id}: {type(context).__name__} serves no "
                        f"{modality} output for it now, though it did when the scored samples were listed (a "
                        "scoring context must serve the same media each time)")
    return medium


def served_target(context: ScoringContext, sample: Sample, modality: Modality) -> ChunkItem:
    """The medium ``context`` serves as the sample's target (of a context overriding ``target``)."""
    return ChunkItem(f"{sample.id}:served-target", partial(context.target, sample, modality),
                     f"sample {sample.id}: target {modality} served by {type(context).__name__}")


def output_item(store: ResultsStore, generation: Generation, modality: Modality) -> ChunkItem | None:
    """The generated medium of a recorded output (None when the model produced none)."""
    stored = next((m for m in generation.media if m.modality == modality), None)
    if stored is None:
        return None
    path = store.media_path(stored)
    return ChunkItem(f"{generation.sample_id}:{stored.sha256}", lambda: read_scored_media(path, modality),
                     f"sample {generation.sample_id}: generated {modality} {path}")


def target_item(sample: Sample, modality: Modality) -> ChunkItem:
    """The sample's reference medium."""
    target = next((f for f in sample.targets if f.modality == modality), None)
    if target is None:
        raise MediaError(f"sample {sample.id}: no {modality} target to score the output against (its targets: "
                         f"{', '.join(f.modality for f in sample.targets) or 'none'})")
    path = target.path
    return ChunkItem(f"{sample.id}:{path}", lambda: read_scored_media(path, modality),
                     f"sample {sample.id}: target {modality} {path}")


def output_image(store: ResultsStore, generation: Generation) -> ChunkItem | None:
    """The generated image of a recorded output (None when the model produced none)."""
    return output_item(store, generation, "image")


def target_image(sample: Sample) -> ChunkItem:
    return target_item(sample, "image")


def chunk_bounds(count: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``count`` items: the slices ``FeatureExtractor.extract`` feeds the network."""
    from metrics.extractors.base import EXTRACTION_BATCH

    return [(start, min(start + EXTRACTION_BATCH, count)) for start in range(0, count, EXTRACTION_BATCH)]


def chunk_rows(extractor: FeatureExtractor, items: Sequence[ChunkItem], index: int, side_input: SideInput,
               place: ChunkPlace | None) -> SideRows:
    """The rows of chunk ``index`` (``items`` are that chunk's): the stored ones when they match, else extracted
    now (and kept, when ``place`` is given)."""
    identity = extractor.identity
    source = ChunkSource(identity.weights_sha256 or "", side_input.label, tuple(i.key for i in items))
    if place is not None:
        stored = place.store.feature_chunk(place.run_id, place.task, identity.name, place.side, index, source)
        if stored is not None:
            return SideRows(stored.rows, stored.counts)
    batch, counts = side_input.network_input([item.load() for item in items], [item.source for item in items])
    rows = extractor.extract(batch).numpy()
    del batch
    if place is not None:
        place.store.save_feature_chunk(place.run_id, place.task, place.side, index,
                                       FeatureChunk.of(identity.name, source, rows, counts))
    return SideRows(rows, counts)


def side_rows(extractor: FeatureExtractor, items: Sequence[ChunkItem], modality: Modality,
              place: ChunkPlace | None, label: str) -> SideRows:
    """Every row of a side, chunk by chunk (the first item is read for the side's size); only one chunk's media
    are in memory at a time."""
    side_input = SideInput.of(modality, items[0].load())
    gathered = _GatheredRows(len(items) if modality == "image" else None)
    with progress_task(label, len(items), unit="items", show_after=SLOW_WORK_SECONDS) as progress:
        for index, (start, end) in enumerate(chunk_bounds(len(items))):
            gathered.add(chunk_rows(extractor, items[start:end], index, side_input, place))
            progress.advance(end - start)
    return gathered.side()


class _GatheredRows:
    """A side's rows, chunk after chunk.  When the number of rows is known beforehand (one per image), each chunk
    is copied into one array made for them all, so the side is in memory once (parts and their concatenation
    would hold it twice: 30,000 Inception rows are 490 MB a side); a video's frames or a clip's examples are
    counted only once extracted, so those parts are concatenated at the end."""

    def __init__(self, rows: int | None) -> None:
        self._expected, self._filled = rows, 0
        self._array: np.ndarray | None = None
        self._parts: list[np.ndarray] = []
        self._counts: list[int] = []

    def add(self, part: SideRows) -> None:
        self._counts += part.counts
        if self._expected is None:
            self._parts.append(part.rows)
            return
        if self._array is None:
            self._array = np.empty((self._expected, *part.rows.shape[1:]), dtype=part.rows.dtype)
        self._array[self._filled:self._filled + len(part.rows)] = part.rows
        self._filled += len(part.rows)

    def side(self) -> SideRows:
        if self._array is not None:
            if self._filled != self._expected:
                raise RuntimeError(f"{self._filled} feature rows gathered for {self._expected} images; expected one "
                                   "row per image (a bug in the chunking, not in the data)")
            return SideRows(self._array, tuple(self._counts))
        return SideRows(np.concatenate(self._parts), tuple(self._counts))
