"""The one registry of harness metrics: which way is better, which task outputs each applies to, how two runs
are paired on it and how it is computed.  Tasks, scorers, reports and leaderboards all read it, so a new metric
is declared once (a file in benchmarks/scoring/ and a line in benchmarks/scoring/builtin_metrics.py).

The builtin metrics are registered when the registry is first read.
"""

from __future__ import annotations

import dataclasses

from benchmarks.scoring.metric_spec import GRANULARITIES, OUTPUT_KINDS, PAIRINGS, MetricSpec
from nextgpt.core.errors import TaskError

__all__ = ["MetricSpec", "higher_is_better", "metric_spec", "register_metric", "registered_metrics"]

_METRICS: dict[str, MetricSpec] = {}
#: stored result name (``kid_mean``) -> registered metric name (``kid``)
_RESULT_NAMES: dict[str, str] = {}
_loaded = False


def register_metric(spec: MetricSpec) -> MetricSpec:
    """Add ``spec``; refuses a duplicate name, an unknown output kind, granularity or pairing, and a missing or
    empty field, naming the metric and what was expected."""
    _check(spec)
    taken = [n for n in (spec.name, *spec.stored_names) if n in _METRICS or n in _RESULT_NAMES]
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
        raise TaskError(f"unknown metric {name!r}; registered metrics: {', '.join(sorted(_METRICS))}")
    return registered


def registered_metrics() -> list[MetricSpec]:
    _load_builtin()
    return list(_METRICS.values())


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
    if "[" in spec.name or not spec.name.strip():
        raise TaskError(f"{where}: a metric name is a plain word (the [extractor] qualifier is added when stored)")
    unknown = sorted(set(spec.outputs) - set(OUTPUT_KINDS))
    if unknown:
        raise TaskError(f"{where}: unknown output kind(s) {', '.join(unknown)}; expected some of "
                        f"{', '.join(OUTPUT_KINDS)}")
    if spec.granularity not in GRANULARITIES:
        raise TaskError(f"{where}: granularity {spec.granularity!r}; expected one of {', '.join(GRANULARITIES)}")
    if spec.pairing not in PAIRINGS:
        raise TaskError(f"{where}: pairing {spec.pairing!r}; expected one of {', '.join(PAIRINGS)}")


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from benchmarks.scoring.builtin_metrics import BUILTIN_METRICS

    for spec in BUILTIN_METRICS:
        register_metric(spec)
