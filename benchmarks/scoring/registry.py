"""The one registry of harness metrics: which way is better, which task outputs each applies to, how two runs
are paired on it and how it is computed.  Tasks (validated against it when declared), scorers (which dispatch on
it), reports and leaderboards all read it, so a new metric is declared once: a file in benchmarks/scoring/ with
its :class:`MetricSpec`, and a line in benchmarks/scoring/builtin_metrics.py.

The builtin metrics are registered when the registry is first read.
"""

from __future__ import annotations

import dataclasses
import re

from benchmarks.scoring.computation import PerSampleMetric, SetMetric
from benchmarks.scoring.metric_spec import GRANULARITIES, OUTPUT_KINDS, PAIRINGS, MetricSpec
from nextgpt.core.errors import TaskError
from nextgpt.core.extensions import PLUGIN_GROUP

__all__ = ["MetricSpec", "declaration_problems", "higher_is_better", "metric_spec", "metrics_for",
           "register_metric", "registered_metrics"]

_METRICS: dict[str, MetricSpec] = {}
#: stored result name (``kid_mean``) -> registered metric name (``kid``)
_RESULT_NAMES: dict[str, str] = {}
_loaded = False


def register_metric(spec: MetricSpec) -> MetricSpec:
    """Add ``spec``; refuses a duplicate name, an unknown output kind, granularity or pairing, and a missing or
    empty field, naming the metric and what was expected."""
    _load_builtin()  # a name clash with a builtin is refused here, not when the builtins load later
    _check(spec)
    taken = [n for n in dict.fromkeys((spec.name, *spec.stored_names)) if n in _METRICS or n in _RESULT_NAMES]
    if taken:
        raise TaskError(f"metric {spec.name!r}: name(s) {', '.join(taken)} already registered")
    _METRICS[spec.name] = spec
    for name in spec.stored_names:
        _RESULT_NAMES[name] = spec.name
    return spec


def metric_spec(name: str) -> MetricSpec:
    """The spec of ``name``, which may be a stored result's name: qualified (``fid[toy]``) or one of a metric's
    result names (``kid_mean``).  Unknown names raise TaskError listing the registered metrics."""
    _load_builtin()
    base = name.split("[", 1)[0]
    registered = _METRICS.get(base) or _METRICS.get(_RESULT_NAMES.get(base, ""))
    if registered is None:
        raise TaskError(f"unknown metric {name!r}; registered metrics: {', '.join(sorted(_METRICS))} (is the "
                        f"extension that registers it installed? extensions are the {PLUGIN_GROUP} entry points)")
    return registered


def registered_metrics() -> list[MetricSpec]:
    _load_builtin()
    return list(_METRICS.values())


def metrics_for(output: str) -> list[MetricSpec]:
    """The registered metrics a task of this output kind may declare."""
    return [spec for spec in registered_metrics() if output in spec.outputs]


def declaration_problems(output: str, metrics: tuple[str, ...]) -> list[str]:
    """What is wrong with a task of output kind ``output`` declaring ``metrics`` (empty: nothing): an unknown
    name, a metric that does not apply to the output, a repeated name, two metrics of one exclusive group.  A
    declared metric that could not be computed would be missing from every run without a word, and a gate rule
    naming it would gate nothing."""
    applicable = ", ".join(spec.name for spec in metrics_for(output))
    problems = []
    known = {spec.name: spec for spec in registered_metrics()}
    unknown = [m for m in metrics if m not in known]
    if unknown:
        problems.append(f"unknown metric(s) {', '.join(unknown)}; metrics for {output} output: {applicable}")
    for name in metrics:
        spec = known.get(name)
        if spec is not None and output not in spec.outputs:
            problems.append(f"metric {name} does not apply to {output} output (it applies to "
                            f"{', '.join(k for k in OUTPUT_KINDS if k in spec.outputs)}); metrics for {output} "
                            f"output: {applicable}")
    repeated = sorted({m for m in metrics if metrics.count(m) > 1})
    if repeated:
        problems.append(f"metric(s) {', '.join(repeated)} declared more than once")
    groups: dict[str, list[str]] = {}
    for name in dict.fromkeys(metrics):
        group = known[name].exclusive_group if name in known else None
        if group is not None:
            groups.setdefault(group, []).append(name)
    for group, names in groups.items():
        if len(names) > 1:
            members = ", ".join(spec.name for spec in registered_metrics() if spec.exclusive_group == group)
            problems.append(f"declare only one of {', '.join(names)} (the {group} group: {members} are computed "
                            "in the same slot)")
    return problems


