"""Gate rules: what counts as a regression, per metric and per profiled stage.

A rules file is JSON::

    {"metrics": {"*": {"tolerance_rel": 0.05, "significance": true},
                 "clip_score": {"tolerance_abs": 0.5},
                 "t2i/fid": {"tolerance_rel": 0.02},
                 "signal_rate": {"ignore": true}},
     "stages":  {"*": {"seconds_rel": 1.0, "memory_rel": 0.10},
                 "t2i/decode.image": {"seconds_abs": 0.05}}}

Keys are ``TASK/NAME``, ``NAME`` or ``*``, looked up in that order.  Direction comes from the metric registry
(benchmarks/scoring/registry.py: lower is better for FID, FAD, KID, mel_distance); *worsening* is the change in
the bad direction.

Every key must name something the gate judges: a metric key a metric of the baseline run (a registered metric
that a registered task declares -- a typo would otherwise switch the rule off without a word), a stage key a
registered task and, when the baseline was profiled, one of its stages.  Anything else is refused (exit 2) with
the unknown names and the valid ones (``GateRules.check_names``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from benchmarks.scoring.registry import metric_spec, registered_metrics
from reports.errors import ReportInputError
from reports.json_input import read_json_file


@dataclass(frozen=True)
class MetricRule:
    """``tolerance_abs``/``tolerance_rel`` (of |baseline|): the largest worsening allowed (the larger of the
    two when both are given).  ``significance``: the worsening must also be significant by the paired
    bootstrap interval (the whole interval on the bad side of 0); a metric without a paired interval (FID, FAD,
    corpus BLEU) is then judged by its tolerance alone, and with no tolerance it fails as unjudgeable unless
    ``allow_unpaired``.  ``ignore``: not gated."""

    tolerance_abs: float | None = None
    tolerance_rel: float | None = None
    significance: bool = False
    allow_unpaired: bool = False
    ignore: bool = False

    def __post_init__(self) -> None:
        for name in ("tolerance_abs", "tolerance_rel"):
            _check_limit(name, getattr(self, name))
        for name in ("significance", "allow_unpaired", "ignore"):
            _check_flag(name, getattr(self, name))
        if not self.ignore and not self.significance and self.tolerance_abs is None and self.tolerance_rel is None:
            raise ValueError("give tolerance_abs, tolerance_rel, significance: true, or ignore: true")

    def allowed(self, baseline: float) -> float | None:
        limits = [x for x in (self.tolerance_abs, None if self.tolerance_rel is None else
                              self.tolerance_rel * abs(baseline)) if x is not None]
        return max(limits) if limits else None


@dataclass(frozen=True)
class StageRule:
    """Allowed growth of a stage's seconds per call and of its peak memory (absolute and/or relative)."""

    seconds_abs: float | None = None
    seconds_rel: float | None = None
    memory_abs_bytes: float | None = None
    memory_rel: float | None = None
    ignore: bool = False

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name == "ignore":
                _check_flag(item.name, self.ignore)
            else:
                _check_limit(item.name, getattr(self, item.name))


def _check_limit(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0
                              or value == float("inf")):
        raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")


def _check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, not {value!r}")


DEFAULT_METRIC_RULE = MetricRule(tolerance_rel=0.05, significance=True)
DEFAULT_STAGE_RULE = StageRule(seconds_rel=1.0, memory_rel=0.10)


@dataclass(frozen=True)
class GateRules:
    metrics: dict[str, MetricRule]
    stages: dict[str, StageRule]
    #: where the rules come from (the rules file), for messages
    source: str = field(default="default rules", compare=False)

    def check_names(self, gated_metrics: Iterable[tuple[str, str]], profiled_stages: Iterable[tuple[str, str]],
                    declared: Mapping[str, tuple[str, ...]]) -> None:
        """ReportInputError unless every key names something the gate judges.  ``gated_metrics``: the
        baseline's (task, metric) pairs; ``profiled_stages``: its (task, stage) pairs (none: not profiled);
        ``declared``: task -> metrics of the task registry (to tell a typo from a metric the run lacks)."""
        gated, stages = set(gated_metrics), set(profiled_stages)
        problems = [*(p for key in self.metrics if (p := _metric_key_problem(key, gated, declared))),
                    *(p for key in self.stages if (p := _stage_key_problem(key, stages, declared)))]
        if problems:
            raise ReportInputError(
                f"rules file {self.source} names what the gate would never judge (the rule would be silently "
                "off):\n  " + "\n  ".join(problems) + "\nvalid metric keys: " + _valid_metric_keys(gated)
                + ("\nvalid stage keys: " + _valid_stage_keys(stages) if stages else "")
                + "\nfix the name, or remove the rule")

    def metric_rule(self, task: str, metric: str) -> MetricRule:
        return _lookup(self.metrics, task, metric, DEFAULT_METRIC_RULE)

    def stage_rule(self, task: str, stage: str) -> StageRule:
        return _lookup(self.stages, task, stage, DEFAULT_STAGE_RULE)


