"""Set metrics keep the feature rows they were computed from (ResultsStore.save_features / features): compare and
gate pair two runs' FID/FAD on them without rebuilding a feature network (reports/set_pairing.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from perfect_runs import FAMILY, record_perfect_run

from benchmarks.datasets.registry import resolve_dataset
from benchmarks.datasets.samples import Dataset
from benchmarks.scoring import registry
from benchmarks.scoring.computation import SetMetric, SetOutcome
from benchmarks.scoring.context import ScoringContext
from benchmarks.scoring.metric_spec import MetricSpec, OutputKind
from benchmarks.scoring.registry import register_metric, registered_metrics
from benchmarks.scoring.scorers import ScoredTask, save_task_scores, score_task
from benchmarks.store import FeatureRows, Generation, ResultsStore
from metrics.provenance import MetricResult, Provenance
from nextgpt.core.errors import StoreError, TaskError


def _rows() -> FeatureRows:
    rows = np.arange(12, dtype=np.float64).reshape(6, 2)
    return FeatureRows("toy", None, ("a", "b", "c"), (1, 3, 2), rows)


def test_feature_rows_round_trip_and_split_by_sample(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    store.save_features("run-1", "t2v", "generated", _rows())
    back = store.features("run-1", "t2v", "toy", "generated")
    assert (back.extractor, back.weights_sha256, back.sample_ids, back.counts) == ("toy", None, ("a", "b", "c"),
                                                                                  (1, 3, 2))
    assert np.array_equal(back.rows, _rows().rows) and back.rows.dtype == np.float64
    assert {k: v.tolist() for k, v in back.by_sample().items()} == {
        "a": [[0, 1]], "b": [[2, 3], [4, 5], [6, 7]], "c": [[8, 9], [10, 11]]}
    assert (tmp_path / "features" / "run-1" / "t2v" / "toy-generated.npz").is_file()


def test_missing_or_changed_features_are_named_errors(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    store.save_features("run-1", "t2v", "generated", _rows())
    with pytest.raises(StoreError, match=r"run 'run-1' task 't2v' has no stored reference features of toy .*"
                                         r"\(stored: toy/generated;"):
        store.features("run-1", "t2v", "toy", "reference")
    path = tmp_path / "features" / "run-1" / "t2v" / "toy-generated.npz"
    path.write_bytes(path.read_bytes()[:-1] + b"x")
    with pytest.raises(StoreError, match="changed since it was written"):
        store.features("run-1", "t2v", "toy", "generated")
    with pytest.raises(StoreError, match=r"cannot name a feature file after task '\.\./t2v'"):
        store.save_features("run-1", "../t2v", "generated", _rows())
    with pytest.raises(StoreError, match="3 sample ids, 3 counts summing to 7 and 6 rows"):
        FeatureRows("toy", None, ("a", "b", "c"), (1, 3, 3), _rows().rows)


def test_stored_features_reproduce_the_stored_distance(tmp_path: Path) -> None:
    """What set_pairing relies on: the stored generated and reference rows give the stored FID exactly."""
    from metrics.frechet import GaussianStatistics, frechet_distance

    dataset = resolve_dataset(FAMILY["video"], None, limit=4)
    store = ResultsStore(tmp_path)
    task = ScoredTask("t2v-like", "video", ("fid", "clipsim"))
    outputs = record_perfect_run(store, task.name, "video", dataset)
    scores = score_task(ScoringContext(task, dataset, outputs, store, "toy", 0, 0))
    run_id = store.runs()[0]["run_id"]
    save_task_scores(store, run_id, scores)
    fid = next(m for m in store.metric_values(run_id) if m.metric == "fid")
    generated = store.features(run_id, task.name, "toy", "generated")
    reference = store.features(run_id, task.name, "toy", "reference")
    assert generated.sample_ids == reference.sample_ids == tuple(s.id for s in dataset.samples)
    assert sum(generated.counts) == fid.n  # FID over video frames: n counts the frames
    gen, ref = GaussianStatistics.from_features(generated.rows), GaussianStatistics.from_features(reference.rows)
    assert frechet_distance(gen.mu, gen.sigma, ref.mu, ref.sigma) == fid.value
    store.close()


def test_a_set_scorer_that_drops_a_declared_metric_is_an_error(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    registered_metrics()
    monkeypatch.setattr(registry, "_METRICS", dict(registry._METRICS))
    monkeypatch.setattr(registry, "_RESULT_NAMES", dict(registry._RESULT_NAMES))

    def forgetful(context: ScoringContext, names: tuple[str, ...]) -> SetOutcome:
        return SetOutcome(())

    register_metric(MetricSpec("forgotten", True, frozenset({"dialogue"}), "per-set", "none", "never computed",
                               SetMetric(forgetful)))
    dataset = resolve_dataset(FAMILY["dialogue"], None, limit=2)
    store = ResultsStore(tmp_path)
    task = ScoredTask("talk", "dialogue", ("modality_accuracy", "forgotten"))
    outputs = record_perfect_run(store, task.name, "dialogue", dataset)
    with pytest.raises(TaskError, match=r"task talk: the scorer .*forgetful returned nothing for the declared "
                                        r"forgotten; expected exactly forgotten"):
        score_task(ScoringContext(task, dataset, outputs, store, "toy", 0, 0))
    store.close()


def test_a_set_scorer_that_returns_bare_results_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A set scorer returns a SetOutcome of ScoredMetrics, as docs/extending.md section 1 says (it used to say
    MetricResults): a list of MetricResults is a TaskError naming the scorer, not an AttributeError."""
    registered_metrics()
    monkeypatch.setattr(registry, "_METRICS", dict(registry._METRICS))
    monkeypatch.setattr(registry, "_RESULT_NAMES", dict(registry._RESULT_NAMES))

    def bare(context: ScoringContext, names: tuple[str, ...]) -> SetOutcome:
        return [MetricResult("bare", 1.0, Provenance(metric="bare"))]  # type: ignore[return-value]

    register_metric(MetricSpec("bare", True, frozenset({"dialogue"}), "per-set", "none", "results, not an outcome",
                               SetMetric(bare)))
    dataset = resolve_dataset(FAMILY["dialogue"], None, limit=2)
    store = ResultsStore(tmp_path)
    task = ScoredTask("talk", "dialogue", ("bare",))
    outputs = record_perfect_run(store, task.name, "dialogue", dataset)
    with pytest.raises(TaskError, match=r"task talk: the scorer .*bare of bare returned a list; expected a "
                                        r"SetOutcome of ScoredMetrics"):
        score_task(ScoringContext(task, dataset, outputs, store, "toy", 0, 0))
    store.close()
    guide = (Path(__file__).parents[2] / "docs" / "extending.md").read_text(encoding="utf-8")
    section = guide.split("## 1.", 1)[1].split("## 2.", 1)[0]
    assert "returns a `SetOutcome` of `ScoredMetric`s" in section and "`MetricResult`s" not in section


