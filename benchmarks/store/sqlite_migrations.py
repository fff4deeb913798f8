"""Old SQLite stores: what brings a store of schema version N to N + 1, and how a read-only old store is read as
it is.  Schema 1 had no error text on failed runs; schema 2 kept ``metric_values.provenance`` in two shapes (a
metric library result, or the harness's own mean-metric record), which schema 3 types as a
``MetricResult.to_dict()`` (``result``); schema 4 added ``skipped_tasks``, 5 ``feature_chunks``, 6 their
``item_rows``.  PostgreSQL stores start at the current
version, so these are SQLite's alone."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.store.records import StoredMetric, legacy_result, result_json
from benchmarks.store.schema import SCHEMA_VERSION
from metrics.provenance import MetricResult
from nextgpt.core.errors import NextGPTError, StoreError

#: an SQL statement, or a function of the open transaction (for rewrites SQL cannot express)
Migration = str | Callable[[sqlite3.Connection], None]


def _bootstrap_settings(db: sqlite3.Connection, run_ids: Sequence[str] | None = None) -> dict[str, int | None]:
    """run id -> the run's bootstrap resample count (None where its settings do not record one)."""
    rows = db.execute("SELECT run_id, settings FROM runs").fetchall() if run_ids is None else [
        row for run_id in run_ids for row in db.execute("SELECT run_id, settings FROM runs WHERE run_id=?",
                                                        (run_id,)).fetchall()]
    resamples: dict[str, int | None] = {}
    for run_id, settings in rows:
        with contextlib.suppress(ValueError, AttributeError):  # unreadable settings: the count is not recorded
            bootstrap = json.loads(settings).get("bootstrap")
            resamples[str(run_id)] = bootstrap if isinstance(bootstrap, int) else None
    return resamples


def _schema_2_result(row: Sequence[Any], resamples: int | None, failure: Callable[[str, str], str]
                     ) -> MetricResult:
    """The typed result of a schema-2 ``metric_values`` row ``(run_id, task, metric, value, ci_low, ci_high,
    provenance)``, through :func:`legacy_result`; a row of neither shape is a StoreError whose message is
    ``failure(where, why)`` (naming the row, why it is refused, what was being done and what became of the
    store)."""
    run_id, task, metric, value, low, high, record = row
    where = f"metric_values row {run_id}/{task}/{metric}"
    try:
        stored = json.loads(record)
        if not isinstance(stored, dict):
            raise TypeError(f"expected a JSON object, got {type(stored).__name__}")
        return legacy_result(metric, value, None if low is None else (low, high), stored, resamples=resamples,
                             where=where)
    except (NextGPTError, ValueError, TypeError) as error:
        raise StoreError(failure(where, f"its provenance {str(record)[:200]!r} is not a stored metric record "
                                        f"({error})")) from error


def _type_metric_rows(db: sqlite3.Connection) -> None:
    """Schema 2 -> 3: ``metric_values.provenance`` (two shapes) becomes ``result``, a MetricResult.to_dict()."""
    columns = {str(row[1]) for row in db.execute("PRAGMA table_info(metric_values)")}
    if "provenance" not in columns:  # the table was created by this version (a schema-1 store had none)
        return
    db.execute("ALTER TABLE metric_values RENAME COLUMN provenance TO result")
    resamples = _bootstrap_settings(db)
    rows = db.execute("SELECT run_id, task, metric, value, ci_low, ci_high, result FROM metric_values").fetchall()
    for row in rows:
        run_id, task, metric = row[0], row[1], row[2]
        result = _schema_2_result(row, resamples.get(run_id), lambda where, why: (
            f"cannot migrate {where} to schema {SCHEMA_VERSION}: {why}; the store is left unchanged"))
        db.execute("UPDATE metric_values SET result=? WHERE run_id=? AND task=? AND metric=?",
                   (result_json(result), run_id, task, metric))


def _add_item_rows(db: sqlite3.Connection) -> None:
    """Schema 5 -> 6: ``feature_chunks.item_rows`` (a store older than 5 has just had the table made with it)."""
    columns = {str(row[1]) for row in db.execute("PRAGMA table_info(feature_chunks)")}
    if "item_rows" not in columns:
        db.execute("ALTER TABLE feature_chunks ADD COLUMN item_rows TEXT")


#: what brings a store of schema version N to N + 1 (old stores stay readable: opening a writable one migrates
#: it; a read-only one of a version in READ_AS_IT_IS is read without migrating)
MIGRATIONS: dict[int, tuple[Migration, ...]] = {
    1: ("ALTER TABLE runs ADD COLUMN error TEXT",),  # v2: failed runs keep their error text
    2: (_type_metric_rows,),  # v3: typed metric results
    # v4: the tasks a run skipped (the model cannot do them) and why; _SCHEMA has already created the table
    3: ("CREATE TABLE IF NOT EXISTS skipped_tasks (run_id TEXT NOT NULL, task TEXT NOT NULL, reason TEXT NOT NULL, "
        "PRIMARY KEY (run_id, task))",),
    # v5: feature rows extracted while a run records its outputs; the schema has already created the table, and
    # a store without it simply has none (its runs are scored by extracting at the end, as before)
    4: (),
    # v6: the rows per item of a feature chunk (video frames, audio examples); NULL in the image chunks before
    5: (_add_item_rows,),
}
#: old schema versions a read-only store (CI artifact, shared mount) of is read as it is: the tables it lacks read
#: as empty, and a schema-2 store's metric rows are converted by legacy_result on reading
READ_AS_IT_IS = (2, 3, 4, 5)


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring the store of schema ``version`` to SCHEMA_VERSION, inside the open transaction ``db``."""
    while version < SCHEMA_VERSION:
        for step in MIGRATIONS[version]:
            if isinstance(step, str):
                db.execute(step)
            else:
                step(db)
        version += 1


def schema_2_metric_values(db: sqlite3.Connection, run_id: str, failure: Callable[[str, str], str]
                           ) -> list[StoredMetric]:
    """metric_values of a read-only schema-2 store: each row converted as the migration would."""
    resamples = _bootstrap_settings(db, [run_id]).get(run_id)
    rows = db.execute("SELECT run_id, task, metric, value, ci_low, ci_high, provenance, n FROM metric_values "
                      "WHERE run_id=? ORDER BY task, metric", (run_id,)).fetchall()
    return [StoredMetric(row["task"], _schema_2_result(tuple(row)[:7], resamples, failure), int(row["n"]))
            for row in rows]
