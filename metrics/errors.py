"""Errors raised by the metric library; each message names the file, the field or value, and the fix.

All of them derive from :class:`nextgpt.core.errors.NextGPTError`, so ``nextgpt-bench`` turns them into exit code 2
with the message instead of a traceback.
"""

from __future__ import annotations

from nextgpt.core.errors import ConfigError, MediaError, MissingWeightsError, NextGPTError

__all__ = [
    "CaptionInputError",
    "ConfigError",
    "FeatureError",
    "IncomparableResultsError",
    "MediaError",
    "MetricUnavailableError",
    "MissingWeightsError",
    "NextGPTError",
    "WeightsHashError",
]


class CaptionInputError(NextGPTError, ValueError):
    """Predictions or references for captions are malformed (missing ids, empty captions, bad JSON)."""


class FeatureError(NextGPTError, ValueError):
    """Feature or statistics arrays cannot be used (NaN/inf values, wrong shapes, mismatched dimensions)."""


class IncomparableResultsError(NextGPTError, ValueError):
    """Two results were computed with different extractors or conventions and must not be compared."""


class MetricUnavailableError(NextGPTError, RuntimeError):
    """A metric cannot run in this environment (e.g. METEOR without Java); it is reported, never zeroed."""


class WeightsHashError(NextGPTError, ValueError):
    """A weights file exists but its sha256 is not the registered one."""
