"""The embedded engine: ``results.sqlite`` in the store folder, one writer at a time (``BEGIN IMMEDIATE``), WAL
journal.  Refuses a file that is not a results store before writing anything into it; an old store is migrated
when it can be written (:mod:`benchmarks.store.sqlite_migrations`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.store.sqlite_files import (
    check_database_file,
    is_read_only_error,
    make_store_folder,
    recovery_advice,
    store_problem,
)
from benchmarks.store.sqlite_migrations import migrate
from nextgpt.core.errors import StoreError


def _connect(path: Path) -> sqlite3.Connection:
    """The store's connection (a seam for tests that need a read-only database: root ignores file modes)."""
    return sqlite3.connect(path, timeout=60.0, isolation_level=None)


class SqliteBackend:
    """``folder/results.sqlite``; the store's files (media, features) live in ``folder``."""

    dialect = "sqlite"

    def __init__(self, folder: Path) -> None:
        make_store_folder(folder)
        self.files: Path | None = folder
        self.path = folder / "results.sqlite"
        check_database_file(self.path)
        with self.guard():
            self.connection = _connect(self.path)
            self.connection.row_factory = sqlite3.Row
            self._refuse_foreign_database()
            try:
                self.connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as error:
                if not is_read_only_error(error):
                    raise
                # a read-only store keeps its journal mode: it is only read (a write is refused when tried)
            self.connection.execute("PRAGMA synchronous=NORMAL")

    def _refuse_foreign_database(self) -> None:
        """Another program's SQLite database is refused before anything (even the journal mode) is written."""
        tables = self.tables()
        if tables and "meta" not in tables:
            raise StoreError(f"{self.path} is an SQLite database but not a results store (its tables: "
                             f"{', '.join(sorted(tables))}); {recovery_advice(self.path)}")

    def tables(self) -> set[str]:
        return {str(row[0]) for row in self.connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, parameters)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """SQLite's errors about the file or its surroundings as StoreError; any other is a bug and propagates."""
        try:
            yield
        except sqlite3.Error as error:
            problem = store_problem(self.path, error)
            if problem is None:
                raise
            raise problem from error

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.connection
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:  # SQLite may already have rolled back (e.g. after a corrupt page)
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction (a deferred BEGIN: its first read fixes the state every later read sees)."""
        self.connection.execute("BEGIN")
        try:
            yield
        finally:
            if self.connection.in_transaction:
                self.connection.execute("COMMIT")

    def migrate(self, db: sqlite3.Connection, version: int) -> None:
        migrate(db, version)

    def is_read_only_error(self, error: BaseException | None) -> bool:
        return is_read_only_error(error)

    def recovery(self) -> str:
        return recovery_advice(self.path)

    def close(self) -> None:
        self.connection.close()
