"""The metric registry (benchmarks/scoring/registry.py) is the one declaration of a harness metric: registration
refuses what would fail silently later, names resolve as stored results carry them, every shipped task
validates, and every registered metric is really produced by scoring a task that declares it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from perfect_runs import FAMILY, record_perfect_run

from benchmarks.datasets.registry import resolve_dataset
from benchmarks.datasets.samples import Dataset
from benchmarks.scoring import registry
from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import OUTPUT_KINDS, MetricSpec, OutputKind
from benchmarks.scoring.per_attribute_accuracy import PER_ATTRIBUTE_METRICS
from benchmarks.scoring.registry import (
    declaration_problems,
    higher_is_better,
    metric_spec,
    metrics_for,
    register_metric,
    registered_metrics,
)
from benchmarks.scoring.scorers import ScoredTask, ScoringContext, score_task
from benchmarks.store import ResultsStore
from benchmarks.tasks import registered_tasks
from nextgpt.core.errors import TaskError


def _answer_length(item: ScoredItem) -> float:
    return float(len(item.generation.text))


def _spec(**changes: object) -> MetricSpec:
    spec = MetricSpec("answer_length", True, frozenset({"text"}), "per-sample", "per-sample",
                      "characters in the answer", PerSampleMetric(_answer_length, "len(answer)"))
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The builtin registry, copied: what a test registers is gone after it."""
    registered_metrics()  # load the builtins first
    monkeypatch.setattr(registry, "_METRICS", dict(registry._METRICS))
    monkeypatch.setattr(registry, "_RESULT_NAMES", dict(registry._RESULT_NAMES))


# ------------------------------------------------------------------------------------------ registration
def test_a_new_per_sample_metric_is_one_registration(scratch_registry: None) -> None:
    spec = register_metric(_spec())
    assert metric_spec("answer_length") is spec and spec in registered_metrics()
    assert spec in metrics_for("text") and spec not in metrics_for("image")
    assert higher_is_better("answer_length")


def test_an_undeclared_direction_is_refused() -> None:
    with pytest.raises(TypeError, match="higher_is_better"):
        MetricSpec("x", outputs=frozenset({"text"}), granularity="per-sample", pairing="per-sample",  # type: ignore[call-arg]
                   description="d", compute=PerSampleMetric(_answer_length, "d"))


