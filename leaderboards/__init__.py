"""Leaderboards: runs from a results store beside the NExT-GPT paper's reference rows (see reports/README.md).

``load(...)`` gives the long pandas table (one row per model or run, task and metric; ``board.LONG_DTYPES``);
``load_board(...)`` the Leaderboard with its views (``headline()``, ``group_tables()``, ``wide()``) and text
forms.  Importing this package is cheap: pandas and the store are imported when a board is built.  The paper's
numbers are the task layer's (``benchmarks/tasks/paper_reference.json``, loaded by
``benchmarks.tasks.paper.load_reference``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from leaderboards.board import Leaderboard
    from leaderboards.loading import Source

__all__ = ["load", "load_board"]


def load(source: Source, *, runs: Sequence[str] | None = None, tasks: Sequence[str] | None = None,
         include_paper: bool = True) -> pd.DataFrame:
    """The leaderboard's long table: columns ``board.LONG_COLUMNS`` typed as ``board.LONG_DTYPES``.

    ``source``: a results store folder (its complete runs, or the ids in ``runs``), an open ``ResultsStore``, a
    run file (a snapshot or a pytest-benchmark JSON), a ``RunData`` or a list of them.  ``tasks`` keeps only
    those tasks; ``include_paper=False`` leaves out the paper's rows.  Bad input raises
    ``reports.errors.ReportInputError`` naming it."""
    return load_board(source, runs=runs, tasks=tasks, include_paper=include_paper).long


def load_board(source: Source, *, runs: Sequence[str] | None = None, tasks: Sequence[str] | None = None,
               include_paper: bool = True) -> Leaderboard:
    """Like :func:`load`, the whole Leaderboard: ``.long``, ``.headline()``, ``.group_tables()``, ``.wide()``,
    ``.to_markdown()``, ``.to_csv()``, ``.to_json()``, ``.to_html()``."""
    from leaderboards import loading

    return loading.load_board(source, runs=runs, tasks=tasks, include_paper=include_paper)