def _record_run_without_media(store: ResultsStore, task: str, dataset: Dataset) -> dict[tuple[str, int], Generation]:
    """A run whose model answered every sample with text and no medium."""
    run_id, _ = store.start_or_resume("no-media", {"preset": "test"}, {"tasks": [task]})
    for sample in dataset.samples:
        store.record(run_id, Generation(f"{task}/{sample.id}", task, sample.id, 0, 0, "no picture, sorry", (), (),
                                        0.0))
    return store.recorded(run_id, task)


@pytest.mark.parametrize("output, metrics", [("image", ("fid", "kid", "clip_t", "clip_i")),
                                             ("video", ("fid", "kid", "clipsim")),
                                             ("audio", ("fad",))])
def test_a_task_without_generated_media_scores_unavailable_not_an_error(output: OutputKind, metrics: tuple[str, ...],
                                                                        tmp_path: Path) -> None:
    """Every set metric of a task whose model produced no medium is unavailable with a reason naming the task and
    the missing modality (CLIP used to fail the whole task with "no images"), and each result's provenance names
    its own metric as an available result's would (KID's used to claim to be FID)."""
    dataset = resolve_dataset(FAMILY[output], None, limit=3)
    store = ResultsStore(tmp_path)
    task = ScoredTask(f"{output}-mute", output, metrics)
    scores = score_task(ScoringContext(task, dataset, _record_run_without_media(store, task.name, dataset), store,
                                       "toy", 0, 0))
    library_metric = {"fid": "fid", "fad": "fad", "kid_mean": "kid", "kid_std": "kid", "clip_t": "clip_score",
                      "clipsim": "clipsim", "clip_i": "clip_i"}
    produced = {m.metric: m for m in scores.metrics}
    assert sorted(produced) == sorted(n for m in metrics for n in registry.metric_spec(m).stored_names)
    for name, scored in produced.items():
        result = scored.result
        assert not result.available and scored.value is None and scored.n == 0, name
        assert result.unavailable_reason is not None and result.unavailable_reason.startswith(
            f"task {output}-mute: the model produced no {output}"), name
        assert result.provenance.metric == library_metric[name], name
        assert result.qualified_name.startswith(f"{name}[toy"), name
    run_id = store.runs()[0]["run_id"]
    save_task_scores(store, run_id, scores)  # unavailable results are stored like any other
    assert {m.metric for m in store.metric_values(run_id)} == set(produced)
    store.close()


def test_one_sample_leaves_the_distances_unavailable_not_the_run_failed(tmp_path: Path) -> None:
    """``run --limit 1`` used to fail the whole suite on t2i with "need at least 2 samples for a covariance"; a
    distance between feature distributions of one row a side is unavailable, with the reason and the fix.  (A
    video or a clip gives several rows -- frames, VGGish examples -- so one sample can be enough there.)"""
    output: OutputKind = "image"
    metrics = ("fid", "kid")
    dataset = resolve_dataset(FAMILY[output], None, limit=1)
    store = ResultsStore(tmp_path)
    task = ScoredTask(f"{output}-single", output, metrics)
    record_perfect_run(store, task.name, output, dataset)
    scores = score_task(ScoringContext(task, dataset, store.recorded(store.runs()[0]["run_id"], task.name), store,
                                       "toy", 0, 0))
    produced = {m.metric: m for m in scores.metrics}
    assert sorted(produced) == sorted(n for m in metrics for n in registry.metric_spec(m).stored_names)
    for name, scored in produced.items():
        assert not scored.result.available and scored.n == 1, name
        assert "needs at least 2 (run more samples)" in str(scored.result.unavailable_reason), name
    store.close()