def _metric_key_problem(key: str, gated: set[tuple[str, str]], declared: Mapping[str, tuple[str, ...]]
                        ) -> str | None:
    """Why the metrics key ``key`` (TASK/METRIC, METRIC or *) matches no gated metric; None if it matches.
    A metric the registry does not know is named with the registered ones."""
    if key == "*":
        return None
    task, slash, metric = key.rpartition("/")
    if slash:
        if (task, metric) in gated:
            return None
        if task not in declared and task not in {t for t, _ in gated}:
            return f"metrics.{key}: unknown task {task!r} (registered tasks: {', '.join(sorted(declared))})"
        if not _registered(metric):
            return f"metrics.{key}: {_unknown_metric(metric)}"
        if not _declares(declared.get(task, ()), metric):
            known = ", ".join(declared.get(task, ())) or "none registered"
            return f"metrics.{key}: task {task} has no metric {metric!r} (its metrics: {known})"
        return (f"metrics.{key}: task {task} declares {metric}, but the baseline run has no {task}/{metric} "
                "to gate")
    if any(m == metric for _, m in gated):
        return None
    if not _registered(metric):
        return f"metrics.{key}: {_unknown_metric(metric)}"
    if not any(_declares(metrics, metric) for metrics in declared.values()):
        return f"metrics.{key}: metric {metric!r} is registered, but no registered task declares it"
    return f"metrics.{key}: the baseline run has no {metric} in any task to gate"


def _stored_names() -> list[str]:
    """Every name a stored metric can have (``kid_mean``, not ``kid``), from the metric registry."""
    return sorted({name for spec in registered_metrics() for name in spec.stored_names})


def _registered(metric: str) -> bool:
    return metric in _stored_names()


def _unknown_metric(metric: str) -> str:
    """Why ``metric`` names no stored metric.  A registered metric stored under other names (``kid`` is stored as
    ``kid_mean`` and ``kid_std``) is refused with those names rather than guessed: a rule must say which one it
    gates.  Any other name is unknown, perhaps registered by an extension that is not installed."""
    from nextgpt.core.extensions import PLUGIN_GROUP

    spec = next((s for s in registered_metrics() if s.name == metric), None)
    if spec is not None:
        names = " / ".join(spec.stored_names)
        return (f"metric {metric!r} is stored as {', '.join(spec.stored_names)}, so a rule on {metric!r} would "
                f"gate nothing: use {names}")
    return (f"unknown metric {metric!r} (registered metrics: {', '.join(_stored_names())}; is the extension that "
            f"registers it installed? extensions are the {PLUGIN_GROUP} entry points)")


def _declares(task_metrics: tuple[str, ...], metric: str) -> bool:
    """Whether a task declaring ``task_metrics`` stores ``metric`` (a task declaring ``kid`` stores
    ``kid_mean``)."""
    return metric in task_metrics or metric_spec(metric).name in task_metrics


def _stage_key_problem(key: str, profiled: set[tuple[str, str]], declared: Mapping[str, tuple[str, ...]]
                       ) -> str | None:
    """Why the stages key ``key`` names an unknown task or stage; a run without stage timings is not judged
    here (the gate says that speed and memory were not gated)."""
    if key == "*":
        return None
    task, slash, stage = key.rpartition("/")
    if slash and task not in declared and task not in {t for t, _ in profiled}:
        return f"stages.{key}: unknown task {task!r} (registered tasks: {', '.join(sorted(declared))})"
    if not profiled:
        return None
    if slash and (task, stage) not in profiled:
        return f"stages.{key}: the baseline run has no stage {stage!r} for task {task}"
    if not slash and not any(s == stage for _, s in profiled):
        return f"stages.{key}: the baseline run has no stage {stage!r}"
    return None


def _valid_metric_keys(gated: set[tuple[str, str]]) -> str:
    pairs = sorted(gated)
    return ", ".join([*(f"{t}/{m}" for t, m in pairs), *sorted({m for _, m in pairs}), "*"])


def _valid_stage_keys(profiled: set[tuple[str, str]]) -> str:
    pairs = sorted(profiled)
    return ", ".join([*(f"{t}/{s}" for t, s in pairs), *sorted({s for _, s in pairs}), "*"])


def _lookup(table: dict[str, Any], task: str, name: str, default: Any) -> Any:
    for key in (f"{task}/{name}", name, "*"):
        if key in table:
            return table[key]
    return default


def default_rules() -> GateRules:
    return GateRules({}, {})


def load_rules(path: Path) -> GateRules:
    """Read and validate a rules file; every problem names the file and the key."""
    data = read_json_file(path, what="rules file", expected="a gate rules JSON file (see reports/gate_rules.py)")
    if not isinstance(data, dict):
        raise ReportInputError(f"rules file {path}: expected an object with \"metrics\" and/or \"stages\", got "
                               f"{type(data).__name__}")
    unknown = sorted(set(data) - {"metrics", "stages"})
    if unknown:
        raise ReportInputError(f"rules file {path}: unknown section(s) {', '.join(unknown)}; expected \"metrics\" "
                               "and/or \"stages\"")
    return GateRules(_parse(path, data.get("metrics", {}), "metrics", MetricRule),
                     _parse(path, data.get("stages", {}), "stages", StageRule), source=str(path))


def _parse(path: Path, section: Any, name: str, kind: type) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise ReportInputError(f"rules file {path}: \"{name}\" must be an object of KEY -> rule")
    known = {f.name for f in fields(kind)}
    out = {}
    for key, rule in section.items():
        if not isinstance(rule, dict):
            raise ReportInputError(f"rules file {path}: {name}.{key} must be an object")
        unknown = sorted(set(rule) - known)
        if unknown:
            raise ReportInputError(f"rules file {path}: {name}.{key} has unknown field(s) {', '.join(unknown)}; "
                                   f"known: {', '.join(sorted(known))}")
        try:
            out[key] = kind(**rule)
        except (TypeError, ValueError) as error:
            raise ReportInputError(f"rules file {path}: {name}.{key}: {error}") from error
    return out
