"""Plain fixed-width tables for the terminal (compare, gate), and the cell texts the HTML pages share."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.scoring.registry import higher_is_better

UP, DOWN = "↑", "↓"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in (header, ["-" * w for w in widths], *rows)]
    return "\n".join(lines)


def number(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def interval(ci: tuple[float, float] | None, digits: int = 4) -> str:
    return "-" if ci is None else f"[{ci[0]:.{digits}g}, {ci[1]:.{digits}g}]"


def direction(metric: str) -> str:
    """↑ when a higher value of ``metric`` (plain or qualified, ``fid[toy]``) is better, ↓ when lower is; from
    the metric registry."""
    return UP if higher_is_better(metric) else DOWN


def metric_label(metric: str) -> str:
    """``fid ↓``, ``clip_score[toy-clip] ↑``: a metric's name with its direction."""
    return f"{metric} {direction(metric)}"
