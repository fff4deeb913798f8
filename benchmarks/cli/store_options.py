"""``--store`` and ``--media``: where the commands find the results store.  ``--store`` is a folder (the embedded
SQLite store, its media inside it) or a PostgreSQL URL (``postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE``), whose
media and feature files go into ``--media DIR``, a folder every node can reach."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_STORE = Path("out/results")


def store_location(text: str) -> Path | str:
    """A URL stays the text it is (a Path would fold its ``//``); anything else is a folder.  A text holding
    ``://`` with a scheme that is not PostgreSQL's is refused (StoreError), never taken for a folder."""
    from benchmarks.store.store_urls import is_postgres_url
    from nextgpt.core.errors import StoreError

    try:
        return text if is_postgres_url(text) else Path(text)
    except StoreError as error:  # argparse names the argument and exits with its usage error (code 2)
        raise argparse.ArgumentTypeError(str(error)) from error


def is_database(location: Path | str) -> bool:
    return isinstance(location, str)


def add_store_arguments(parser: argparse.ArgumentParser, default: Path = DEFAULT_STORE) -> None:
    parser.add_argument("--store", type=store_location, default=default,
                        help="results store: a folder (SQLite) or a PostgreSQL URL postgresql://USER@HOST/DB (a "
                             "team's store, with --media)")
    parser.add_argument("--media", type=Path, metavar="DIR",
                        help="with a PostgreSQL --store: the folder of its media and feature files, one that every "
                             "node can reach (a folder store keeps them inside it)")


def open_store(location: Path | str, media: Path | None = None) -> Any:
    """The results store at ``location`` for reading; a missing store is an error (reports never create one: a
    folder without ``results.sqlite``, or a database without the store's tables, is refused)."""
    from benchmarks.store import ResultsStore
    from reports.errors import ReportInputError

    if not is_database(location):
        folder = Path(location)
        if not (folder / "results.sqlite").exists():
            raise ReportInputError(f"no results store at {folder} (expected {folder / 'results.sqlite'}); "
                                   "pass --store DIR")
    return ResultsStore(location, media=media, create=False)


def run_source(args: argparse.Namespace) -> Any:
    """What ``reports.run_files.resolve_run`` looks run ids up in: the store folder, or the opened store (a
    database store; and a folder given a --media, which the store refuses, naming it)."""
    return open_store(args.store, args.media) if is_database(args.store) or args.media else args.store
