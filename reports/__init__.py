"""Reports on stored benchmark runs: HTML report, compare, gate (see reports/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.store import ResultsStore


def render_run_report(store: ResultsStore, run_id: str, out_dir: Path) -> Path:
    """Write the HTML report of ``run_id`` (a run in ``store``, a ``ResultsStore``) into ``out_dir``;
    returns the path of its index.html."""
    from reports.run_report import render_run_report as render

    return render(store, run_id, Path(out_dir))


__all__ = ["render_run_report"]
