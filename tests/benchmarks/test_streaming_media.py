"""Video FID (over frames) and FAD (over VGGish examples), extracted item-chunk by item-chunk
(benchmarks/scoring/image_feature_chunks.py): while a t2v or t2a run records, the complete chunks of its recorded
prefix are extracted and kept with their rows per item; scoring reads them, a resumed run extracts only the
missing chunks, and a context serving other media (a sensitivity probe) never uses them.

The generated videos and clips have different lengths (1-3 frames, 1-3 s), so a chunk's rows are fed to the
network in other batches than one pass over the whole side would feed them: the scores may differ from that pass
by float rounding only (measured below), and streamed and end-of-run scores are bit-identical to each other."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from instant_media import InstantMediaModel
from store_fixtures import StoreSpot
from streaming_fixtures import CHUNK

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.scoring.image_feature_chunks import images_tensor, uniform_size
from benchmarks.scoring.media_inputs import read_scored_media, read_target
from benchmarks.scoring.scorers import ScoringContext, score_task
from benchmarks.store import FeatureChunk, FeatureSide, ResultsStore
from benchmarks.tasks import get_task
from metrics.extractors.base import FeatureExtractor
from nextgpt.core.errors import StoreError
from nextgpt.core.modalities import Modality

#: with chunks of CHUNK (4) items, 10 samples make 2 full chunks and a partial one
SAMPLES = 10
#: task -> (produced modality, its set metric, the network that metric extracts with in the "toy" set)
TASKS: dict[str, tuple[Modality, str, str]] = {"t2v": ("video", "fid", "toy"), "t2a": ("audio", "fad", "toy-audio")}
#: The networks compute in float32, so a row fed in another batch may differ in its last float32 bits.  Measured
#: on an x86 CPU (10 samples, chunks of 4): rows of the generated side (unequal lengths, so other batches) differ by
#: at most 1.8e-7 (t2v, |rows| <= 1.0) and 1.8e-6 (t2a, |rows| <= 2.9), i.e. up to ~6 float32 ulps of the largest
#: row value; the reference side (equal lengths: the same batches) is bit-identical.  The scores moved by 5.2e-10
#: (FID, relative) and 2.4e-8 (FAD).  Bounds: rows within 16 float32 ulps of the side's largest value, and scores
#: within 1e-6 relative (40x the measured FAD change, still ~1000x below any difference a comparison reports).
ROW_ULPS = 16
SCORE_TOLERANCE = 1e-6


def _settings(task: str) -> RunSettings:
    return RunSettings(tasks=(task,), limit=SAMPLES, extractors="toy", bootstrap=20)


def _score(store: ResultsStore, run_id: str, metric: str) -> tuple[Any, Any, int]:
    stored = next(m for m in store.metric_values(run_id) if m.metric == metric)
    return stored.value, stored.ci, stored.n


def _network(name: str) -> FeatureExtractor:
    from metrics.extractors.registry import build_extractor

    network = build_extractor(name)
    assert isinstance(network, FeatureExtractor)
    return network


def _whole_side(network: FeatureExtractor, media: list[np.ndarray], modality: Modality
                ) -> tuple[np.ndarray, tuple[int, ...]]:
    """The pass scoring made before items were chunked: every item of a side in memory, extracted at once."""
    if modality == "audio":
        from metrics.extractors.vggish import waveform_to_examples

        parts = [waveform_to_examples(torch.from_numpy(w.astype(np.float64)), 16000) for w in media]
        return network.extract(torch.cat(parts)).numpy(), tuple(len(p) for p in parts)
    frames = [frame for video in media for frame in video]
    return network.extract(images_tensor(uniform_size(frames))).numpy(), tuple(len(v) for v in media)


@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_streamed_features_score_bit_identically_to_scoring_at_the_end(
        tmp_path: Path, small_chunks: None, extracted: Counter[str], task_name: str) -> None:
    modality, metric, network = TASKS[task_name]
    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantMediaModel(modality), store, _settings(task_name))
    run_id = runner.run().run_id
    streamed = _score(store, run_id, metric)
    assert streamed[0] is not None
    generated = store.features(run_id, task_name, network, "generated")
    reference = store.features(run_id, task_name, network, "reference")
    assert sum(generated.counts) > SAMPLES and len(set(generated.counts)) > 1, "items of several rows, unequal"
    assert extracted[network] == sum(generated.counts) + sum(reference.counts), "each row extracted once"
    chunks = {(side, index): store.feature_chunk(run_id, task_name, network, side, index)
              for side in ("generated", "reference") for index in range(3)}
    assert all(chunk is not None for chunk in chunks.values())
    assert chunks[("generated", 1)].counts == generated.counts[CHUNK:2 * CHUNK]  # type: ignore[union-attr]

    task = get_task(task_name)
    dataset = runner.load_dataset(task)
    at_the_end = score_task(ScoringContext(task.scoring(), dataset, store.recorded(run_id, task_name), store,
                                           "toy", 20, 0))
    end = next(m for m in at_the_end.metrics if m.metric == metric)
    assert streamed == (end.value, end.ci, end.n)


@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_a_stream_with_samples_without_a_medium_and_a_first_item_of_another_size_scores_as_at_the_end(
        tmp_path: Path, small_chunks: None, extracted: Counter[str], task_name: str) -> None:
    """Samples 2 and 6 get no medium (left out of both sides, so the chunks' items are not the samples'); the first
    video is 32x32, the others 24x24 (every frame of the side is brought to the first's size, in every chunk)."""
    modality, metric, network = TASKS[task_name]
    store = ResultsStore(tmp_path)
    model = InstantMediaModel(modality, no_medium=frozenset({2, 6}), first_size=32)
    runner = BenchmarkRunner(model, store, _settings(task_name))
    run_id = runner.run().run_id
    streamed = _score(store, run_id, metric)
    assert streamed[0] is not None
    sides = {side: store.features(run_id, task_name, network, side) for side in ("generated", "reference")}
    assert len(sides["generated"].counts) == len(sides["reference"].counts) == SAMPLES - 2
    assert extracted[network] == sum(sum(f.counts) for f in sides.values()), "each row extracted once"
    for side in sides:  # 8 items: both chunks were complete while recording, and streamed
        chunks = [store.feature_chunk(run_id, task_name, network, side, index) for index in (0, 1)]
        assert all(chunk is not None and len(chunk.items) == CHUNK for chunk in chunks), side
        assert len({chunk.input_size for chunk in chunks if chunk is not None}) == 1, "the side's first item's"
        if modality == "video" and side == "generated":
            assert chunks[1] is not None and chunks[1].input_size == "32x32"

    task = get_task(task_name)
    at_the_end = score_task(ScoringContext(task.scoring(), runner.load_dataset(task),
                                           store.recorded(run_id, task_name), store, "toy", 20, 0))
    end = next(m for m in at_the_end.metrics if m.metric == metric)
    assert streamed == (end.value, end.ci, end.n)


@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_chunked_extraction_differs_from_the_whole_side_pass_by_rounding_only(
        tmp_path: Path, small_chunks: None, task_name: str) -> None:
    from metrics.frechet_metrics import frechet_from_features

    modality, metric, network_name = TASKS[task_name]
    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantMediaModel(modality), store, _settings(task_name))
    run_id = runner.run().run_id
    outputs = store.recorded(run_id, task_name)
    samples = runner.load_dataset(get_task(task_name)).samples
    network = _network(network_name)
    generated = [read_scored_media(store.media_path(outputs[(s.id, 0)].media[0]), modality) for s in samples]
    sides = {"generated": _whole_side(network, generated, modality),
             "reference": _whole_side(network, [read_target(s, modality) for s in samples], modality)}
    for side, (rows, counts) in sides.items():
        chunked = store.features(run_id, task_name, network_name, side)
        assert chunked.counts == counts and chunked.rows.shape == rows.shape, side
        bound = ROW_ULPS * np.finfo(np.float32).eps * np.abs(rows).max()
        assert np.abs(chunked.rows - rows).max() <= bound, side
        if len(set(counts)) == 1:  # every chunk is a whole number of the pass's batches: the same batches
            assert np.array_equal(chunked.rows, rows), side
    clusters = {side: np.repeat(np.arange(len(counts)), counts) for side, (_, counts) in sides.items()}
    whole = frechet_from_features(sides["generated"][0], sides["reference"][0], metric=metric, interval=True,
                                  generated_clusters=clusters["generated"],
                                  reference_clusters=clusters["reference"], seed=0)
    value = _score(store, run_id, metric)[0]
    assert whole.value is not None and value is not None
    assert abs(value - whole.value) <= SCORE_TOLERANCE * abs(whole.value), (value, whole.value)


