"""``nextgpt-bench store migrate SRC DST``: copy a whole results store into another, across engines -- a store
folder (SQLite) into a team's PostgreSQL database and back (``benchmarks.store.copy``).  A run id the target holds
with other content is refused (named); a rerun copies only what is new."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from benchmarks.cli.store_options import store_location


def register(subparsers: Any) -> None:
    store = subparsers.add_parser("store", help="manage results stores (migrate one into another)")
    actions = store.add_subparsers(dest="action", required=True, metavar="ACTION")
    migrate = actions.add_parser(
        "migrate", help="copy every run, cached generation, score, feature and media file of SRC into DST",
        description="Copy a results store into another: a folder (SQLite) or a PostgreSQL URL on either side. "
                    "Runs DST already holds with the same content are left alone (a rerun copies nothing new); a "
                    "run id DST holds with other content is refused.")
    migrate.add_argument("source", type=store_location, metavar="SRC", help="store folder or postgresql:// URL")
    migrate.add_argument("target", type=store_location, metavar="DST",
                         help="store folder (made when missing) or postgresql:// URL")
    migrate.add_argument("--source-media", type=Path, metavar="DIR", help="media folder of a PostgreSQL SRC")
    migrate.add_argument("--media", type=Path, metavar="DIR", help="media folder of a PostgreSQL DST")
    migrate.set_defaults(func=migrate_command)


def migrate_command(args: argparse.Namespace) -> int:
    from benchmarks.cli.store_options import open_store
    from benchmarks.store import ResultsStore
    from benchmarks.store.copy import copy_store

    _check_media(args.source, args.source_media, "--source-media", "SRC")
    _check_media(args.target, args.media, "--media", "DST")
    source = open_store(args.source, args.source_media)
    target = ResultsStore(args.target, media=args.media)
    try:
        summary = copy_store(source, target)
    finally:
        source.close()
        target.close()
    for line in summary.lines(source.path, target.path):
        print(line)
    return 0


def _check_media(location: Path | str, media: Path | None, flag: str, side: str) -> None:
    """Before anything is copied: a database side needs its media folder, a folder side has its own."""
    from benchmarks.cli.store_options import is_database
    from benchmarks.store.store_urls import redacted
    from nextgpt.core.errors import StoreError

    if is_database(location) and media is None:
        raise StoreError(f"store migrate: {side} {redacted(str(location))} is a PostgreSQL store, whose media "
                         f"and feature files are in a folder of their own: pass {flag} DIR")
    if not is_database(location) and media is not None:
        raise StoreError(f"store migrate: {flag} {media} is only for a PostgreSQL {side}; the store folder "
                         f"{location} keeps its media inside it: leave {flag} out")
