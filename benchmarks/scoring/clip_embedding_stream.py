"""CLIP image embeddings while a run records an image task (CLIP score, ``clip_t``, CLIP-I) or a video task
(CLIPSIM, a video ``clip_t``): as soon as the first ``k`` chunks of the task's samples (in dataset order) are all
recorded, the CLIP image tower embeds those chunks' output images -- and, for CLIP-I, their targets -- or each
output video's frames, and the store keeps the rows (``clip_embedding_chunks.py``, ``clip_frame_chunks.py``; a
video CLIP-I pairs frames across videos and is embedded when scored).  Scoring at the end reads them and embeds
only the last, partial chunk; a resumed run finds the chunks embedded before and embeds only the missing ones.

Only the chunks of a recorded prefix of the dataset are embedded: a chunk's items are known once every sample
before it is recorded.  The runner opens this stream through ``streaming_features.STREAM_OPENERS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from benchmarks.datasets.samples import Dataset, Sample
from benchmarks.scoring.clip_embedding_chunks import embedding_extractor, embedding_rows
from benchmarks.scoring.clip_frame_chunks import frame_embedding_rows, frame_extractor
from benchmarks.scoring.clip_metrics import score_clip_image, score_clip_text
from benchmarks.scoring.computation import SetMetric
from benchmarks.scoring.context import ScoredTask, ScoringContext
from benchmarks.scoring.image_feature_chunks import ChunkItem, ChunkPlace, output_item, target_item
from benchmarks.scoring.recorded_prefix import RecordedPrefix, leave_to_scoring
from benchmarks.scoring.registry import metric_spec
from benchmarks.store import FeatureSide, Generation, ResultsStore
from nextgpt.core.errors import MediaError
from nextgpt.core.modalities import Modality


def embedded_sides(task: ScoredTask) -> tuple[FeatureSide, ...]:
    """The sides whose CLIP image embeddings the task's metrics read: the outputs for the text slot (CLIP score,
    CLIPSIM, ``clip_t``), outputs and targets for an image CLIP-I; none for a task that produces neither image nor
    video, a cycle or a dialogue.  A video CLIP-I is embedded when scored (``clip_frame_chunks.py``)."""
    if task.produced_modality not in ("image", "video") or task.legs or task.output == "dialogue":
        return ()
    scorers = {compute.scorer for name in task.metrics
               if isinstance(compute := metric_spec(name).compute, SetMetric)}
    if score_clip_image in scorers and task.produced_modality == "image":
        return ("generated", "reference")
    return ("generated",) if score_clip_text in scorers else ()


class ClipEmbeddingStream:
    """Embeds the complete chunks of a task's recorded prefix, for one run; ``add`` after each recorded batch."""

    def __init__(self, store: ResultsStore, run_id: str, task: ScoredTask, dataset: Dataset, extractors: str,
                 recorded: Mapping[tuple[str, int], Generation], sides: tuple[FeatureSide, ...]) -> None:
        from metrics.extractors.base import EXTRACTION_BATCH

        self._store, self._run_id, self._task = store, run_id, task
        self._modality: Modality = "video" if task.produced_modality == "video" else "image"
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
        output = output_item(self._store, generation, self._modality)
        if output is not None:  # scoring skips a sample without an output medium: so do its chunks
            items = {side: output if side == "generated" else target_item(sample, self._modality)
                     for side in self._items}
            for side, item in items.items():
                self._items[side].append(item)
            self._chunk_samples.append(sample.id)

    def _embed(self) -> None:
        model = self._context.clip_model()
        video = self._modality == "video"
        name = frame_extractor(model) if video else embedding_extractor(model)
        samples, self._chunk_samples = f"samples {self._chunk_samples[0]} to {self._chunk_samples[-1]}", []
        for side, items in self._items.items():
            self._items[side] = []
            place = ChunkPlace(self._store, self._run_id, self._task.name, side)
            try:
                if video:
                    frame_embedding_rows(model, items, self._chunks_done, place)
                else:
                    embedding_rows(model, items, self._chunks_done, place)
            except MediaError as error:
                leave_to_scoring(self._task.name, f"{name} embedding chunk {self._chunks_done} ({side}, {samples})",
                                 error)
        self._chunks_done += 1


def open_clip_embedding_stream(store: ResultsStore, run_id: str, task: ScoredTask, dataset: Dataset,
                               extractors: str, recorded: Mapping[tuple[str, int], Generation]
                               ) -> ClipEmbeddingStream | None:
    """The stream of the task's CLIP image or video frame embeddings, or None when its metrics read none (a
    StreamOpener)."""
    sides = embedded_sides(task)
    return ClipEmbeddingStream(store, run_id, task, dataset, extractors, recorded, sides) if sides else None
