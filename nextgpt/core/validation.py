"""Checks of user-given numbers (generation settings), shared by ``GenerationRequest`` and the CLI's argparse types.

Pure Python (no torch), so the CLI can use them while ``--help`` stays fast.  Each returns the value or raises
``ConfigError`` naming the field, what was expected and what was given.
"""

from __future__ import annotations

import math
from typing import Any

from nextgpt.core.errors import ConfigError

#: Seeds are 32-bit unsigned, numpy's range; torch generators take them as they are.
MAX_SEED = 2**32 - 1


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(value: Any, *, name: str) -> int:
    if not _is_int(value) or value < 1:
        raise ConfigError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def optional_positive_int(value: Any, *, name: str, default_means: str) -> int | None:
    """None (= ``default_means``) or a positive integer; 0 is refused rather than read as "the default"."""
    if value is None:
        return None
    if not _is_int(value) or value < 1:
        raise ConfigError(f"{name}: expected a positive integer (or None for {default_means}), got {value!r}")
    return int(value)


def seed(value: Any, *, name: str) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_SEED:
        raise ConfigError(f"{name}: expected an integer seed from 0 to {MAX_SEED}, got {value!r}")
    return int(value)


def non_negative_float(value: Any, *, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def positive_float(value: Any, *, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def probability(value: Any, *, name: str) -> float:
    """A number in (0, 1] (top-p)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError(f"{name}: expected a number in (0, 1], got {value!r}")
    return float(value)
