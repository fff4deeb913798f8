"""argparse types for the numeric options of the harness commands (run, report, compare, gate, leaderboard).

A bad value stops the command while its arguments are parsed -- exit 2 with the option, the value and what is
expected -- before any dataset, store or model is touched.
"""

from __future__ import annotations

import argparse


def _integer(text: str, expected: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def positive_int(text: str) -> int:
    """An integer >= 1 (sample counts, batch sizes)."""
    value = _integer(text, "an integer >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0 (seeds: numpy refuses negative ones; counts where 0 means none)."""
    value = _integer(text, "an integer >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def resamples(text: str) -> int:
    """Bootstrap resamples: 0 (no interval) or >= 2 (a percentile interval needs at least two resamples)."""
    value = _integer(text, "0 (no interval) or an integer >= 2")
    if value < 0 or value == 1:
        raise argparse.ArgumentTypeError(f"expected 0 (no interval) or an integer >= 2, got {text!r}")
    return value


def jackknife_groups(text: str) -> int:
    """Groups of a FID/FAD jackknife interval: 0 (no interval) or >= 3 (metrics/jackknife.py)."""
    value = _integer(text, "0 (no interval) or an integer >= 3")
    if value < 0 or value in (1, 2):
        raise argparse.ArgumentTypeError(f"expected 0 (no interval) or an integer >= 3, got {text!r}")
    return value


def paired_resamples(text: str) -> int:
    """Paired bootstrap resamples of compare/gate: an interval is always computed, so >= 2."""
    value = _integer(text, "an integer >= 2")
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected an integer >= 2, got {text!r}")
    return value