@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_a_killed_run_resumes_extracting_only_the_missing_chunks(
        store_spot: StoreSpot, small_chunks: None, extracted: Counter[str], task_name: str) -> None:
    modality, metric, network = TASKS[task_name]
    with pytest.raises(RuntimeError, match="stopped after 6"):
        BenchmarkRunner(InstantMediaModel(modality, fail_after=6), store_spot.open(), _settings(task_name)).run()
    # samples 1-6 recorded: chunk 0 (samples 1-4) was extracted while recording, nothing else
    assert store_spot.query(f"SELECT DISTINCT chunk FROM feature_chunks WHERE extractor='{network}'") == [(0,)]
    first_chunk = extracted[network]

    store = store_spot.open()
    resumed_model = InstantMediaModel(modality)
    summary = BenchmarkRunner(resumed_model, store, _settings(task_name)).run()
    assert summary.resumed and resumed_model.calls == SAMPLES - 6
    sides = [store.features(summary.run_id, task_name, network, side) for side in ("generated", "reference")]
    assert first_chunk == sum(sum(side.counts[:CHUNK]) for side in sides)
    assert extracted[network] == sum(sum(side.counts) for side in sides), "every row extracted exactly once"
    assert _score(store, summary.run_id, metric)[0] is not None


class _ServingTargets(ScoringContext):
    """A sensitivity probe's context: the targets served as the outputs (``media`` overridden)."""

    def media(self, sample: Any, modality: Modality) -> np.ndarray | None:
        return self.target(sample, modality)


