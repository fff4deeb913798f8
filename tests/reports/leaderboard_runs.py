"""Runs shaped like the default suite's, built as RunData (no model, no store): every shipped task with every
metric it declares, an interval on each value, and toy feature networks where a metric uses one (so the cells the
paper also reports are marked incomparable, as on a default run).  The leaderboard layout tests measure on them."""

from __future__ import annotations

import math

from benchmarks.scoring.per_attribute_accuracy import PER_ATTRIBUTE_METRICS
from benchmarks.store import StoredMetric
from benchmarks.tasks import Task, suite_tasks
from metrics.provenance import ConfidenceInterval, MetricResult, Provenance
from reports.rundata import RunData

#: metrics computed with a feature network (the toy ones on a default run without local weights)
FEATURE_METRICS = {"fid", "fad", "clip_score", "clip_t", "clip_i", "clipsim"}
#: a plausible magnitude per metric on the tiny model (FID in the hundreds, CLIP scores in tens, rates in [0, 1])
SCALE = {"fid": 312.0, "fad": 14.2, "clip_score": 21.7, "clip_t": 19.4, "clip_i": 71.3, "clipsim": 20.9,
         "mel_distance": 2.41}
SAMPLES = 16


def metric_value(task_index: int, metric: str, run_index: int) -> float:
    """A deterministic value of the metric's usual size (small rates carry several significant digits)."""
    wobble = 0.61 + 0.37 * math.sin(1.3 * task_index + 0.7 * len(metric) + 2.1 * run_index)
    return SCALE.get(metric, 0.1) * wobble


def stored_metric(task: str, metric: str, value: float) -> StoredMetric:
    toy = metric in FEATURE_METRICS
    provenance = Provenance(metric=metric, n_samples=SAMPLES, seed=0, extractor="toy" if toy else None,
                            extractor_canonical=False if toy else None)
    interval = ConfidenceInterval(value * 0.83, value * 1.19, 0.95, 1000, 0)
    return StoredMetric(task, MetricResult(metric, value, provenance, interval), SAMPLES)


def declared_before_verifiers(task: Task, metric: str) -> bool:
    """Whether ``task`` declared ``metric`` before the synthetic world's verifier metrics (issue 16): the golden
    boards were written by the leaderboard before its layout existed, on runs without them."""
    return metric not in {spec.name for spec in PER_ATTRIBUTE_METRICS} | {"edit_success"} and not (
        metric == "attribute_accuracy" and task.output != "text")


def default_suite_run(run_id: str = "20261201-210459-1a2b3c4d", checkpoint: str = "tiny-trained",
                      run_index: int = 0, *, before_verifiers: bool = False) -> RunData:
    """One run of all ten default tasks (the label the leaderboard gives it: ``tiny-trained (RUN_ID)``);
    ``before_verifiers``: only the metrics the tasks declared before the verifier metrics."""
    metrics: dict[tuple[str, str], StoredMetric] = {}
    tasks = suite_tasks("default")
    for task_index, task in enumerate(tasks):
        for metric in task.metrics:
            if before_verifiers and not declared_before_verifiers(task, metric):
                continue
            metrics[(task.name, metric)] = stored_metric(task.name, metric,
                                                         metric_value(task_index, metric, run_index))
    sample_ids = {task.name: frozenset(f"s{i}" for i in range(SAMPLES)) for task in tasks}
    info = {"model": {"checkpoint": checkpoint, "preset": "tiny"},
            "settings": {"tasks": [t.name for t in tasks], "extractors": "toy", "bootstrap": 1000, "data": {}}}
    return RunData(run_id=run_id, info=info, metrics=metrics, sample_scores={}, sample_ids=sample_ids,
                   stage_timings={}, source="synthetic")
