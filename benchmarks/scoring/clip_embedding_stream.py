"""CLIP image embeddings while a run records an image task (CLIP score, ``clip_t``, CLIP-I): as soon as the
first ``k`` chunks of the task's samples (in dataset order) are all recorded, the CLIP image tower embeds those
chunks' output images -- and, for CLIP-I, their targets -- and the store keeps the rows
(``clip_embedding_chunks.py``).  Scoring at the end reads them and embeds only the last, partial chunk; a resumed
run finds the chunks embedded before and embeds only the missing ones.

Only the chunks of a recorded prefix of the dataset are embedded: a chunk's items are known once every sample
before it is recorded.  The runner opens this stream through ``streaming_features.STREAM_OPENERS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from benchmarks.datasets.samples import Dataset, Sample
from benchmarks.scoring.clip_embedding_chunks import embedding_rows
from benchmarks.scoring.clip_metrics import score_clip_image, score_clip_text
from benchmarks.scoring.computation import SetMetric
from benchmarks.scoring.context import ScoredTask, ScoringContext
from benchmarks.scoring.image_feature_chunks import ChunkItem, ChunkPlace, output_image, target_image
from benchmarks.scoring.recorded_prefix import RecordedPrefix, leave_to_scoring
from benchmarks.scoring.registry import metric_spec
from benchmarks.store import FeatureSide, Generation, ResultsStore
from nextgpt.core.errors import MediaError


def embedded_sides(task: ScoredTask) -> tuple[FeatureSide, ...]:
    """The sides whose CLIP image embeddings the task's metrics read: the outputs for the text slot (CLIP score,
    ``clip_t``), outputs and targets for CLIP-I; none for a task that produces no image, a cycle or a dialogue."""
    if task.produced_modality != "image" or task.legs or task.output == "dialogue":
        return ()
    scorers = {compute.scorer for name in task.metrics
               if isinstance(compute := metric_spec(name).compute, SetMetric)}
    if score_clip_image in scorers:
        return ("generated", "reference")
    return ("generated",) if score_clip_text in scorers else ()


class ClipEmbeddingStream:
    """Embeds the complete chunks of a task's recorded prefix, for one run; ``add`` after each recorded batch."""

    def __init__(self, store: ResultsStore, run_id: str, task: ScoredTask, dataset: Dataset, extractors: str,
                 recorded: Mapping[tuple[str, int], Generation], sides: tuple[FeatureSide, ...]) -> None:
        from metrics.extractors.base import EXTRACTION_BATCH

        self._store, self._run_id, self._task = store, run_id, task
        self._context = ScoringContext(task, dataset, {}, store, extractors, 0, 0, run_id)
        self._prefix = RecordedPrefix(dataset.samples)
        self._chunk = EXTRACTION_BATCH
        #: the items of the chunk being filled, per side
        self._items: dict[FeatureSide, list[ChunkItem]] = {side: [] for side in sides}
        self._chunk_samples: list[str] = []  # their samples' ids
        self._chunks_done = 0
        self.add(recorded.values())

    def add(self, generations: Iterable[Generation]) -> None:
        """Take newly recorded outputs; embed every chunk they complete.  A medium the model cannot take never
        stops the recording: its chunk is left to scoring (``recorded_prefix.py``)."""
        for sample, generation in self._prefix.extend(generations):
            try:
                self._take(sample, generation)
            except MediaError as error:  # e.g. no target image
                leave_to_scoring(self._task.name, f"every CLIP embedding chunk from sample {sample.id} on", error)
                self._prefix.stop()
                break
            if len(self._items["generated"]) == self._chunk:
                self._embed()

    def _take(self, sample: Sample, generation: Generation) -> None:
        output = output_image(self._store, generation)
        if output is not None:  # scoring skips a sample without an output image: so do its chunks
            items = {side: output if side == "generated" else target_image(sample) for side in self._items}
            for side, item in items.items():
                self._items[side].append(item)
            self._chunk_samples.append(sample.id)

    def _embed(self) -> None:
        model = self._context.clip_model()
        samples, self._chunk_samples = f"samples {self._chunk_samples[0]} to {self._chunk_samples[-1]}", []
        for side, items in self._items.items():
            self._items[side] = []
            try:
                embedding_rows(model, items, self._chunks_done,
                               ChunkPlace(self._store, self._run_id, self._task.name, side))
            except MediaError as error:
                leave_to_scoring(self._task.name, f"{model.name} image embedding chunk {self._chunks_done} ({side}, "
                                                  f"{samples})", error)
        self._chunks_done += 1


def open_clip_embedding_stream(store: ResultsStore, run_id: str, task: ScoredTask, dataset: Dataset,
                               extractors: str, recorded: Mapping[tuple[str, int], Generation]
                               ) -> ClipEmbeddingStream | None:
    """The stream of the task's CLIP image embeddings, or None when its metrics read none (a StreamOpener)."""
    sides = embedded_sides(task)
    return ClipEmbeddingStream(store, run_id, task, dataset, extractors, recorded, sides) if sides else None
