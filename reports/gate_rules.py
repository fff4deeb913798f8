"""Gate rules: what counts as a regression, per metric and per profiled stage.

A rules file is JSON::

    {"metrics": {"*": {"tolerance_rel": 0.05, "significance": true},
                 "clip_score": {"tolerance_abs": 0.5},
                 "t2i/fid": {"tolerance_rel": 0.02},
                 "signal_rate": {"ignore": true}},
     "stages":  {"*": {"seconds_rel": 1.0, "memory_rel": 0.10},
                 "t2i/decode.image": {"seconds_abs": 0.05}}}

Keys are ``TASK/NAME``, ``NAME`` or ``*``, looked up in that order.  Direction comes from the metric (lower is
better for FID, FAD, KID, mel_distance); *worsening* is the change in the bad direction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from reports.errors import ReportInputError


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
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int | float) or value < 0):
                raise ValueError(f"{name} must be a number >= 0, not {value!r}")
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
            value = getattr(self, item.name)
            if item.name != "ignore" and value is not None and (not isinstance(value, int | float) or value < 0):
                raise ValueError(f"{item.name} must be a number >= 0, not {value!r}")


DEFAULT_METRIC_RULE = MetricRule(tolerance_rel=0.05, significance=True)
DEFAULT_STAGE_RULE = StageRule(seconds_rel=1.0, memory_rel=0.10)


@dataclass(frozen=True)
class GateRules:
    metrics: dict[str, MetricRule]
    stages: dict[str, StageRule]

    def metric_rule(self, task: str, metric: str) -> MetricRule:
        return _lookup(self.metrics, task, metric, DEFAULT_METRIC_RULE)

    def stage_rule(self, task: str, stage: str) -> StageRule:
        return _lookup(self.stages, task, stage, DEFAULT_STAGE_RULE)


def _lookup(table: dict[str, Any], task: str, name: str, default: Any) -> Any:
    for key in (f"{task}/{name}", name, "*"):
        if key in table:
            return table[key]
    return default


def default_rules() -> GateRules:
    return GateRules({}, {})


def load_rules(path: Path) -> GateRules:
    """Read and validate a rules file; every problem names the file and the key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportInputError(f"cannot read rules file {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise ReportInputError(f"rules file {path} is not valid JSON ({error})") from error
    if not isinstance(data, dict) or set(data) - {"metrics", "stages"}:
        raise ReportInputError(f"rules file {path}: expected an object with \"metrics\" and/or \"stages\"")
    return GateRules(_parse(path, data.get("metrics", {}), "metrics", MetricRule),
                     _parse(path, data.get("stages", {}), "stages", StageRule))


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
