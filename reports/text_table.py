"""Plain fixed-width tables for the terminal (compare, gate), and the cell texts the HTML pages share."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.scoring.registry import higher_is_better
from nextgpt.core.errors import TaskError

UP, DOWN = "↑", "↓"
#: the direction mark of a metric no code in this process registers (an extension that is not installed)
UNKNOWN_DIRECTION = "?"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in (header, ["-" * w for w in widths], *rows)]
    return "\n".join(lines)


def number(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def interval(ci: tuple[float, float] | None, digits: int = 4) -> str:
    return "-" if ci is None else f"[{ci[0]:.{digits}g}, {ci[1]:.{digits}g}]"


def metric_direction(metric: str) -> bool | None:
    """Whether higher is better for ``metric`` (plain or qualified, ``fid[toy]``), from the metric registry; None
    when no code in this process registers it (a stored run of an extension that is not installed still renders,
    compares and ranks, with its direction unknown)."""
    try:
        return higher_is_better(metric)
    except TaskError:
        return None


def direction(metric: str) -> str:
    """↑ when a higher value of ``metric`` is better, ↓ when lower is, ``?`` when the metric is not registered."""
    return {True: UP, False: DOWN, None: UNKNOWN_DIRECTION}[metric_direction(metric)]


def metric_label(metric: str) -> str:
    """``fid ↓``, ``clip_score[toy-clip] ↑``: a metric's name with its direction."""
    return f"{metric} {direction(metric)}"
