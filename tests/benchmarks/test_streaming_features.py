"""Streaming feature extraction (benchmarks/scoring/streaming_features.py): the FID/KID features of an image task
are extracted chunk by chunk while the run records its outputs, kept in the store, and read back by scoring.  The
scores must be bit-identical to one end-of-run pass over all the media, and a killed run that resumes must extract
each sample's features exactly once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
import torch
from store_fixtures import StoreSpot
from streaming_fixtures import CHUNK

from benchmarks.instant_model import InstantImageModel
from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.scoring.image_feature_chunks import images_tensor, uniform_size
from benchmarks.scoring.media_inputs import read_scored_media
from benchmarks.scoring.scorers import ScoringContext, score_task
from benchmarks.store import FeatureChunk, ResultsStore
from benchmarks.tasks import get_task
from metrics.extractors.base import FeatureExtractor

#: with chunks of CHUNK (4) items, 14 samples make 3 full chunks and a partial one
SAMPLES = 14
#: t2i's metric whose set scorer reads the image feature chunks (KID shares them), and one that does not
METRICS = ("fid", "clip_score")


def _settings() -> RunSettings:
    return RunSettings(tasks=("t2i",), limit=SAMPLES, extractors="toy", bootstrap=20)


def _scores(store: ResultsStore, run_id: str) -> dict[str, tuple[Any, Any, int]]:
    return {m.metric: (m.value, m.ci, m.n) for m in store.metric_values(run_id) if m.metric in METRICS}


def test_streamed_features_score_bit_identically_to_one_end_of_run_pass(
        store_spot: StoreSpot, small_chunks: None, extracted: Counter[str]) -> None:
    store = store_spot.open()
    runner = BenchmarkRunner(InstantImageModel(), store, _settings())
    run_id = runner.run().run_id
    streamed = _scores(store, run_id)
    assert set(streamed) == set(METRICS) and all(value is not None for value, _, _ in streamed.values())
    chunks = store_spot.query("SELECT side, chunk FROM feature_chunks WHERE extractor='toy' ORDER BY side, chunk")
    assert chunks == [(side, index) for side in ("generated", "reference") for index in range(4)]
    assert extracted["toy"] == 2 * SAMPLES, "each image of each side extracted once"

    task = get_task("t2i")
    dataset = runner.load_dataset(task)
    outputs = store.recorded(run_id, "t2i")
    at_the_end = score_task(ScoringContext(task.scoring(), dataset, outputs, store, "toy", 20, 0))
    for metric in at_the_end.metrics:
        if metric.metric in METRICS:
            assert streamed[metric.metric] == (metric.value, metric.ci, metric.n), metric.metric

    # the rows behind them are those of today's single pass over each whole side
    network = runner_network()
    generated = [read_scored_media(store.media_path(outputs[(s.id, 0)].media[0]), "image") for s in dataset.samples]
    targets = [read_scored_media(s.targets[0].path, "image") for s in dataset.samples]
    for side, images in (("generated", generated), ("reference", targets)):
        one_pass = network.extract(images_tensor(uniform_size(images))).numpy()
        assert np.array_equal(store.features(run_id, "t2i", "toy", side).rows, one_pass), side


def runner_network() -> FeatureExtractor:
    from metrics.extractors.registry import build_extractor

    network = build_extractor("toy")
    assert isinstance(network, FeatureExtractor)
    return network


def test_a_killed_run_resumes_extracting_each_sample_once(
        store_spot: StoreSpot, small_chunks: None, extracted: Counter[str]) -> None:
    stopped = InstantImageModel(fail_after=10)
    with pytest.raises(RuntimeError, match="stopped after 10"):
        BenchmarkRunner(stopped, store_spot.open(), _settings()).run()
    # samples 1-10 recorded: chunks 0 and 1 (samples 1-8) were extracted while recording, nothing else
    assert extracted["toy"] == 2 * 8
    kept = store_spot.query("SELECT DISTINCT chunk FROM feature_chunks WHERE extractor='toy' ORDER BY chunk")
    assert kept == [(0,), (1,)]

    store = store_spot.open()
    resumed_model = InstantImageModel()
    summary = BenchmarkRunner(resumed_model, store, _settings()).run()
    assert summary.resumed and resumed_model.calls == SAMPLES - 10
    assert extracted["toy"] == 2 * SAMPLES, "every sample's features extracted exactly once over both runs"
    assert store.run(summary.run_id)["status"] == "complete"

    fresh = ResultsStore(store_spot.location + "-fresh") if store_spot.engine == "sqlite" else None
    if fresh is not None:  # the same task in one go gives the same numbers
        whole = BenchmarkRunner(InstantImageModel(), fresh, _settings()).run().run_id
        assert _scores(fresh, whole) == _scores(store, summary.run_id)


def test_a_stored_chunk_of_other_items_is_extracted_again(tmp_path: Any, small_chunks: None,
                                                         extracted: Counter[str]) -> None:
    """A chunk row whose items (or network, or size) differ is never used: scoring extracts that chunk again."""
    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantImageModel(), store, _settings())
    run_id = runner.run().run_id
    before = _scores(store, run_id)
    kept = store.feature_chunk(run_id, "t2i", "toy", "generated", 1)
    assert kept is not None and kept.matches("toy", kept.weights_sha256, kept.input_size, kept.items)
    wrong = FeatureChunk("toy", kept.weights_sha256, kept.input_size, ("someone:else",) * CHUNK, kept.rows + 1.0)
    store.save_feature_chunk(run_id, "t2i", "generated", 1, wrong)
    extracted.clear()
    runner.score(run_id, get_task("t2i"), runner.load_dataset(get_task("t2i")))
    assert extracted["toy"] == CHUNK and _scores(store, run_id) == before
    again = store.feature_chunk(run_id, "t2i", "toy", "generated", 1)
    assert again is not None and again.items == kept.items and np.array_equal(again.rows, kept.rows)


def test_store_migrate_copies_the_chunks_and_their_files(tmp_path: Any, postgres_server: Any, small_chunks: None,
                                                         extracted: Counter[str]) -> None:
    from benchmarks.store.copy import copy_store

    source = ResultsStore(tmp_path / "source")
    run_id = BenchmarkRunner(InstantImageModel(), source, _settings()).run().run_id
    target = ResultsStore(postgres_server.database(), media=tmp_path / "media")
    copy_store(source, target)
    assert target.table_rows("feature_chunks") == source.table_rows("feature_chunks") != []
    copied = target.feature_chunk(run_id, "t2i", "toy", "reference", 2)
    kept = source.feature_chunk(run_id, "t2i", "toy", "reference", 2)
    assert copied is not None and kept is not None and np.array_equal(copied.rows, kept.rows)


def test_clip_score_fed_in_slices_equals_one_update_of_all(tmp_path: Any, small_chunks: None) -> None:
    """Scoring feeds CLIP score a slice of images at a time (bounded memory); value, interval and per-sample
    scores are those of the one update with every image that scoring made before."""
    from metrics.clip_metrics import CLIPScore
    from metrics.extractors.registry import build_text_image_model

    store = ResultsStore(tmp_path)
    runner = BenchmarkRunner(InstantImageModel(), store, _settings())
    run_id = runner.run().run_id
    dataset = runner.load_dataset(get_task("t2i"))
    outputs = store.recorded(run_id, "t2i")
    images = [read_scored_media(store.media_path(outputs[(s.id, 0)].media[0]), "image") for s in dataset.samples]
    whole = CLIPScore(model=build_text_image_model("toy-clip"), keep_per_sample=True, sync_on_compute=False)
    whole.update(images, [s.captions[0] for s in dataset.samples])
    once = whole.compute(bootstrap=20, seed=0)
    stored = next(m for m in store.metric_values(run_id) if m.metric == "clip_score")
    assert (stored.value, stored.ci) == (once.value, (once.ci.low, once.ci.high))
    per = store.sample_scores(run_id, "t2i")["clip_score"]
    assert [per[s.id] for s in dataset.samples] == torch.cat(whole.per_sample).tolist()