@pytest.mark.parametrize("changes, message", [
    ({"higher_is_better": None}, "metric 'answer_length': field 'higher_is_better' is missing"),
    ({"higher_is_better": 1}, "higher_is_better must be True or False, got 1"),
    ({"description": ""}, "field 'description' is missing"),
    ({"outputs": frozenset()}, "field 'outputs' is missing"),
    ({"outputs": frozenset({"text", "speech"})}, "unknown output kind(s) speech; expected some of text, image"),
    ({"granularity": "per-batch"}, "granularity 'per-batch'; expected one of per-sample, per-set"),
    ({"pairing": "bootstrap"}, "pairing 'bootstrap'; expected one of per-sample, set-jackknife, none"),
    ({"name": "fid[toy]"}, "a metric name is a plain word"),
    ({"name": "fid"}, "metric 'fid': name(s) fid already registered"),
    ({"result_names": ("kid_mean",)}, "name(s) kid_mean already registered"),
    ({"name": "image/fid"}, "metric 'image/fid': field 'name' has the name 'image/fid'; a metric name is a plain "
                            "word"),
    ({"name": "answer length"}, "field 'name' has the name 'answer length'"),
    ({"result_names": ("length_mean", "length/std")}, "metric 'answer_length': field 'result_names' has the name "
                                                      "'length/std'"),
    ({"result_names": ("length_mean", "")}, "field 'result_names' has the name ''"),
    ({"pairing": "set-jackknife"}, "metric 'answer_length': field 'pairing' is 'set-jackknife', which only a per-set "
                                   "SetMetric may declare"),
    ({"pairing": "set-jackknife", "granularity": "per-set"}, "got granularity 'per-set' and compute "
                                                             "PerSampleMetric"),
    ({"granularity": "per-set"}, "metric 'answer_length': field 'pairing' is 'per-sample', but granularity is "
                                 "'per-set'"),
])
def test_registration_refuses(scratch_registry: None, changes: dict[str, object], message: str) -> None:
    with pytest.raises(TaskError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        register_metric(_spec(**changes))
    assert "answer_length" not in {spec.name for spec in registered_metrics()}


def test_a_set_scorer_may_pair_by_jackknife(scratch_registry: None) -> None:
    """The refusal above is of the pairing, not of the field: a per-set SetMetric may declare it (as FID does)."""
    spec = register_metric(_spec(name="answer_distance", granularity="per-set", pairing="set-jackknife",
                                 compute=metric_spec("fid").compute))
    assert metric_spec("answer_distance").pairing == "set-jackknife" and spec in registered_metrics()


def test_the_same_metric_twice_is_refused(scratch_registry: None) -> None:
    register_metric(_spec())
    with pytest.raises(TaskError, match="metric 'answer_length': name\\(s\\) answer_length already registered"):
        register_metric(_spec(description="another"))


# ------------------------------------------------------------------------------------------------ lookup
@pytest.mark.parametrize("name, registered, better", [
    ("fid", "fid", False), ("fid[toy]", "fid", False), ("fad[vggish]", "fad", False), ("kid_mean", "kid", False),
    ("kid_std[inception-2015-12-05]", "kid", False), ("mel_distance", "mel_distance", False),
    ("clip_t[toy-clip]", "clip_t", True), ("bleu4", "bleu4", True),
    ("text_turn_accuracy", "text_turn_accuracy", True),
])
def test_stored_names_resolve(name: str, registered: str, better: bool) -> None:
    assert metric_spec(name).name == registered
    assert higher_is_better(name) is better


def test_an_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(TaskError) as caught:
        metric_spec("psnr[toy]")
    assert "unknown metric 'psnr[toy]'; registered metrics: attribute_accuracy, audio_turn_accuracy, " \
           "background_accuracy, bleu1" in \
        str(caught.value)


def test_set_statistics_pair_by_jackknife_and_corpus_statistics_not_at_all() -> None:
    pairing = {spec.name: spec.pairing for spec in registered_metrics()}
    assert pairing["fid"] == pairing["fad"] == "set-jackknife"
    assert pairing["bleu4"] == pairing["meteor"] == pairing["kid"] == "none"
    assert all(spec.pairing == "per-sample" for spec in registered_metrics() if spec.granularity == "per-sample")


# ------------------------------------------------------------------------------------------------- tasks
def test_every_shipped_task_validates() -> None:
    tasks = registered_tasks()
    assert len([task for task in tasks if not task.legs]) == 10 and len([t for t in tasks if t.legs]) == 12
    for task in tasks:  # a cycle declares its metrics on the leg whose output they read
        for output, metrics in ([(leg.output, leg.metrics) for leg in task.legs] or [(task.output, task.metrics)]):
            assert declaration_problems(output, metrics) == [], task.name


def _declarations(output: OutputKind) -> list[tuple[str, ...]]:
    """Tasks that together declare every metric for ``output``, one member of an exclusive group each."""
    specs = metrics_for(output)
    grouped: dict[str, list[str]] = {}
    for spec in specs:
        if spec.exclusive_group:
            grouped.setdefault(spec.exclusive_group, []).append(spec.name)
    plain = tuple(spec.name for spec in specs if not spec.exclusive_group)
    rounds = max((len(names) for names in grouped.values()), default=1)
    return [plain + tuple(names[i] for names in grouped.values() if i < len(names)) for i in range(rounds)]


def _scorable_on(metric: str, dataset: Dataset) -> bool:
    """False for a per-attribute accuracy whose attribute the family's samples lack (pitch_accuracy of a text
    task run on image captions): declared and reported unavailable, with no item scores."""
    attribute = metric.removesuffix("_accuracy")
    return metric not in {s.name for s in PER_ATTRIBUTE_METRICS} or attribute in dataset.samples[0].metadata


@pytest.mark.parametrize("output", OUTPUT_KINDS)
def test_every_registered_metric_is_produced_by_a_task_declaring_it(output: OutputKind, tmp_path: Path) -> None:
    """Scored with the toy networks on a perfect run of the synthetic world: each declared metric comes back
    (under its stored names), a per-sample one with its item scores, and the registry's order is kept."""
    dataset = resolve_dataset(FAMILY[output], None, limit=4)
    store = ResultsStore(tmp_path)
    for index, metrics in enumerate(_declarations(output)):
        task = ScoredTask(f"{output}-{index}", output, metrics)
        outputs = record_perfect_run(store, task.name, output, dataset)
        scores = score_task(ScoringContext(task, dataset, outputs, store, "toy", 0, 0))
        produced = {m.metric: m for m in scores.metrics}
        expected = [name for metric in metrics for name in metric_spec(metric).stored_names]
        assert sorted(produced) == sorted(expected), (task, sorted(produced))
        for metric in metrics:
            spec = metric_spec(metric)
            for name in spec.stored_names:
                result = produced[name].result
                assert result.available or result.unavailable_reason, name
                if spec.granularity == "per-sample" and _scorable_on(metric, dataset):
                    assert produced[name].per_sample, name
        order = [name for spec in registered_metrics() for name in spec.stored_names]
        assert [m.metric for m in scores.metrics] == sorted(produced, key=order.index)
    store.close()


def test_perfect_outputs_score_perfectly_where_the_metric_says_so(tmp_path: Path) -> None:
    """Not only present: signal and turn metrics of a perfect run are 1, mel_distance and FAD of the targets
    against themselves are 0 (FAD up to float error)."""
    store = ResultsStore(tmp_path)
    outputs: tuple[OutputKind, ...] = ("audio", "dialogue")
    for output in outputs:
        dataset = resolve_dataset(FAMILY[output], None, limit=4)
        task = ScoredTask(f"{output}-perfect", output, _declarations(output)[0])
        outputs = record_perfect_run(store, task.name, output, dataset)
        scores = score_task(ScoringContext(task, dataset, outputs, store, "toy", 0, 0))
        values = {m.metric: m.value for m in scores.metrics}
        for name, value in values.items():
            if name in ("fad", "mel_distance"):
                assert value == pytest.approx(0.0, abs=1e-5), name
            elif name != "text_turn_accuracy" or value is not None:
                assert value == 1.0, name
    store.close()


def test_declaration_problems_name_the_metric_and_the_fix() -> None:
    assert declaration_problems("image", ("fid", "clip_score", "clip_t", "fid", "bleu4", "psnr")) == [
        "unknown metric(s) psnr; metrics for image output: signal_rate, signal_exact, fid, kid, clip_score, "
        "clip_t, clip_i, attribute_accuracy, colour_accuracy, shape_accuracy, size_accuracy, position_accuracy, "
        "background_accuracy, edit_success",
        "metric bleu4 does not apply to image output (it applies to text); metrics for image output: "
        "signal_rate, signal_exact, fid, kid, clip_score, clip_t, clip_i, attribute_accuracy, colour_accuracy, "
        "shape_accuracy, size_accuracy, position_accuracy, background_accuracy, edit_success",
        "metric(s) fid declared more than once",
        "declare only one of clip_score, clip_t (the clip-text group: clip_score, clip_t, clipsim are computed in "
        "the same slot)",
    ]
