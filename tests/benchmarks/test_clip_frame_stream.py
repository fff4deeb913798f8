"""Streaming CLIP frame embeddings of video tasks (benchmarks/scoring/clip_frame_chunks.py): while a t2v run records,
the CLIP image tower embeds each output video's frames, chunk by chunk of the recorded prefix, and the store keeps
the rows with each video's frame count.  CLIPSIM must be bit-identical to embedding every video at the end (and to
``CLIPSIM.update``, the path before frames were kept), a killed run that resumes must embed each frame once, and a
context that serves other media (a sensitivity probe) never reads or keeps them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from instant_media import InstantMediaModel
from streaming_fixtures import CHUNK

import metrics.clip_metrics as library
from benchmarks.datasets.samples import Sample
from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.scoring.clip_embedding_stream import embedded_sides
from benchmarks.scoring.context import ONE_PROCESS
from benchmarks.scoring.image_feature_chunks import chunk_bounds, images_tensor
from benchmarks.scoring.media_inputs import read_target
from benchmarks.scoring.scorers import ScoringContext, score_task
from benchmarks.store import ResultsStore
from benchmarks.tasks import get_task

#: with chunks of CHUNK (4) videos, 14 samples make 3 full chunks and a partial one
SAMPLES = 14
FRAMES = "toy-clip-frames"


def _settings() -> RunSettings:
    return RunSettings(tasks=("t2v",), limit=SAMPLES, extractors="toy", bootstrap=20)


def _clipsim(store: ResultsStore, run_id: str) -> tuple[Any, Any, int]:
    stored = next(m for m in store.metric_values(run_id) if m.metric == "clipsim")
    return stored.value, stored.ci, stored.n


def _chunks(store: ResultsStore) -> list[tuple[Any, ...]]:
    """(run, side, chunk, rows file) of every stored CLIP frame embedding chunk"""
    return [(row[0], row[3], row[4], row[8]) for row in store.table_rows("feature_chunks") if row[2] == FRAMES]


def _context(runner: BenchmarkRunner, store: ResultsStore, outputs_of: str, run_id: str | None,
             kind: type[ScoringContext] = ScoringContext) -> ScoringContext:
    """A context scoring the outputs of run ``outputs_of``, as part of run ``run_id`` (None: of no run)."""
    task = get_task("t2v")
    return kind(task.scoring(), runner.load_dataset(task), store.recorded(outputs_of, "t2v"), store, "toy", 20, 0,
                run_id)


def _frame_counts(context: ScoringContext) -> list[int]:
    """each scored sample's output video's frame count, in dataset order"""
    return [len(video) for s in context.samples() if (video := context.media(s, "video")) is not None]


def test_video_tasks_stream_their_output_frames_only() -> None:
    assert embedded_sides(get_task("t2v").scoring()) == ("generated",)
    # edit-video's CLIP-I pairs frames across videos: embedded when scored, so its targets are not streamed
    assert embedded_sides(get_task("edit-video").scoring()) == ("generated",)


def test_streamed_frames_score_clipsim_bit_identically_to_embedding_at_the_end(
        tmp_path: Path, small_chunks: None, embedded: Counter[str]) -> None:
    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantMediaModel("video"), store, _settings())
    run_id = runner.run().run_id
    streamed = _clipsim(store, run_id)
    assert streamed[0] is not None and streamed[2] == SAMPLES
    assert [chunk[1:3] for chunk in _chunks(store)] == [("generated", index) for index in range(4)]
    frames = _frame_counts(_context(runner, store, run_id, run_id))
    assert len(frames) == SAMPLES and len(set(frames)) > 1, "videos of different lengths"
    kept = [store.feature_chunk(run_id, "t2v", FRAMES, "generated", index) for index in range(4)]
    assert [count for chunk in kept if chunk is not None for count in chunk.counts] == frames
    assert embedded["images"] == sum(frames) and embedded["calls"] == SAMPLES, "each video's frames once, one call"

    embedded.clear()
    context = _context(runner, store, run_id, None)  # no run id: every frame embedded again
    at_the_end = score_task(context)
    assert embedded["images"] == sum(frames)
    clipsim = next(m for m in at_the_end.metrics if m.metric == "clipsim")
    assert (clipsim.value, clipsim.ci, clipsim.n) == streamed
    assert store.sample_scores(run_id, "t2v")["clipsim"] == at_the_end.per_sample["clipsim"]

    # ... and the path before frames were kept: CLIPSIM.update with each chunk's videos
    samples = context.samples()
    scorer = library.CLIPSIM(model=context.clip_model(), keep_per_sample=True, **ONE_PROCESS)
    for start, end in chunk_bounds(len(samples)):
        scorer.update([images_tensor(list(context.media(s, "video"))) for s in samples[start:end]],  # type: ignore[arg-type]
                      [s.captions[0] for s in samples[start:end]])
    assert scorer.compute(bootstrap=20, seed=0).value == streamed[0]


def test_a_killed_run_resumes_embedding_each_frame_once(tmp_path: Path, small_chunks: None,
                                                        embedded: Counter[str]) -> None:
    with pytest.raises(RuntimeError, match="stopped after 10"):
        BenchmarkRunner(InstantMediaModel("video", fail_after=10), ResultsStore(tmp_path), _settings()).run()
    store = ResultsStore(tmp_path)
    # samples 1-10 recorded: chunks 0 and 1 (samples 1-8) were embedded while recording, nothing else
    ((killed, _, first, _), (_, _, second, _)) = _chunks(store)
    assert (first, second) == (0, 1)
    first_eight = [chunk for index in (0, 1) if (chunk := store.feature_chunk(
        killed, "t2v", FRAMES, "generated", index)) is not None]
    assert embedded["images"] == sum(len(chunk.rows) for chunk in first_eight) and embedded["calls"] == 2 * CHUNK

    resumed_model = InstantMediaModel("video")
    runner = BenchmarkRunner(resumed_model, store, _settings())
    summary = runner.run()
    assert summary.resumed and resumed_model.calls == SAMPLES - 10
    frames = _frame_counts(_context(runner, store, summary.run_id, summary.run_id))
    assert embedded["images"] == sum(frames) and embedded["calls"] == SAMPLES, "every frame embedded once overall"

    fresh = ResultsStore(tmp_path / "fresh")  # the same task in one go gives the same numbers
    whole = BenchmarkRunner(InstantMediaModel("video"), fresh, _settings()).run().run_id
    assert _clipsim(fresh, whole) == _clipsim(store, summary.run_id)


class ReferenceAsOutput(ScoringContext):
    """A probe's kind of context: it serves other media than the stored outputs (here each sample's target)."""

    def media(self, sample: Sample, modality: str) -> Any:
        return read_target(sample, modality)  # type: ignore[arg-type]


def test_a_context_serving_other_videos_never_reads_the_stored_frames(
        tmp_path: Path, small_chunks: None, embedded: Counter[str]) -> None:
    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantMediaModel("video"), store, _settings())
    run_id = runner.run().run_id
    kept = _chunks(store)
    embedded.clear()
    probe = _context(runner, store, run_id, run_id, ReferenceAsOutput)
    probed = score_task(probe)
    served = _frame_counts(probe)
    # every served frame embedded (by CLIPSIM; FID's toy network is no CLIP), none read from or kept in the store
    assert embedded["images"] == sum(served)
    assert _chunks(store) == kept
    value = next(m.value for m in probed.metrics if m.metric == "clipsim")
    without_run = score_task(_context(runner, store, run_id, None, ReferenceAsOutput))
    assert next(m.value for m in without_run.metrics if m.metric == "clipsim") == value
    assert _clipsim(store, run_id)[0] != value