class _ServingOutputsAsTargets(ScoringContext):
    """A context serving the stored outputs as the targets (``target`` overridden)."""

    def target(self, sample: Any, modality: Modality) -> np.ndarray:
        medium = self.media(sample, modality)
        assert medium is not None
        return medium


@pytest.mark.parametrize("task_name", sorted(TASKS))
@pytest.mark.parametrize(("probe", "served"), [(_ServingTargets, "generated"),
                                               (_ServingOutputsAsTargets, "reference")])
def test_a_probe_context_never_uses_the_stored_chunks_of_the_side_it_serves(
        tmp_path: Path, small_chunks: None, extracted: Counter[str], task_name: str, probe: type[ScoringContext],
        served: FeatureSide) -> None:
    modality, metric, network = TASKS[task_name]
    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantMediaModel(modality), store, _settings(task_name))
    run_id = runner.run().run_id
    kept = store.feature_chunk(run_id, task_name, network, served, 0)
    task = get_task(task_name)
    context = probe(task.scoring(), runner.load_dataset(task), store.recorded(run_id, task_name), store, "toy", 0, 0,
                    run_id)
    assert not context.serves_stored(served) and all(
        context.serves_stored(side) for side in ("generated", "reference") if side != served)
    extracted.clear()
    scored = next(m for m in score_task(context).metrics if m.metric == metric)
    assert scored.value is not None and abs(scored.value) < 1e-6, "one side's media against themselves"
    assert _score(store, run_id, metric)[0] > 1e-3, "the stored outputs are not the targets"
    other: FeatureSide = "reference" if served == "generated" else "generated"  # served on both sides
    served_rows = sum(store.features(run_id, task_name, network, other).counts)
    assert extracted[network] == served_rows, "the served side extracted from what is served, the other read"
    again = store.feature_chunk(run_id, task_name, network, served, 0)
    assert kept is not None and again is not None and again.items == kept.items
    assert np.array_equal(again.rows, kept.rows), "the probe's rows were not kept as the run's"


def test_a_chunk_keeps_its_rows_per_item(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    chunk = FeatureChunk("toy", "w", "24x24", ("a:1", "b:2"), np.arange(10.0).reshape(5, 2), (2, 3))
    store.save_feature_chunk("run-1", "t2v", "generated", 0, chunk)
    read = store.feature_chunk("run-1", "t2v", "toy", "generated", 0)
    assert read is not None and read.counts == (2, 3) and np.array_equal(read.rows, chunk.rows)
    images = FeatureChunk("toy", "w", "24x24", ("a:1", "b:2"), np.ones((2, 2)))
    assert images.counts == (1, 1), "no counts: one row per item"
    with pytest.raises(StoreError, match="2 items with row counts \\[2, 2\\] and 5 rows"):
        FeatureChunk("toy", "w", "24x24", ("a:1", "b:2"), np.ones((5, 2)), (2, 2))


def test_a_schema_5_store_is_migrated_and_its_image_chunks_read_one_row_per_item(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    store.save_feature_chunk("run-1", "t2i", "generated", 0,
                             FeatureChunk("toy", "w", "24x24", ("a:1", "b:2", "c:3"), np.ones((3, 2))))
    store.close()
    store_spot.execute("ALTER TABLE feature_chunks DROP COLUMN item_rows",
                       "UPDATE meta SET value='5' WHERE key='schema_version'")
    migrated = store_spot.open()
    assert store_spot.query("SELECT value FROM meta WHERE key='schema_version'") == [("6",)]
    read = migrated.feature_chunk("run-1", "t2i", "toy", "generated", 0)
    assert read is not None and read.counts == (1, 1, 1)
