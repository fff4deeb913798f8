"""Score a task's stored outputs: every declared metric is computed as its registry entry says.

Per-sample metrics are averaged here (with a bootstrap interval) and keep their item scores; set scorers are
called once with all the declared metrics they compute.  Results come in registry order (the order reports and
the stored rows have always had: signal metrics first, then distances, then CLIP similarities).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from benchmarks.scoring.computation import PerSampleMetric, ScoredMetric, SetOutcome
from benchmarks.scoring.context import EXTRACTOR_SETS, ScoredTask, ScoringContext
from benchmarks.scoring.cycle_scoring import leg_context
from benchmarks.scoring.mean_metric import mean_result
from benchmarks.scoring.registry import metric_spec, registered_metrics
from benchmarks.store import FeatureRows, FeatureSide, ResultsStore
from nextgpt.core.errors import TaskError


@dataclass(frozen=True)
class TaskScores:
    """Everything scoring one task produced."""

    task: str
    metrics: tuple[ScoredMetric, ...]
    #: the feature rows set metrics were computed from (stored for paired comparisons)
    features: tuple[tuple[FeatureSide, FeatureRows], ...] = ()

    @property
    def per_sample(self) -> dict[str, Mapping[str, float | None]]:
        """metric -> item key -> score, for the metrics that have item scores (read-only views, not copies: a task
        of 30,000 samples has hundreds of thousands of them)"""
        return {m.metric: MappingProxyType(m.per_sample) for m in self.metrics if m.per_sample}


def score_task(context: ScoringContext) -> TaskScores:
    """Every metric the task declares, computed as the registry says; a set scorer that returns other metrics
    than those asked of it is a TaskError naming it (a declared metric must never go missing silently).  A cycle
    is scored leg by leg, each leg's metrics on its own stored turn (benchmarks/scoring/cycle_scoring.py)."""
    if not context.task.legs:
        return _score_declared(context)
    parts = [_score_declared(leg_context(context, leg)) for leg in context.task.legs if leg.metrics]
    order = [stored for spec in registered_metrics() for stored in spec.stored_names]
    metrics = sorted((m for part in parts for m in part.metrics), key=lambda m: order.index(m.metric))
    return TaskScores(context.task.name, tuple(metrics), tuple(f for part in parts for f in part.features))


def _score_declared(context: ScoringContext) -> TaskScores:
    declared = context.task.metrics
    scored: dict[str, ScoredMetric] = {}
    features: list[tuple[FeatureSide, FeatureRows]] = []
    set_scorers: dict[Callable[[ScoringContext, tuple[str, ...]], SetOutcome], list[str]] = {}
    for name in declared:
        compute = metric_spec(name).compute
        if isinstance(compute, PerSampleMetric):
            scored[name] = _mean_of_items(context, name, compute)
        else:
            set_scorers.setdefault(compute.scorer, []).append(name)
    context.forget_readings()  # the per-sample metrics that share them are done
    for scorer, names in set_scorers.items():
        outcome = scorer(context, tuple(names))
        if not isinstance(outcome, SetOutcome):
            raise TaskError(f"task {context.task.name}: the scorer {scorer.__module__}.{scorer.__qualname__} of "
                            f"{', '.join(names)} returned a {type(outcome).__name__}; expected a SetOutcome of "
                            "ScoredMetrics (benchmarks/scoring/computation.py)")
        expected = [stored for name in names for stored in metric_spec(name).stored_names]
        returned = [m.metric for m in outcome.metrics]
        if sorted(returned) != sorted(expected):
            raise TaskError(f"task {context.task.name}: the scorer {scorer.__module__}.{scorer.__qualname__} "
                            f"returned {', '.join(returned) or 'nothing'} for the declared {', '.join(names)}; "
                            f"expected exactly {', '.join(expected)}")
        scored.update((m.metric, m) for m in outcome.metrics)
        features += outcome.features
    order = [stored for spec in registered_metrics() for stored in spec.stored_names]
    return TaskScores(context.task.name, tuple(sorted(scored.values(), key=lambda m: order.index(m.metric))),
                      tuple(features))


def _mean_of_items(context: ScoringContext, name: str, compute: PerSampleMetric) -> ScoredMetric:
    per_item = {}
    for item in context.items():
        value = compute.function(item)
        if value is not None:
            per_item[item.key] = value
    result = mean_result(name, per_item, compute.definition, bootstrap=context.bootstrap, seed=context.seed,
                         when_empty=compute.when_none_scored)
    return ScoredMetric(result, len(per_item), per_item or None)


def save_task_scores(store: ResultsStore, run_id: str, scores: TaskScores) -> None:
    """Store a task's scores, item scores and feature rows (the one place scoring meets the store's API)."""
    store.save_scores(run_id, scores.task, [m.result for m in scores.metrics], scores.per_sample,
                      counts={m.metric: m.n for m in scores.metrics})
    for side, rows in scores.features:
        store.save_features(run_id, scores.task, side, rows)


__all__ = ["EXTRACTOR_SETS", "ScoredTask", "ScoringContext", "TaskScores", "save_task_scores", "score_task"]
