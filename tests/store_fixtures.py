"""Store fixtures: ``store_spot`` runs a test against each engine of the results store (the embedded SQLite
folder, and a database of a real PostgreSQL server, started once per session, with a shared media folder);
``postgres_server`` is that server.  The tests that need it skip, with the reason, where PostgreSQL is not
installed; where it is, a server that fails to start FAILS them (CI cannot go green without them)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from postgres_server import PostgresServer, unavailable


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (skips, with the reason, where PostgreSQL is not installed; fails
    where it is installed but does not start)."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    server = PostgresServer()
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        server.stop()
        pytest.fail(f"PostgreSQL is installed ({server.binaries}) but could not be started: {error}")
    except BaseException:  # interrupted while starting: leave no server or data folder behind
        server.stop()
        raise
    print(f"\nstarted {server.version} on 127.0.0.1:{server.port}")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a session ended by `timeout` still stops the server
    try:
        yield server
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: pytest then ends the session and runs the fixtures' teardown."""
    raise KeyboardInterrupt(f"signal {signum}")


@dataclass(frozen=True)
class StoreSpot:
    """Where a test's store lives: a folder (SQLite) or a database URL with its media folder (PostgreSQL)."""

    engine: str
    location: str
    media: Path | None

    def open(self) -> Any:
        from benchmarks.store import ResultsStore

        return ResultsStore(self.location, media=self.media)

    def cli(self) -> list[str]:
        """The command-line flags that name this store."""
        return ["--store", self.location, *(["--media", str(self.media)] if self.media else [])]

    def execute(self, *statements: str) -> None:
        """Change the store behind its back (straight through the engine, in one transaction): an older schema,
        a damaged row."""
        if self.engine == "sqlite":
            with sqlite3.connect(Path(self.location) / "results.sqlite", timeout=5) as db:
                for statement in statements:
                    db.execute(statement)
            return
        import psycopg

        with psycopg.connect(self.location) as db:
            for statement in statements:
                db.execute(statement)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a read query, straight from the engine (not through the store); [] before the store exists."""
        if self.engine == "sqlite":
            database = Path(self.location) / "results.sqlite"
            if not database.exists():
                return []
            try:
                with sqlite3.connect(database, timeout=5) as db:
                    return [tuple(row) for row in db.execute(sql).fetchall()]
            except sqlite3.OperationalError:  # the tables are not made yet
                return []
        import psycopg

        with psycopg.connect(self.location, autocommit=True) as db:
            try:
                return [tuple(row) for row in db.execute(sql).fetchall()]
            except psycopg.errors.UndefinedTable:
                return []


@pytest.fixture(params=["sqlite", "postgresql"])
def store_spot(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpot:
    if request.param == "sqlite":
        return StoreSpot("sqlite", str(tmp_path / "store"), None)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return StoreSpot("postgresql", server.database(), tmp_path / "media")
