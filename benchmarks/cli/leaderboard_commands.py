"""``nextgpt-bench leaderboard``: the store's runs beside the NExT-GPT paper's numbers (see reports/README.md).

Markdown by default: a headline table (one metric per task), then one table per task group; ``--wide`` gives the
single table with every column instead.  ``--format csv`` is the long table (every cell), ``--format json`` the
documented JSON form (leaderboards/json_board.py), ``--format html`` a page with the same layout as Markdown.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from benchmarks.cli.store_options import DEFAULT_STORE, add_store_arguments, is_database, open_store, run_source

logger = logging.getLogger(__name__)

FORMATS = ("markdown", "csv", "json", "html")


def register(subparsers: Any) -> None:
    board = subparsers.add_parser("leaderboard", help="runs beside the NExT-GPT paper's numbers (md, csv, json, html)")
    add_store_arguments(board, DEFAULT_STORE)
    board.add_argument("--runs", help="comma-separated run ids or JSON files (default: every complete run)")
    board.add_argument("--tasks", help="comma-separated tasks (default: all)")
    board.add_argument("--no-paper", action="store_true", help="leave out the paper's reference rows")
    board.add_argument("--format", choices=FORMATS, default="markdown",
                       help="markdown (default: headline table, then one table per task group), csv (the long "
                            "table: one row per model, task and metric), json (schema 1, see reports/README.md) "
                            "or html")
    board.add_argument("--wide", action="store_true",
                       help="markdown/html: one table with a column per task metric instead of the headline and "
                            "group tables")
    board.add_argument("--out", type=Path, help="write to this file instead of stdout")
    board.set_defaults(func=leaderboard_command)


def _runs(args: argparse.Namespace) -> list[Any]:
    """--runs, else every complete run of --store (the left-out ones named in a warning), else none."""
    from leaderboards.loading import store_runs
    from reports.errors import ReportInputError
    from reports.run_files import resolve_run

    if args.runs is not None:
        specs = [spec.strip() for spec in args.runs.split(",") if spec.strip()]
        if not specs:
            raise ReportInputError(f"--runs {args.runs!r} names no run; give comma-separated run ids or JSON files")
        source = run_source(args)
        return [resolve_run(spec, source) for spec in specs]
    if is_database(args.store):
        return store_runs(open_store(args.store, args.media))
    if args.store.exists() and not args.store.is_dir():
        raise ReportInputError(f"--store {args.store} is a file; expected the folder that holds results.sqlite")
    if not (args.store / "results.sqlite").exists():
        logger.info("no results store at %s; showing the paper's rows only", args.store)
        return []
    return store_runs(open_store(args.store, args.media))


def leaderboard_command(args: argparse.Namespace) -> int:
    from leaderboards.board import build_leaderboard
    from leaderboards.loading import check_tasks
    from reports.errors import ReportInputError
    from reports.run_files import write_text_atomically

    if args.wide and args.format not in ("markdown", "html"):
        raise ReportInputError(f"--wide lays out the markdown and html tables; --format {args.format} has no "
                               "layout (csv and json hold every cell): drop --wide or use --format markdown")
    runs = _runs(args)
    tasks = check_tasks(args.tasks.split(",") if args.tasks else None, runs, what="--tasks")
    board = build_leaderboard(runs, include_paper=not args.no_paper, tasks=tasks)
    text = {"markdown": lambda: board.to_markdown(wide=args.wide), "csv": board.to_csv, "json": board.to_json,
            "html": lambda: board.to_html(wide=args.wide)}[args.format]()
    if args.out:
        write_text_atomically(args.out, text, what="leaderboard")
        print(args.out)
    else:
        sys.stdout.write(text)
    return 0
