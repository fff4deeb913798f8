"""The store's tables, written once in SQLite's words, and the few words PostgreSQL needs in their place.

Tables: ``runs`` (model fingerprint, settings, status, the error of a failed run), ``generations`` (the
generation cache, shared by all runs: one row per model output, keyed by a hash of everything that determines it),
``run_samples`` (which generations a run used), ``sample_scores`` (per-sample metric values), ``metric_values``
(one row per task metric: ``result`` holds the metric library's ``MetricResult.to_dict()``, value/CI/n beside it
for SQL queries), ``feature_sets`` (the feature files a set metric was computed from), ``stage_timings`` and
``skipped_tasks`` (schema 4: the selected tasks a run did not run because the model cannot do them, and why),
``feature_chunks`` (schema 5: feature rows extracted while a run records its outputs, one content-addressed file
per chunk of the extractor's batch; see ``feature_chunks.py``; schema 6 adds ``item_rows``, the rows per item of a
chunk of videos or audio clips, NULL in a chunk of schema 5: images, one row each).

Every query of the store is written with SQLite's ``?`` placeholders and the upsert syntax both engines share
(``INSERT ... ON CONFLICT``); :func:`postgres_sql` gives PostgreSQL's placeholders.  In PostgreSQL the columns are
``DOUBLE PRECISION`` (its ``REAL`` is 4 bytes: values would not round-trip), ``BIGINT`` and ``TEXT COLLATE "C"``
(byte order, as SQLite sorts: reports list tasks and metrics in the same order from either engine).
"""

from __future__ import annotations

import re
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]
SCHEMA_VERSION = 6
RUN_STATUSES = ("running", "complete", "failed")
#: longest error text kept with a failed run (a traceback-sized message is cut, its end kept)
MAX_ERROR_CHARS = 4000
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created REAL NOT NULL, finished REAL, status TEXT NOT NULL,
    model_fingerprint TEXT NOT NULL, model TEXT NOT NULL, settings TEXT NOT NULL, settings_key TEXT NOT NULL,
    error TEXT);
CREATE TABLE IF NOT EXISTS generations (
    cache_key TEXT PRIMARY KEY, model_fingerprint TEXT NOT NULL, task TEXT NOT NULL, sample_id TEXT NOT NULL,
    turn INTEGER NOT NULL, seed INTEGER NOT NULL, text TEXT NOT NULL, media TEXT NOT NULL,
    signal_runs TEXT NOT NULL, seconds REAL NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS run_samples (
    run_id TEXT NOT NULL, task TEXT NOT NULL, sample_id TEXT NOT NULL, turn INTEGER NOT NULL,
    cache_key TEXT NOT NULL REFERENCES generations(cache_key),
    PRIMARY KEY (run_id, task, sample_id, turn));
CREATE TABLE IF NOT EXISTS sample_scores (
    run_id TEXT NOT NULL, task TEXT NOT NULL, sample_id TEXT NOT NULL, metric TEXT NOT NULL, value REAL,
    PRIMARY KEY (run_id, task, sample_id, metric));
CREATE TABLE IF NOT EXISTS metric_values (
    run_id TEXT NOT NULL, task TEXT NOT NULL, metric TEXT NOT NULL, value REAL, ci_low REAL, ci_high REAL,
    n INTEGER NOT NULL, result TEXT NOT NULL, PRIMARY KEY (run_id, task, metric));
CREATE TABLE IF NOT EXISTS feature_sets (
    run_id TEXT NOT NULL, task TEXT NOT NULL, extractor TEXT NOT NULL, side TEXT NOT NULL, path TEXT NOT NULL,
    sha256 TEXT NOT NULL, weights_sha256 TEXT, PRIMARY KEY (run_id, task, extractor, side));
CREATE TABLE IF NOT EXISTS stage_timings (
    run_id TEXT NOT NULL, task TEXT NOT NULL, stage TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (run_id, task, stage));
CREATE TABLE IF NOT EXISTS skipped_tasks (
    run_id TEXT NOT NULL, task TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (run_id, task));
CREATE TABLE IF NOT EXISTS feature_chunks (
    run_id TEXT NOT NULL, task TEXT NOT NULL, extractor TEXT NOT NULL, side TEXT NOT NULL, chunk INTEGER NOT NULL,
    weights_sha256 TEXT NOT NULL, input_size TEXT NOT NULL, items TEXT NOT NULL, path TEXT NOT NULL,
    sha256 TEXT NOT NULL, item_rows TEXT, PRIMARY KEY (run_id, task, extractor, side, chunk));
"""
_POSTGRES_TYPES = {"REAL": "DOUBLE PRECISION", "INTEGER": "BIGINT", "TEXT": 'TEXT COLLATE "C"'}


def table_statements(dialect: Dialect) -> list[str]:
    """The ``CREATE TABLE IF NOT EXISTS`` statements of the schema, in the engine's words."""
    statements = [statement.strip() for statement in SCHEMA.split(";") if statement.strip()]
    if dialect == "sqlite":
        return statements
    return [re.sub(r"\b(REAL|INTEGER|TEXT)\b", lambda word: _POSTGRES_TYPES[word.group(1)], statement)
            for statement in statements]


def table_name(statement: str) -> str:
    """The table a ``CREATE TABLE IF NOT EXISTS name (...)`` statement of the schema makes."""
    return statement.split("EXISTS", 1)[1].split("(", 1)[0].strip()


def table_columns() -> dict[str, tuple[str, ...]]:
    """table -> its columns, in the order of the schema (what ``SELECT *`` gives from either engine)."""
    columns: dict[str, tuple[str, ...]] = {}
    for statement in table_statements("sqlite"):
        body = statement.split("(", 1)[1]
        fields = [part.strip().split()[0] for part in re.split(r",\s*(?![^()]*\))", body.rsplit(")", 1)[0])]
        columns[table_name(statement)] = tuple(field for field in fields if field not in ("PRIMARY", "FOREIGN"))
    return columns


def primary_keys() -> dict[str, tuple[str, ...]]:
    """table -> the columns of its primary key."""
    keys: dict[str, tuple[str, ...]] = {}
    for statement in table_statements("sqlite"):
        name = table_name(statement)
        compound = re.search(r"PRIMARY KEY \(([^)]*)\)", statement)
        single = re.search(r"\b(\w+) \w+ PRIMARY KEY", statement)
        assert compound or single, name
        keys[name] = tuple(c.strip() for c in compound.group(1).split(",")) if compound else (single.group(1),)
    return keys


def postgres_sql(sql: str) -> str:
    """A query of the store in PostgreSQL's words: ``%s`` placeholders for SQLite's ``?`` (a literal ``%`` is
    doubled).  The store's queries hold no ``?`` inside a string literal."""
    return sql.replace("%", "%%").replace("?", "%s")
