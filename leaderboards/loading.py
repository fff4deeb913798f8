"""Which runs a leaderboard shows, from what the caller has: a results store (its folder or an open
``ResultsStore``), a run file (a snapshot or a pytest-benchmark JSON), or RunData objects.  The CLI and the
Python API (``leaderboards.load`` / ``leaderboards.load_board``) share it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.store import ResultsStore
from benchmarks.tasks import registered_tasks
from leaderboards.board import Leaderboard, build_leaderboard
from reports.errors import ReportInputError
from reports.run_files import load_file
from reports.rundata import RunData, load_from_store

logger = logging.getLogger(__name__)

#: what ``load`` accepts: a store folder or run file (path), an open store, one run, or several runs
Source = str | os.PathLike[str] | ResultsStore | RunData | Iterable[RunData]


def complete_runs(store: ResultsStore) -> tuple[list[RunData], list[dict[str, Any]]]:
    """The store's complete runs, and the runs-table rows of those left out (still running, or failed)."""
    rows = store.runs()
    left_out = [row for row in rows if row["status"] != "complete"]
    return [load_from_store(store, row["run_id"]) for row in rows if row["status"] == "complete"], left_out


def describe_left_out(left_out: list[dict[str, Any]]) -> str:
    """``left out 2 run(s) that did not complete: RUN (failed: first line of its error); RUN (running)``."""
    listing = "; ".join(f"{row['run_id']} ({row['status']}" + (f": {_first_line(row.get('error'))})"
                                                                if row.get("error") else ")") for row in left_out)
    return f"left out {len(left_out)} run(s) that did not complete: {listing}"


def _first_line(text: Any) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def check_tasks(tasks: Sequence[str] | None, runs: list[RunData], *, what: str = "tasks") -> list[str] | None:
    """The task filter; a name that is neither a registered task nor a task of the runs is refused (it would
    silently show nothing).  None or empty: no filter."""
    if tasks is None:
        return None
    names = [task.strip() for task in tasks if task.strip()]
    known = {task.name for task in registered_tasks()} | {task for run in runs for task in run.tasks}
    unknown = [task for task in names if task not in known]
    if unknown or not names:
        raise ReportInputError(f"{what} {','.join(tasks)!r}: unknown task(s) {', '.join(unknown) or '(none given)'}; "
                               f"known tasks: {', '.join(sorted(known))}")
    return names


def runs_of(source: Source, run_ids: Sequence[str] | None = None) -> list[RunData]:
    """The runs ``source`` holds (a store: its complete runs, or ``run_ids``)."""
    if isinstance(source, RunData):
        return _only_store_takes_ids([source], run_ids)
    if isinstance(source, ResultsStore):
        return store_runs(source, run_ids)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_dir():
            if not (path / "results.sqlite").is_file():
                raise ReportInputError(f"no results store at {path} (expected {path / 'results.sqlite'}); give "
                                       "the folder `nextgpt-bench run --store` wrote, or a run JSON file")
            return store_runs(ResultsStore(path), run_ids)
        return _only_store_takes_ids([load_file(path)], run_ids)
    runs = list(source)
    wrong = [type(run).__name__ for run in runs if not isinstance(run, RunData)]
    if wrong:
        raise ReportInputError(f"leaderboards.load: expected a store folder, a run file, a ResultsStore or "
                               f"RunData objects, got {', '.join(sorted(set(wrong)))}")
    return _only_store_takes_ids(runs, run_ids)


def store_runs(store: ResultsStore, run_ids: Sequence[str] | None = None) -> list[RunData]:
    """The runs ``run_ids`` of ``store``, or else its complete runs; the ones left out (still running, or failed)
    are named in a warning -- a board that silently lacks a run would mislead -- for the CLI and the Python API
    alike."""
    if run_ids is not None:
        return [load_from_store(store, run_id) for run_id in run_ids]
    runs, left_out = complete_runs(store)
    if left_out:
        logger.warning("%s", describe_left_out(left_out))
    return runs


def _only_store_takes_ids(runs: list[RunData], run_ids: Sequence[str] | None) -> list[RunData]:
    if run_ids is not None:
        raise ReportInputError("run ids pick runs of a results store; this source is not one (give the store's "
                               "folder or a ResultsStore, or pass the runs themselves)")
    return runs


def load_board(source: Source, *, runs: Sequence[str] | None = None, tasks: Sequence[str] | None = None,
               include_paper: bool = True) -> Leaderboard:
    """The Leaderboard of ``source`` (see :func:`leaderboards.load`)."""
    found = runs_of(source, runs)
    return build_leaderboard(found, include_paper=include_paper, tasks=check_tasks(tasks, found))