def higher_is_better(name: str) -> bool:
    """Direction of ``name`` (qualified and result names accepted, see :func:`metric_spec`)."""
    return metric_spec(name).higher_is_better


def _check(spec: MetricSpec) -> None:
    where = f"metric {getattr(spec, 'name', '?')!r}"
    if not isinstance(spec, MetricSpec):
        raise TaskError(f"register_metric takes a MetricSpec, got {type(spec).__name__}")
    for field in dataclasses.fields(spec):
        value = getattr(spec, field.name)
        if field.default is dataclasses.MISSING and (value is None or value == "" or value == frozenset()):
            raise TaskError(f"{where}: field {field.name!r} is missing (got {value!r})")
    if not isinstance(spec.higher_is_better, bool):
        raise TaskError(f"{where}: higher_is_better must be True or False, got {spec.higher_is_better!r}")
    _check_name(where, "name", spec.name)
    if not isinstance(spec.result_names, tuple):
        raise TaskError(f"{where}: field 'result_names' must be a tuple of names, got {spec.result_names!r}")
    for name in spec.result_names:
        _check_name(where, "result_names", name)
    unknown = sorted(set(spec.outputs) - set(OUTPUT_KINDS))
    if unknown:
        raise TaskError(f"{where}: unknown output kind(s) {', '.join(unknown)}; expected some of "
                        f"{', '.join(OUTPUT_KINDS)}")
    if spec.granularity not in GRANULARITIES:
        raise TaskError(f"{where}: granularity {spec.granularity!r}; expected one of {', '.join(GRANULARITIES)}")
    if not isinstance(spec.compute, PerSampleMetric | SetMetric):
        raise TaskError(f"{where}: compute must be a PerSampleMetric or a SetMetric "
                        f"(benchmarks/scoring/computation.py), got {type(spec.compute).__name__}")
    if spec.pairing not in PAIRINGS:
        raise TaskError(f"{where}: pairing {spec.pairing!r}; expected one of {', '.join(PAIRINGS)}")
    if spec.pairing == "set-jackknife" and not (isinstance(spec.compute, SetMetric) and spec.granularity == "per-set"):
        raise TaskError(f"{where}: field 'pairing' is 'set-jackknife', which only a per-set SetMetric may declare "
                        "(compare recomputes a Frechet distance from the feature rows a set scorer stores, "
                        f"reports/set_pairing.py); got granularity {spec.granularity!r} and compute "
                        f"{type(spec.compute).__name__}; expected 'per-sample' or 'none'")
    if spec.pairing == "per-sample" and spec.granularity != "per-sample":
        raise TaskError(f"{where}: field 'pairing' is 'per-sample', but granularity is {spec.granularity!r}: only "
                        "a metric whose value is the mean of the per-sample scores it keeps can be paired per "
                        "sample; expected pairing 'none' (or 'set-jackknife' for a Frechet distance)")


#: a metric or result name: an identifier (it is a key of TASK/METRIC gate rules and [extractor]-qualified names)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_name(where: str, field: str, name: object) -> None:
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise TaskError(f"{where}: field {field!r} has the name {name!r}; a metric name is a plain word: ASCII "
                        "letters, digits and underscores, not starting with a digit (a '/' would break TASK/METRIC "
                        "gate keys; the [extractor] qualifier is added when stored)")


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from benchmarks.scoring.builtin_metrics import BUILTIN_METRICS

    for spec in BUILTIN_METRICS:
        register_metric(spec)
