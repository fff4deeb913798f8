"""Typed results: every number travels with how it was computed, and incomparable numbers are refused.

A :class:`MetricResult` is what every functional metric and every ``compute()`` returns; a metric that
legitimately gives several numbers (KID's mean and spread, BLEU-1..4) returns a small frozen dataclass of them
(a :class:`ResultGroup`). Its ``qualified_name`` carries the feature extractor (``fid[inception-2015-12-05]`` vs
``fid[toy]``), and :meth:`MetricResult.check_comparable` refuses to put two results side by side when the
settings that move the number (extractor, weights, resize, tokenizer, ...) differ.

Results round-trip through JSON: ``MetricResult.from_dict(result.to_dict()) == result`` for every result the
library produces, and ``to_dict()`` holds only JSON values (``json.dumps(..., allow_nan=False)`` accepts it).
Everything that makes this true is checked when a result is built (settings and details are JSON scalars, an
available value is finite, an unavailable one is NaN with a reason), so a result that could not be stored and
read back exactly is refused where it is made, not where it is read. ``from_dict`` refuses a malformed dict
with a :class:`metrics.errors.FeatureError` naming the field (``MetricResult.provenance.n_samples: ...``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, NoReturn, Self

from metrics.defaults import METRICS_VERSION
from metrics.errors import FeatureError, IncomparableResultsError

logger = logging.getLogger("metrics")

#: A provenance setting's value or a result detail: a JSON scalar, so that it survives ``to_dict``/``from_dict``.
Scalar = str | int | float | bool | None
#: What ``to_dict`` gives and ``from_dict`` reads: plain JSON values (no NaN, no tuples, no numpy).
JSONValue = str | int | float | bool | None | list["JSONValue"] | dict[str, "JSONValue"]
JSONDict = dict[str, JSONValue]

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


# --- checks shared by construction and from_dict ---------------------------------------------------------
def _fail(where: str, message: str) -> NoReturn:
    raise FeatureError(f"{where}: {message}")


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_str(value: object, where: str, optional: bool = False) -> None:
    if not (isinstance(value, str) or (optional and value is None)):
        _fail(where, f"expected a string{' or null' if optional else ''}, got {_type_name(value)} {value!r}")


def _check_int(value: object, where: str, optional: bool = False) -> None:
    if not (_is_int(value) or (optional and value is None)):
        _fail(where, f"expected an integer{' or null' if optional else ''}, got {_type_name(value)} {value!r}")


def _check_bool(value: object, where: str, optional: bool = False) -> None:
    if not (isinstance(value, bool) or (optional and value is None)):
        _fail(where, f"expected true or false{' or null' if optional else ''}, got {_type_name(value)} {value!r}")


def _check_finite(value: object, where: str) -> None:
    if not _is_number(value) or not math.isfinite(value):  # type: ignore[arg-type]
        _fail(where, f"expected a finite number, got {_type_name(value)} {value!r}")


def _check_scalar(value: object, where: str) -> None:
    """A JSON scalar: string, integer, finite float, boolean or null."""
    if value is None or isinstance(value, str | bool) or _is_int(value):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            _fail(where, f"{value!r} is not a finite number, which JSON cannot hold")
        return
    _fail(where, f"expected a JSON scalar (string, number, boolean or null), got {_type_name(value)} {value!r}")


def _object(data: object, where: str) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        _fail(where, f"expected a JSON object (dict), got {_type_name(data)}")
    bad = [key for key in data if not isinstance(key, str)]
    if bad:
        _fail(where, f"keys must be strings, got {bad[:3]!r}")
    return data


def _check_keys(data: Mapping[str, object], where: str, required: Iterable[str], optional: Iterable[str]) -> None:
    required, optional = tuple(required), tuple(optional)
    missing = [key for key in required if key not in data]
    if missing:
        _fail(where, f"missing field(s) {', '.join(map(repr, missing))}")
    unknown = [key for key in data if key not in required and key not in optional]
    if unknown:
        _fail(where, f"unknown field(s) {', '.join(map(repr, unknown))}; expected only "
                     f"{', '.join(map(repr, required + optional))}")


# --- provenance ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Provenance:
    """How a number was computed. ``settings`` holds metric-specific knobs (e.g. KID subset size) as
    ``(name, JSON scalar)`` pairs with distinct names; ``warnings`` the messages logged while computing it."""

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
    settings: tuple[tuple[str, Scalar], ...] = ()
    warnings: tuple[str, ...] = ()

    #: field -> check of its value (``to_dict`` form); every dataclass field has one (asserted below)
    _FIELD_CHECKS: ClassVar[dict[str, Callable[[object, str], None]]] = {
        "metric": _check_str,
        "metric_version": _check_str,
        "extractor": lambda v, w: _check_str(v, w, optional=True),
        "extractor_canonical": lambda v, w: _check_bool(v, w, optional=True),
        "weights_sha256": lambda v, w: _check_str(v, w, optional=True),
        "resize": lambda v, w: _check_str(v, w, optional=True),
        "dtype": lambda v, w: _check_str(v, w, optional=True),
        "n_samples": lambda v, w: _check_int(v, w, optional=True),
        "n_reference": lambda v, w: _check_int(v, w, optional=True),
        "seed": lambda v, w: _check_int(v, w, optional=True),
        "tokenizer": lambda v, w: _check_str(v, w, optional=True),
    }
    #: fields a stored provenance must name; the others default as in the constructor
    _REQUIRED: ClassVar[tuple[str, ...]] = ("metric", "metric_version")

    def __post_init__(self) -> None:
        where = f"Provenance of {self.metric!r}"
        for name, check in self._FIELD_CHECKS.items():
            check(getattr(self, name), f"{where}, field {name}")
        if not isinstance(self.settings, tuple):
            object.__setattr__(self, "settings", tuple(self.settings))
        if not isinstance(self.warnings, tuple):
            object.__setattr__(self, "warnings", tuple(self.warnings))
        seen: set[str] = set()
        for pair in self.settings:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                _fail(f"{where}, field settings", f"expected (name, value) pairs, got {pair!r}")
            key, value = pair
            _check_str(key, f"{where}, field settings")
            if key in seen:
                _fail(f"{where}, field settings", f"setting {key!r} is given twice")
            seen.add(key)
            _check_scalar(value, f"{where}, setting {key!r}")
        for message in self.warnings:
            _check_str(message, f"{where}, field warnings")

    def with_warnings(self, extra: Iterable[str]) -> Provenance:
        new = tuple(w for w in extra if w not in self.warnings)
        return dataclasses.replace(self, warnings=self.warnings + new) if new else self

    def to_dict(self) -> JSONDict:
        """Every field; ``settings`` as a JSON object (in order), ``warnings`` as a list."""
        out: JSONDict = {name: getattr(self, name) for name in self._FIELD_CHECKS}
        out["settings"] = dict(self.settings)
        out["warnings"] = list(self.warnings)
        return out

    @classmethod
    def from_dict(cls, data: object, where: str = "Provenance") -> Provenance:
        """The provenance :meth:`to_dict` gave; a wrong, missing or unknown field raises FeatureError naming it."""
        data = _object(data, where)
        optional = [f.name for f in dataclasses.fields(cls) if f.name not in cls._REQUIRED]
        _check_keys(data, where, cls._REQUIRED, optional)
        for name, check in cls._FIELD_CHECKS.items():
            if name in data:
                check(data[name], f"{where}.{name}")
        settings = _object(data.get("settings", {}), f"{where}.settings")
        for key, value in settings.items():
            _check_scalar(value, f"{where}.settings.{key}")
        warnings = data.get("warnings", [])
        if not isinstance(warnings, list):
            _fail(f"{where}.warnings", f"expected a list of strings, got {_type_name(warnings)}")
        for index, message in enumerate(warnings):
            _check_str(message, f"{where}.warnings[{index}]")
        values = {name: data[name] for name in cls._FIELD_CHECKS if name in data}
        return cls(**values, settings=tuple(settings.items()), warnings=tuple(warnings))  # type: ignore[arg-type]


assert set(Provenance._FIELD_CHECKS) | {"settings", "warnings"} == {f.name for f in dataclasses.fields(Provenance)}


# --- intervals -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConfidenceInterval:
    """An interval for a metric value: a seeded percentile bootstrap, or a grouped jackknife (``method`` says
    which; ``n_resamples`` is the number of resamples or of jackknife groups)."""

    low: float
    high: float
    confidence: float
    n_resamples: int
    seed: int
    method: str = "percentile bootstrap"

    def __post_init__(self) -> None:
        where = "ConfidenceInterval"
        _check_finite(self.low, f"{where}, field low")
        _check_finite(self.high, f"{where}, field high")
        _check_finite(self.confidence, f"{where}, field confidence")
        _check_int(self.n_resamples, f"{where}, field n_resamples")
        _check_int(self.seed, f"{where}, field seed")
        _check_str(self.method, f"{where}, field method")

    def to_dict(self) -> JSONDict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: object, where: str = "ConfidenceInterval") -> ConfidenceInterval:
        data = _object(data, where)
        names = [f.name for f in dataclasses.fields(cls)]
        _check_keys(data, where, names, ())
        for name in ("low", "high", "confidence"):
            _check_finite(data[name], f"{where}.{name}")
        _check_int(data["n_resamples"], f"{where}.n_resamples")
        _check_int(data["seed"], f"{where}.seed")
        _check_str(data["method"], f"{where}.method")
        return cls(**{name: data[name] for name in names})  # type: ignore[arg-type]


# --- results -------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class MetricResult:
    """One metric value with its provenance (and optionally an interval).

    ``available=False`` marks a metric that could not run: its value is NaN and ``unavailable_reason`` says why
    (never a silent 0). ``details`` holds JSON scalars a metric reports beside its value (CLIP score's count of
    clamped samples). Equality compares every field; the NaN values of two unavailable results are equal.
    """

    name: str
    value: float
    provenance: Provenance
    ci: ConfidenceInterval | None = None
    available: bool = True
    unavailable_reason: str | None = None
    details: dict[str, Scalar] = field(default_factory=dict)

    #: keys of :meth:`to_dict` (optional ones are left out when empty)
    DICT_REQUIRED: ClassVar[tuple[str, ...]] = ("name", "value", "available", "provenance")
    DICT_OPTIONAL: ClassVar[tuple[str, ...]] = ("qualified_name", "unavailable_reason", "ci", "details")

    def __post_init__(self) -> None:
        where = f"MetricResult {self.name!r}"
        _check_str(self.name, "MetricResult, field name")
        if not isinstance(self.provenance, Provenance):
            _fail(f"{where}, field provenance", f"expected a Provenance, got {_type_name(self.provenance)}")
        if not (self.ci is None or isinstance(self.ci, ConfidenceInterval)):
            _fail(f"{where}, field ci", f"expected a ConfidenceInterval or None, got {_type_name(self.ci)}")
        _check_bool(self.available, f"{where}, field available")
        _check_str(self.unavailable_reason, f"{where}, field unavailable_reason", optional=True)
        if not _is_number(self.value):
            _fail(f"{where}, field value", f"expected a number, got {_type_name(self.value)} {self.value!r}")
        if self.available:
            if not math.isfinite(self.value):
                _fail(f"{where}, field value", f"{self.value!r} is not finite; a metric that cannot be computed "
                                               "is MetricResult.unavailable(name, reason, provenance)")
            if self.unavailable_reason is not None:
                _fail(f"{where}, field unavailable_reason", "an available result has no unavailable_reason")
        else:
            if not self.unavailable_reason:
                _fail(f"{where}, field unavailable_reason", "an unavailable result must say why")
            if not math.isnan(self.value):
                _fail(f"{where}, field value", f"an unavailable result has value NaN, not {self.value!r}")
            if self.ci is not None:
                _fail(f"{where}, field ci", "an unavailable result has no interval")
        if not isinstance(self.details, dict):
            object.__setattr__(self, "details", dict(_object(self.details, f"{where}, field details")))
        for key, value in self.details.items():
            _check_str(key, f"{where}, field details")
            _check_scalar(value, f"{where}, detail {key!r}")

    def _key(self) -> tuple[object, ...]:
        value = self.value if self.available else None
        return (self.name, value, self.provenance, self.ci, self.available, self.unavailable_reason)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetricResult):
            return NotImplemented
        return self._key() == other._key() and self.details == other.details

    def __hash__(self) -> int:
        return hash(self._key())

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

    def to_dict(self) -> JSONDict:
        """``name``, ``qualified_name``, ``value`` (null when unavailable), ``available``, ``provenance``
        (:meth:`Provenance.to_dict`), and when set ``unavailable_reason``, ``ci``
        (:meth:`ConfidenceInterval.to_dict`) and ``details``."""
        out: JSONDict = {
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
        if self.details:
            out["details"] = dict(self.details)
        return out

    @classmethod
    def from_dict(cls, data: object, where: str = "MetricResult") -> MetricResult:
        """The result :meth:`to_dict` gave (exactly: ``from_dict(r.to_dict()) == r``).

        A malformed dict raises :class:`metrics.errors.FeatureError` naming the field, e.g.
        ``MetricResult.provenance.n_samples: expected an integer or null, got str '10'``.
        """
        data = _object(data, where)
        _check_keys(data, where, cls.DICT_REQUIRED, cls.DICT_OPTIONAL)
        _check_str(data["name"], f"{where}.name")
        _check_bool(data["available"], f"{where}.available")
        available = bool(data["available"])
        value = data["value"]
        if available:
            _check_finite(value, f"{where}.value")
        elif value is not None:
            _fail(f"{where}.value", f"an unavailable result stores null, got {value!r}")
        reason = data.get("unavailable_reason")
        _check_str(reason, f"{where}.unavailable_reason", optional=True)
        if not available and not reason:
            _fail(f"{where}.unavailable_reason", "an unavailable result must say why")
        if available and reason is not None:
            _fail(f"{where}.unavailable_reason", "an available result has no unavailable_reason")
        provenance = Provenance.from_dict(data["provenance"], f"{where}.provenance")
        ci_data = data.get("ci")
        ci = None if ci_data is None else ConfidenceInterval.from_dict(ci_data, f"{where}.ci")
        if ci is not None and not available:
            _fail(f"{where}.ci", "an unavailable result has no interval")
        details = dict(_object(data.get("details", {}), f"{where}.details"))
        for key, detail in details.items():
            _check_scalar(detail, f"{where}.details.{key}")
        result = cls(data["name"], value if available else float("nan"), provenance, ci,  # type: ignore[arg-type]
                     available, reason, details)  # type: ignore[arg-type]
        qualified = data.get("qualified_name")
        if qualified is not None and qualified != result.qualified_name:
            _fail(f"{where}.qualified_name", f"{qualified!r} does not match name and provenance.extractor "
                                             f"({result.qualified_name!r})")
        return result


class ResultGroup:
    """Base of the frozen dataclasses a metric returns when it legitimately gives several numbers.

    Every field is a :class:`MetricResult` whose ``name`` is the field's name (``kid_mean``, ``bleu4``).
    Iterating gives the results in field order (so ``list(group)`` is what a caller emits).
    """

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            result = getattr(self, item.name)
            if not isinstance(result, MetricResult):
                _fail(f"{type(self).__name__}.{item.name}", f"expected a MetricResult, got {_type_name(result)}")
            if result.name != item.name:
                _fail(f"{type(self).__name__}.{item.name}", f"holds the result named {result.name!r}")

    def results(self) -> tuple[MetricResult, ...]:
        return tuple(getattr(self, item.name) for item in dataclasses.fields(self))  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[MetricResult]:
        return iter(self.results())

    def to_dict(self) -> dict[str, JSONDict]:
        """``{result name: MetricResult.to_dict()}`` in field order."""
        return {result.name: result.to_dict() for result in self.results()}

    @classmethod
    def from_dict(cls, data: object, where: str | None = None) -> Self:
        where = where or cls.__name__
        data = _object(data, where)
        names = [item.name for item in dataclasses.fields(cls)]  # type: ignore[arg-type]
        _check_keys(data, where, names, ())
        return cls(**{name: MetricResult.from_dict(data[name], f"{where}.{name}") for name in names})


def warn(messages: list[str], message: str) -> None:
    """Record a provenance warning and log it at once (warnings are never only in a result)."""
    logger.warning(message)
    messages.append(message)
