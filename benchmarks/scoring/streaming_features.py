"""Feature extraction while a run records its outputs: as soon as the first ``k`` chunks of an image, video or
audio task's samples (in dataset order, see ``image_feature_chunks.py``) are all recorded, the FID/KID (images,
video frames) or FAD (audio) network extracts those chunks of both sides -- the generated media and their
targets -- and the store keeps the rows, with the rows per item of a video or a clip.  Scoring at the
end then reads them and extracts only the last, partial chunk; a resumed run finds the chunks it extracted before
and extracts only the missing ones.

Only the chunks of a recorded prefix of the dataset are extracted: a chunk's rows depend on which items it holds
(and on the side's first item, whose size a chunk of images or videos is brought to), which is known once every
sample before it is recorded.  Under torchrun a process records only its shard, so no prefix grows past its first
gap; the runner streams in a single process only, and scoring extracts what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from benchmarks.datasets.samples import Dataset, Sample
from benchmarks.scoring.clip_embedding_stream import open_clip_embedding_stream
from benchmarks.scoring.computation import SetMetric
from benchmarks.scoring.context import ScoredTask, ScoringContext
from benchmarks.scoring.frechet_metrics import score_feature_distances
from benchmarks.scoring.image_feature_chunks import (
    ChunkItem,
    ChunkPlace,
    SideInput,
    chunk_rows,
    output_item,
    target_item,
)
from benchmarks.scoring.recorded_prefix import RecordedPrefix, leave_to_scoring
from benchmarks.scoring.registry import metric_spec
from benchmarks.store import FeatureSide, Generation, ResultsStore
from nextgpt.core.errors import MediaError


class OutputStream(Protocol):
    """Work done on a task's outputs while the run records them (``add`` after each recorded batch)."""

    def add(self, generations: Iterable[Generation]) -> None: ...


#: (store, run id, task, dataset, extractor set, outputs recorded before) -> a stream, or None when the task's
#: metrics need none of its work
StreamOpener = Callable[[ResultsStore, str, ScoredTask, Dataset, str, Mapping[tuple[str, int], Generation]],
                        OutputStream | None]


def open_streams(store: ResultsStore, run_id: str, task: ScoredTask, dataset: Dataset, extractors: str,
                 recorded: Mapping[tuple[str, int], Generation]) -> list[OutputStream]:
    """Every stream the task's metrics use (STREAM_OPENERS), each already fed the outputs recorded before."""
    opened = (opener(store, run_id, task, dataset, extractors, recorded) for opener in STREAM_OPENERS)
    return [stream for stream in opened if stream is not None]


def streams_features(task: ScoredTask) -> bool:
    """Whether the task's set metrics read feature chunks (FID or KID of an image or video task, FAD of an audio
    task; not a cycle)."""
    if task.produced_modality is None or task.legs or task.output == "dialogue":
        return False
    return any(isinstance(compute := metric_spec(name).compute, SetMetric)
               and compute.scorer is score_feature_distances for name in task.metrics)


class FeatureStream:
    """Extracts the complete chunks of a task's recorded prefix, for one run; ``add`` after each recorded
    batch."""

    def __init__(self, store: ResultsStore, run_id: str, task: ScoredTask, dataset: Dataset, extractors: str,
                 recorded: Mapping[tuple[str, int], Generation]) -> None:
        from metrics.extractors.base import EXTRACTION_BATCH

        self._store, self._run_id, self._task = store, run_id, task
        self._context = ScoringContext(task, dataset, {}, store, extractors, 0, 0, run_id)
        assert task.produced_modality is not None  # streams_features
        self._modality = task.produced_modality
        self._prefix = RecordedPrefix(dataset.samples)
        self._chunk = EXTRACTION_BATCH
        #: the items of the chunk being filled (the earlier chunks' are dropped once extracted)
        self._items: dict[FeatureSide, list[ChunkItem]] = {"generated": [], "reference": []}
        self._chunk_samples: list[str] = []  # their samples' ids
        #: each side's input: its first item's size (read when chunk 0 is extracted)
        self._inputs: dict[FeatureSide, SideInput] = {}
        self._chunks_done = 0
        self.add(recorded.values())

    def add(self, generations: Iterable[Generation]) -> None:
        """Take newly recorded outputs; extract every chunk they complete.  A medium the network cannot take
        never stops the recording: its chunk is left to scoring (``recorded_prefix.py``)."""
        for sample, generation in self._prefix.extend(generations):
            try:
                self._take(sample, generation)
            except MediaError as error:  # e.g. no target of the modality
                leave_to_scoring(self._task.name, f"every {self._modality} feature chunk from sample {sample.id} on",
                                 error)
                self._prefix.stop()
                break
            if len(self._items["generated"]) == self._chunk:
                self._extract(self._chunks_done)
                self._chunks_done += 1

    def _take(self, sample: Sample, generation: Generation) -> None:
        output = output_item(self._store, generation, self._modality)
        if output is not None:  # scoring leaves out a sample without an output medium: so do the chunks
            reference = target_item(sample, self._modality)
            self._items["generated"].append(output)
            self._items["reference"].append(reference)
            self._chunk_samples.append(sample.id)

    def _extract(self, index: int) -> None:
        extractor = self._context.feature_extractor("audio" if self._modality == "audio" else "image")
        samples, self._chunk_samples = f"samples {self._chunk_samples[0]} to {self._chunk_samples[-1]}", []
        for side, items in self._items.items():
            self._items[side] = []
            try:
                if index == 0:  # a side's input is its first item's size
                    self._inputs[side] = SideInput.of(self._modality, items[0].load())
                if side in self._inputs:  # else chunk 0 could not read it, and scoring reports why
                    chunk_rows(extractor, items, index, self._inputs[side],
                               ChunkPlace(self._store, self._run_id, self._task.name, side))
            except MediaError as error:
                leave_to_scoring(self._task.name, f"{extractor.name} feature chunk {index} ({side}, {samples})",
                                 error)


def _open_feature_stream(store: ResultsStore, run_id: str, task: ScoredTask, dataset: Dataset, extractors: str,
                         recorded: Mapping[tuple[str, int], Generation]) -> FeatureStream | None:
    return FeatureStream(store, run_id, task, dataset, extractors, recorded) if streams_features(task) else None


#: what ``open_streams`` opens, in order
STREAM_OPENERS: tuple[StreamOpener, ...] = (_open_feature_stream, open_clip_embedding_stream)
