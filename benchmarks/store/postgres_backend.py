"""A team's engine: a PostgreSQL database named by a ``postgresql://`` URL (psycopg 3), for stores that several
machines write at once (multi-node torchrun), where SQLite on a network filesystem is not safe.

The store's files (media, features) are content-addressed files in a folder every node can reach, named apart
from the URL (``--media DIR``).  Writes keep SQLite's single-writer semantics: every write transaction first takes
one transaction-level advisory lock of the database, so a read-then-write (resume or start a run; create the
tables) runs alone, exactly as under SQLite's ``BEGIN IMMEDIATE``; reads run in autocommit and see every committed
write.  Connection and server problems become a StoreError naming the URL (password hidden) and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.store.schema import postgres_sql, table_columns
from benchmarks.store.store_urls import EXPECTED_URL, redacted
from nextgpt.core.errors import StoreError

#: the advisory lock every write transaction takes (any constant; per database)
_WRITER_LOCK = 0x6E657874677074
_CONNECT_TIMEOUT_S = 10


def _written_fields(sql: str, count: int) -> tuple[str, list[str]]:
    """The table an INSERT or UPDATE of the store writes, and the fields its ``count`` placeholders fill (where
    the statement shows them one for one; else "value N")."""
    words = sql.split()
    verb = "INTO" if "INTO" in words else "UPDATE" if "UPDATE" in words else None
    table = words[words.index(verb) + 1] if verb else "?"
    if verb == "UPDATE":
        fields = re.findall(r"(\w+)=\?", sql)
    elif f"{table} (" in sql:
        fields = sql.split("(", 2)[1].split(")", 1)[0].split(", ")
    else:
        fields = list(table_columns().get(table, ()))
    return table, fields if len(fields) == count else [f"value {n + 1}" for n in range(count)]


def refuse_nul_text(sql: str, parameters: Sequence[Any]) -> None:
    """PostgreSQL's text cannot hold the NUL character (SQLite's can): refuse such a value with a StoreError
    naming the table and the field, before the server is asked (psycopg would raise a bare DataError)."""
    for position, value in enumerate(parameters):
        if isinstance(value, str) and "\x00" in value:
            table, fields = _written_fields(sql, len(parameters))
            raise StoreError(f"{table}.{fields[position]} holds text with a NUL character (\\x00), which a "
                             f"PostgreSQL store cannot hold: {value[:60]!r}; keep this in a store folder (SQLite), "
                             "or remove the NUL from the text")


class Row:
    """A result row read like ``sqlite3.Row``: by position or by column name, ``keys()``, ``dict(row)``."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: Sequence[str], values: Sequence[Any]) -> None:
        self._names, self._values = tuple(names), tuple(values)

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._names.index(key) if isinstance(key, str) else key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = [column.name for column in cursor.description or ()]
    return lambda values: Row(names, values)


class PostgresBackend:
    """The database at ``url``; the store's files in ``media`` (None: a store opened only to read its rows, whose
    file accesses are refused with the fix)."""

    dialect = "postgresql"

    def __init__(self, url: str, media: Path | None) -> None:
        self.path = redacted(url)
        self.files = media
        try:
            import psycopg
        except ImportError as error:  # a pinned dependency; only a broken environment lacks it
            raise StoreError(f"--store {self.path} is a PostgreSQL store, which needs the psycopg package "
                             f"({error}); reinstall nextgpt-bench") from error
        self._errors = psycopg.errors
        self._psycopg = psycopg
        with self.guard():
            try:
                self.connection = psycopg.connect(url, autocommit=True, row_factory=_row_factory,
                                                  connect_timeout=_CONNECT_TIMEOUT_S)
            except psycopg.ProgrammingError as error:  # libpq refuses the URL itself (a bad option, port)
                raise StoreError(f"--store {self.path} is not a PostgreSQL URL psycopg can use ("
                                 f"{' '.join(str(error).split())}); expected {EXPECTED_URL}") from error

    def tables(self) -> set[str]:
        rows = self.connection.execute("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = current_schema()").fetchall()
        return {str(row[0]) for row in rows}

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        refuse_nul_text(sql, parameters)
        return self.connection.execute(postgres_sql(sql), tuple(parameters))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Each row checked as it is sent (``rows`` may be a generator: 30,000 item scores are never all in memory
        as rows); a refused row aborts the transaction it is in, so nothing of it is written."""
        def checked(row: Sequence[Any]) -> tuple[Any, ...]:
            refuse_nul_text(sql, row)
            return tuple(row)

        with self.connection.cursor() as cursor:
            cursor.executemany(postgres_sql(sql), (checked(row) for row in rows))

    @contextmanager
    def guard(self) -> Iterator[None]:
        """PostgreSQL's errors about the server, the connection or the user's rights as StoreError; any other
        (a query the server refuses) is a bug and propagates."""
        try:
            yield
        except self._psycopg.Error as error:
            problem = self._problem(error)
            if problem is None:
                raise
            raise problem from error

    def _problem(self, error: Exception) -> StoreError | None:
        detail = "PostgreSQL: " + " ".join(str(error).split())
        errors = self._errors
        if isinstance(error, errors.InsufficientPrivilege | errors.ReadOnlySqlTransaction):
            return StoreError(f"results store {self.path} is read-only for this user ({detail}); writing a run "
                              "needs INSERT, UPDATE, DELETE and CREATE rights on the database: grant them, or pass "
                              "another --store")
        if isinstance(error, self._psycopg.IntegrityError):
            return StoreError(f"results store {self.path} refuses rows that break its constraints ({detail}); "
                              "the rows were not written (a copy of a store written by hand, or damaged?)")
        if isinstance(error, errors.DiskFull):
            return StoreError(f"results store {self.path} cannot grow: the server's disk is full ({detail}); free "
                              "space and rerun (the run resumes)")
        if isinstance(error, self._psycopg.OperationalError):
            return StoreError(f"results store {self.path} cannot be reached ({detail}); check that the server is "
                              "running and that the URL's host, port, user, password and database are right, then "
                              "rerun (a run resumes)")
        return None

    @contextmanager
    def transaction(self) -> Iterator[PostgresBackend]:
        with self.connection.transaction():
            self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITER_LOCK,))
            yield self

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction that sees one state of the database (REPEATABLE READ): rows read inside it name
        only rows read inside it, whatever is written meanwhile."""
        with self.connection.transaction():
            self.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield

    def migrate(self, db: PostgresBackend, version: int) -> None:
        """Schema 4 -> 5 adds ``feature_chunks`` alone, which the schema's statements have just created (with
        schema 6's ``item_rows``); 5 -> 6 adds ``item_rows`` to a table of schema 5.  PostgreSQL stores began at
        schema 4, so no other version is a store's."""
        if version in (4, 5):
            db.execute('ALTER TABLE feature_chunks ADD COLUMN IF NOT EXISTS item_rows TEXT COLLATE "C"')
            return
        raise StoreError(f"results store {self.path} has schema version {version}; PostgreSQL stores are made at "
                         "the current version and never need migrating (was the database written by hand?); "
                         "pass another --store database")

    def is_read_only_error(self, error: BaseException | None) -> bool:
        return isinstance(error, self._errors.InsufficientPrivilege | self._errors.ReadOnlySqlTransaction)

    def recovery(self) -> str:
        return "it is left as it is; pass another --store database (or drop this one's tables to start anew)"

    def close(self) -> None:
        self.connection.close()
