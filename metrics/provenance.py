"""Typed results: every number travels with how it was computed, and incomparable numbers are refused.

A :class:`MetricResult` is what every functional metric and every ``compute()`` returns. Its
``qualified_name`` carries the feature extractor (``fid[inception-2015-12-05]`` vs ``fid[toy]``), and
:meth:`MetricResult.check_comparable` refuses to put two results side by side when the settings that move the
number (extractor, weights, resize, tokenizer, ...) differ.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from metrics.defaults import METRICS_VERSION
from metrics.errors import IncomparableResultsError

logger = logging.getLogger("metrics")

# Provenance fields that change the value of a metric for the same inputs.
COMPARABILITY_FIELDS = (
    "metric",
    "extractor",
    "extractor_canonical",
    "weights_sha256",
    "resize",
    "tokenizer",
    "settings",
)


@dataclass(frozen=True)
class Provenance:
    """How a number was computed. ``settings`` holds metric-specific knobs (e.g. KID subset size)."""

    metric: str
    metric_version: str = METRICS_VERSION
    extractor: str | None = None
    extractor_canonical: bool | None = None
    weights_sha256: str | None = None
    resize: str | None = None
    dtype: str | None = None
    n_samples: int | None = None
    n_reference: int | None = None
    seed: int | None = None
    tokenizer: str | None = None
    settings: tuple[tuple[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()

    def with_warnings(self, extra: Iterable[str]) -> Provenance:
        new = tuple(w for w in extra if w not in self.warnings)
        return dataclasses.replace(self, warnings=self.warnings + new) if new else self

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["settings"] = dict(self.settings)
        out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class ConfidenceInterval:
    """A seeded percentile-bootstrap interval."""

    low: float
    high: float
    confidence: float
    n_resamples: int
    seed: int
    method: str = "percentile bootstrap"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class MetricResult:
    """One metric value with its provenance (and optionally a bootstrap interval)."""

    name: str
    value: float
    provenance: Provenance
    ci: ConfidenceInterval | None = None
    available: bool = True
    unavailable_reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def qualified_name(self) -> str:
        """``name[extractor]`` when a feature extractor was involved, else just the name."""
        extractor = self.provenance.extractor
        return f"{self.name}[{extractor}]" if extractor else self.name

    @classmethod
    def unavailable(cls, name: str, reason: str, provenance: Provenance) -> MetricResult:
        """A metric that could not run: value is NaN and ``available`` is False -- never a silent 0."""
        logger.warning("%s is unavailable: %s", name, reason)
        return cls(name, float("nan"), provenance, available=False, unavailable_reason=reason)

    def check_comparable(self, other: MetricResult) -> None:
        """Raise :class:`IncomparableResultsError` unless both results were computed the same way."""
        if self.name != other.name:
            raise IncomparableResultsError(f"cannot compare {self.qualified_name} with {other.qualified_name}")
        for name in COMPARABILITY_FIELDS:
            mine, theirs = getattr(self.provenance, name), getattr(other.provenance, name)
            if mine != theirs:
                raise IncomparableResultsError(
                    f"cannot compare {self.qualified_name} with {other.qualified_name}: provenance field "
                    f"{name!r} differs ({mine!r} vs {theirs!r}); recompute both with the same setting"
                )

    def difference(self, other: MetricResult) -> float:
        """``self.value - other.value`` after :meth:`check_comparable`."""
        self.check_comparable(other)
        return self.value - other.value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "qualified_name": self.qualified_name,
            "value": self.value if self.available else None,
            "available": self.available,
            "provenance": self.provenance.to_dict(),
        }
        if self.unavailable_reason:
            out["unavailable_reason"] = self.unavailable_reason
        if self.ci is not None:
            out["ci"] = self.ci.to_dict()
        return out


def warn(messages: list[str], message: str) -> None:
    """Record a provenance warning and log it at once (warnings are never only in a result)."""
    logger.warning(message)
    messages.append(message)
