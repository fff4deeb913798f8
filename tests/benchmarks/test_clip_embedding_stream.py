"""Streaming CLIP image embeddings (benchmarks/scoring/clip_embedding_stream.py): while a run records an image task,
the CLIP image tower embeds each complete chunk of the recorded prefix (the outputs; for CLIP-I also the targets)
and the store keeps the rows.  Scores must be bit-identical to embedding every image at the end, a killed run that
resumes must embed each image once, and a context that serves other media (a sensitivity probe) never reads them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streaming_fixtures import CHUNK

from benchmarks.datasets.samples import Sample
from benchmarks.instant_model import InstantImageModel
from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.scoring.clip_embedding_stream import embedded_sides
from benchmarks.scoring.media_inputs import read_target
from benchmarks.scoring.scorers import ScoringContext, score_task
from benchmarks.store import ResultsStore
from benchmarks.tasks import get_task
from nextgpt.core.interface import Capabilities

#: with chunks of CHUNK (4) images, 14 samples make 3 full chunks and a partial one
SAMPLES = 14
#: task -> its CLIP metrics (edit-image's CLIP-I embeds the targets too)
CLIP_METRICS = {"t2i": ("clip_score",), "edit-image": ("clip_t", "clip_i")}
EMBEDDINGS = "toy-clip-image"


class InstantEditor(InstantImageModel):
    """The instant model, taking the image to edit (and ignoring it)."""

    capabilities = Capabilities(inputs=frozenset({"image"}), outputs=frozenset({"image"}))


def _settings(task: str) -> RunSettings:
    return RunSettings(tasks=(task,), limit=SAMPLES, extractors="toy", bootstrap=20)


def _model(task: str, fail_after: int | None = None) -> InstantImageModel:
    return (InstantEditor if task == "edit-image" else InstantImageModel)(fail_after=fail_after)


def _scores(store: ResultsStore, run_id: str, task: str) -> dict[str, tuple[Any, Any, int]]:
    return {m.metric: (m.value, m.ci, m.n) for m in store.metric_values(run_id) if m.metric in CLIP_METRICS[task]}


def _chunks(store: ResultsStore) -> list[tuple[Any, ...]]:
    """(side, chunk, path) of every stored CLIP embedding chunk"""
    return [(row[3], row[4], row[8]) for row in store.table_rows("feature_chunks") if row[2] == EMBEDDINGS]


def test_which_tasks_stream_which_sides() -> None:
    assert embedded_sides(get_task("t2i").scoring()) == ("generated",)
    assert embedded_sides(get_task("edit-image").scoring()) == ("generated", "reference")
    assert embedded_sides(get_task("t2v").scoring()) == ("generated",)  # CLIPSIM's frames (test_clip_frame_stream.py)
    assert embedded_sides(get_task("t2a").scoring()) == ()


@pytest.mark.parametrize("task_name", sorted(CLIP_METRICS))
def test_streamed_embeddings_score_bit_identically_to_embedding_at_the_end(
        tmp_path: Path, small_chunks: None, embedded: Counter[str], task_name: str) -> None:
    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(_model(task_name), store, _settings(task_name))
    run_id = runner.run().run_id
    streamed = _scores(store, run_id, task_name)
    assert set(streamed) == set(CLIP_METRICS[task_name]) and all(v is not None for v, _, _ in streamed.values())
    sides = len(embedded_sides(get_task(task_name).scoring()))
    assert [(side, index) for side, index, _ in _chunks(store)] == [
        (side, index) for side in ("generated", "reference")[:sides] for index in range(4)]
    assert embedded["images"] == sides * SAMPLES, "each image of each side embedded once"
    assert embedded["calls"] == sides * 4, "one call per chunk"

    task = get_task(task_name)
    dataset = runner.load_dataset(task)
    embedded.clear()
    at_the_end = score_task(ScoringContext(task.scoring(), dataset, store.recorded(run_id, task_name), store,
                                           "toy", 20, 0))  # no run id: every image embedded again
    # ... by each metric: clip_t and clip_i embed the outputs each (the stored chunks serve both)
    assert embedded["images"] == SAMPLES * sum(2 if m == "clip_i" else 1 for m in CLIP_METRICS[task_name])
    assert {m.metric: (m.value, m.ci, m.n) for m in at_the_end.metrics if m.metric in streamed} == streamed
    per_sample = store.sample_scores(run_id, task_name)
    for metric in streamed:
        assert per_sample[metric] == at_the_end.per_sample[metric], metric


@pytest.mark.parametrize("task_name", sorted(CLIP_METRICS))
def test_a_killed_run_resumes_embedding_each_image_once(tmp_path: Path, small_chunks: None, embedded: Counter[str],
                                                        task_name: str) -> None:
    sides = len(embedded_sides(get_task(task_name).scoring()))
    with pytest.raises(RuntimeError, match="stopped after 10"):
        BenchmarkRunner(_model(task_name, fail_after=10), ResultsStore(tmp_path), _settings(task_name)).run()
    # samples 1-10 recorded: chunks 0 and 1 (samples 1-8) were embedded while recording, nothing else
    assert embedded["images"] == sides * 8
    store = ResultsStore(tmp_path)
    assert sorted({index for _, index, _ in _chunks(store)}) == [0, 1]

    resumed_model = _model(task_name)
    summary = BenchmarkRunner(resumed_model, store, _settings(task_name)).run()
    assert summary.resumed and resumed_model.calls == SAMPLES - 10
    assert embedded["images"] == sides * SAMPLES, "every image embedded exactly once over both runs"

    fresh = ResultsStore(tmp_path / "fresh")  # the same task in one go gives the same numbers
    whole = BenchmarkRunner(_model(task_name), fresh, _settings(task_name)).run().run_id
    assert _scores(fresh, whole, task_name) == _scores(store, summary.run_id, task_name)


class ReferenceAsOutput(ScoringContext):
    """A probe's kind of context: it serves other media than the stored outputs (here each sample's target)."""

    def media(self, sample: Sample, modality: str) -> Any:
        return read_target(sample, modality)  # type: ignore[arg-type]


def test_a_context_serving_other_media_never_reads_the_stored_embeddings(
        tmp_path: Path, small_chunks: None, embedded: Counter[str]) -> None:
    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantEditor(), store, _settings("edit-image"))
    run_id = runner.run().run_id
    kept = _chunks(store)
    task = get_task("edit-image")
    dataset, outputs = runner.load_dataset(task), store.recorded(run_id, "edit-image")
    embedded.clear()
    probed = score_task(ReferenceAsOutput(task.scoring(), dataset, outputs, store, "toy", 0, 0, run_id))
    # the served outputs are embedded, all of them, by clip_t and by clip_i (none is kept to share); the targets'
    # stored chunks are still the targets' and are read; nothing stored changes
    assert embedded["images"] == 2 * SAMPLES and _chunks(store) == kept
    values = {m.metric: m.value for m in probed.metrics}
    assert values["clip_i"] == pytest.approx(1.0), "outputs served as the targets are the targets"
    without_run = score_task(ReferenceAsOutput(task.scoring(), dataset, outputs, store, "toy", 0, 0))
    assert {m.metric: m.value for m in without_run.metrics if m.metric in CLIP_METRICS["edit-image"]} == {
        m: values[m] for m in CLIP_METRICS["edit-image"]}
    assert _scores(store, run_id, "edit-image")["clip_i"][0] != values["clip_i"]


def test_a_stored_chunk_of_other_items_or_another_model_is_embedded_again(
        tmp_path: Path, small_chunks: None, embedded: Counter[str]) -> None:
    """A chunk whose items, weights or preprocessing differ is never used: scoring embeds that chunk again (and
    keeps the right rows in its place), with the same scores."""
    from benchmarks.store import FeatureChunk

    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantImageModel(), store, _settings("t2i"))
    run_id = runner.run().run_id
    before = _scores(store, run_id, "t2i")
    kept = {index: store.feature_chunk(run_id, "t2i", EMBEDDINGS, "generated", index) for index in (0, 1, 2)}
    assert all(chunk is not None for chunk in kept.values())
    first, second, third = kept[0], kept[1], kept[2]
    assert first is not None and second is not None and third is not None
    store.save_feature_chunk(run_id, "t2i", "generated", 0, FeatureChunk(
        EMBEDDINGS, first.weights_sha256, first.input_size, ("someone:else",) * CHUNK, first.rows + 1))
    store.save_feature_chunk(run_id, "t2i", "generated", 1, FeatureChunk(
        EMBEDDINGS, "other weights", second.input_size, second.items, second.rows + 1))
    store.save_feature_chunk(run_id, "t2i", "generated", 2, FeatureChunk(
        EMBEDDINGS, third.weights_sha256, "another preprocessing", third.items, third.rows + 1))
    embedded.clear()
    runner.score(run_id, get_task("t2i"), runner.load_dataset(get_task("t2i")))
    # chunks 0-2 again; the partial chunk 3, kept by the run's own scoring, matches and is read
    assert embedded["images"] == 3 * CHUNK and _scores(store, run_id, "t2i") == before
    for index, chunk in kept.items():
        again = store.feature_chunk(run_id, "t2i", EMBEDDINGS, "generated", index)
        assert again is not None and again.items == chunk.items and np.array_equal(again.rows, chunk.rows)


class FlakyServer(ScoringContext):
    """A miswired context: it serves an image for each sample when the scored samples are listed, none later."""

    listed = False

    def media(self, sample: Sample, modality: str) -> Any:
        return read_target(sample, modality) if not self.listed else None  # type: ignore[arg-type]


def test_a_served_image_that_disappears_is_an_error_naming_the_sample(tmp_path: Path) -> None:
    from benchmarks.scoring.clip_embedding_chunks import side_items
    from nextgpt.core.errors import TaskError

    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantImageModel(), store, _settings("t2i"))
    run_id = runner.run().run_id
    task = get_task("t2i")
    context = FlakyServer(task.scoring(), runner.load_dataset(task), store.recorded(run_id, "t2i"), store, "toy", 0,
                          0, run_id)
    first = context.samples()[0]
    (item,) = side_items(context, [first], "generated")
    context.listed = True
    with pytest.raises(TaskError, match=f"task t2i: sample {first.id}: FlakyServer serves no image output for it "
                                        "now, though it did when the scored samples were listed"):
        item.load()
