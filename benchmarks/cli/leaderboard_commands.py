"""``nextgpt-bench leaderboard``: the store's runs beside the NExT-GPT paper's numbers (see reports/README.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks.cli.report_commands import DEFAULT_STORE, open_store


def register(subparsers: Any) -> None:
    board = subparsers.add_parser("leaderboard", help="runs beside the NExT-GPT paper's numbers (md, csv, html)")
    board.add_argument("--store", type=Path, default=DEFAULT_STORE, help="results store folder")
    board.add_argument("--runs", help="comma-separated run ids or JSON files (default: every complete run)")
    board.add_argument("--tasks", help="comma-separated tasks (default: all)")
    board.add_argument("--no-paper", action="store_true", help="leave out the paper's reference rows")
    board.add_argument("--format", choices=("markdown", "csv", "html"), default="markdown")
    board.add_argument("--out", type=Path, help="write to this file instead of stdout")
    board.set_defaults(func=leaderboard_command)


def _complete_runs(folder: Path) -> list[Any]:
    """Every complete run of the store; runs that are still running or failed are left out, and said so."""
    from reports.rundata import load_from_store

    store = open_store(folder)
    rows = store.runs()
    left_out = [r for r in rows if r["status"] != "complete"]
    if left_out:
        listing = "; ".join(f"{r['run_id']} ({r['status']}" + (f": {_first_line(r.get('error'))})"
                                                                if r.get("error") else ")") for r in left_out)
        print(f"note: left out {len(left_out)} run(s) that did not complete: {listing}", file=sys.stderr)
    return [load_from_store(store, r["run_id"]) for r in rows if r["status"] == "complete"]


def _first_line(text: Any) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def _leaderboard_tasks(spec: str | None, runs: list[Any]) -> list[str] | None:
    """The --tasks filter; a name that is neither a registered task nor a task of the runs is refused (it would
    silently show nothing)."""
    from benchmarks.tasks import registered_tasks
    from reports.errors import ReportInputError

    if not spec:
        return None
    tasks = [t.strip() for t in spec.split(",") if t.strip()]
    known = {t.name for t in registered_tasks()} | {task for run in runs for task in run.tasks}
    unknown = [t for t in tasks if t not in known]
    if unknown or not tasks:
        raise ReportInputError(f"--tasks {spec!r}: unknown task(s) {', '.join(unknown) or '(none given)'}; "
                               f"known tasks: {', '.join(sorted(known))}")
    return tasks


def leaderboard_command(args: argparse.Namespace) -> int:
    from leaderboards.board import build_leaderboard
    from reports.run_files import resolve_run, write_text_atomically
    from reports.rundata import RunData

    runs: list[RunData]
    if args.runs is not None:
        specs = [spec.strip() for spec in args.runs.split(",") if spec.strip()]
        if not specs:
            from reports.errors import ReportInputError

            raise ReportInputError(f"--runs {args.runs!r} names no run; give comma-separated run ids or JSON files")
        runs = [resolve_run(spec, args.store) for spec in specs]
    elif args.store.exists() and not args.store.is_dir():
        from reports.errors import ReportInputError

        raise ReportInputError(f"--store {args.store} is a file; expected the folder that holds results.sqlite")
    elif (args.store / "results.sqlite").exists():
        runs = _complete_runs(args.store)
    else:
        runs = []
        print(f"note: no results store at {args.store}; showing the paper's rows only", file=sys.stderr)
    tasks = _leaderboard_tasks(args.tasks, runs)
    board = build_leaderboard(runs, include_paper=not args.no_paper, tasks=tasks)
    text = {"markdown": board.to_markdown, "csv": board.to_csv, "html": board.to_html}[args.format]()
    if args.out:
        write_text_atomically(args.out, text, what="leaderboard")
        print(args.out)
    else:
        sys.stdout.write(text)
    return 0
