"""The results store: a SQL database (the embedded SQLite file by default, or a team's PostgreSQL server) plus
content-addressed media files.  The schema is in :mod:`benchmarks.store.schema`.

Every write is one transaction; media files are written (atomically) before the row that names them, so a crash
at any point leaves either a complete record or none, never half of one.  ``run_samples`` has a primary key per
(run, task, sample, turn): a resumed run cannot count a sample twice.  ``metric_values`` rows are read back as
typed :class:`StoredMetric`; SQLite stores of schema 2 are migrated when opened, or, when they cannot be written,
read as they are (``sqlite_migrations``).  A store of schema 3 or older has no ``skipped_tasks``: its runs read as
skipping nothing.

A run is ``running`` while it runs, ``complete`` when every task was scored, ``failed`` (with the error text)
when an exception stopped it; a crashed run stays ``running``.  Rerunning the same command resumes a running or
failed run.  The SQLite store refuses a file that is not one (empty, another SQLite database, damaged, truncated)
before writing anything into it, and says how to recover; such a file is never overwritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.store.feature_chunks import (
    ChunkSource,
    FeatureChunk,
    check_side,
    chunk_file,
    counts_from_json,
    counts_json,
    items_from_json,
    items_json,
    rows_bytes,
    rows_from_bytes,
)
from benchmarks.store.postgres_backend import PostgresBackend
from benchmarks.store.records import (
    FEATURE_SIDES,
    FeatureRows,
    FeatureSide,
    Generation,
    StoredMedia,
    StoredMetric,
    feature_path,
    generation_from_row,
    result_json,
    write_atomically,
    write_atomically_with,
)
from benchmarks.store.schema import (
    MAX_ERROR_CHARS,
    SCHEMA_VERSION,
    primary_keys,
    table_columns,
    table_name,
    table_statements,
)
from benchmarks.store.sqlite_backend import SqliteBackend
from benchmarks.store.sqlite_migrations import READ_AS_IT_IS, schema_2_metric_values
from benchmarks.store.store_urls import is_postgres_url
from metrics.provenance import MetricResult
from nextgpt.core.errors import NextGPTError, StoreError

Backend = SqliteBackend | PostgresBackend


def _number(value: float | None) -> float | None:
    """A score as stored: NaN (no value) as NULL on both engines (SQLite turns NaN into NULL by itself;
    PostgreSQL would keep a NaN, and the engines would read back differently)."""
    return None if value is None or math.isnan(value) else value


class _ProbeDone(Exception):
    """Ends the write probe of ``require_writable`` (its transaction is rolled back)."""


class ResultsStore:
    """``ResultsStore(folder)`` opens (or creates) ``folder/results.sqlite`` and ``folder/media/``;
    ``ResultsStore("postgresql://user@host/db", media=DIR)`` opens (or creates) the store's tables in that
    database, its media and feature files in ``DIR`` (``DIR/media/``, ``DIR/features/``: the same relative paths
    as in a store folder).  Without ``media`` a PostgreSQL store can be read but not given or asked for files.

    ``folder`` is where the store's files are; ``path`` names the database in messages (the SQLite file, or the
    URL without its passwords).  ``create=False`` (the reading commands) refuses a location that holds no store
    instead of making one there; a database whose tables are not a store's is refused either way.  Every database
    error caused by the file, the server or their surroundings
    (damaged, read-only, locked, unreachable, disk full) becomes a :class:`StoreError` naming it and the fix; any
    other error is a bug and propagates as it is."""

    def __init__(self, location: str | Path, *, media: str | Path | None = None, create: bool = True) -> None:
        #: the schema version of a read-only old store that is read as it is (None: the store is of this version)
        self._read_as_version: int | None = None
        self._backend: Backend
        if is_postgres_url(location):
            self._backend = PostgresBackend(str(location), None if media is None else Path(media))
        else:
            if media is not None:
                raise StoreError(f"--media {media} is only for a PostgreSQL store (--store postgresql://...); the "
                                 f"store folder {location} keeps its media inside it: leave --media out")
            self._backend = SqliteBackend(Path(location))
        self.path: Path | str = self._backend.path
        self._open_schema(create)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``"""
        return self._backend.dialect

    @property
    def folder(self) -> Path:
        """The folder of the store's files (media, features, reports)."""
        if self._backend.files is None:
            raise StoreError(f"the PostgreSQL store {self.path} was opened without a media folder, which this needs; "
                             "pass --media DIR, the folder every node writes the store's media into")
        return self._backend.files

    def _open_schema(self, create: bool) -> None:
        """Create the tables of a new store, migrate an old one -- or, when an old SQLite one cannot be written,
        read it as it is (see READ_AS_IT_IS).  A store of this version with every table is only read: a user
        with SELECT rights alone can open it (PostgreSQL checks CREATE rights even for CREATE TABLE IF NOT
        EXISTS of a table that exists)."""
        with self._guard():
            tables = self._backend.tables()
        if "meta" not in tables:
            if tables:
                raise StoreError(f"{self.path} is a database but not a results store (its tables: "
                                 f"{', '.join(sorted(tables)[:10])}; a store has a 'meta' table); it is left as it "
                                 "is: pass another --store (an empty database, or one a run wrote into)")
            if not create:
                raise StoreError(f"no results store in {self.path} (the database has no tables); pass the --store "
                                 "a run wrote into")
        version = self._stored_version()
        if version == SCHEMA_VERSION and set(table_columns()) <= tables:
            return
        if self._backend.dialect == "sqlite" and version in READ_AS_IT_IS and self._read_only():
            self._read_as_version = version
            with self._guard():
                tables = self._backend.tables()
                for statement in table_statements("sqlite"):
                    if table_name(statement) not in tables:  # empty and in memory: the file is not written
                        self._backend.execute(statement.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE"))
            return
        with self.transaction() as db:
            for statement in table_statements(self._backend.dialect):  # type: ignore[arg-type]
                db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                return
            self._migrate(db, str(row["value"]))

    def _stored_version(self) -> int | None:
        """The schema version the store records; None for a new store or an unreadable version (which
        _migrate refuses)."""
        with self._guard():
            if "meta" not in self._backend.tables():
                return None
            row = self._backend.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row is not None and str(row[0]).isdigit() else None

    def _read_only(self) -> bool:
        """Whether the engine refuses writes to the store (a read-only file, folder or mount; ``mode=ro``)."""
        try:
            self.require_writable()
        except StoreError as error:
            if self._backend.is_read_only_error(error.__cause__):
                return True
            raise
        return False

    def _migrate(self, db: Any, stored: str) -> None:
        if not stored.isdigit():
            raise StoreError(f"results store {self.path} has an unreadable schema version {stored!r} (damaged?); "
                             f"{self._backend.recovery()}")
        version = int(stored)
        if version > SCHEMA_VERSION:
            raise StoreError(f"results store {self.path} has schema version {version}; this version of "
                             f"nextgpt-bench reads versions up to {SCHEMA_VERSION}: use a newer nextgpt-bench, or "
                             "pass another --store folder")
        if version == SCHEMA_VERSION:
            return  # no write: a read-only store of this version stays readable
        self._backend.migrate(db, version)
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._backend.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        with self._backend.guard():
            yield

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One write transaction (``db.execute``/``db.executemany`` with ``?`` placeholders); a single writer at a
        time on either engine."""
        if self._read_as_version is not None:
            raise StoreError(f"results store {self.path} is read-only (and of schema {self._read_as_version}, "
                             "written by an older nextgpt-bench: it is read as it is); writing a run needs write "
                             "access to the file and its folder, and migrates the store to schema "
                             f"{SCHEMA_VERSION}: make them writable, or pass another --store folder")
        with self._guard(), self._backend.transaction() as db:
            yield db

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """A read query, with the engine's file and server errors turned into StoreError."""
        with self._guard():
            return self._backend.execute(sql, parameters).fetchall()

    def require_writable(self) -> None:
        """Fail now (StoreError) if the store cannot be written -- before a model is loaded for a run.  A no-op
        write is rolled back: file modes do not show it when running as root or on a read-only mount.  A database
        store also needs its media folder."""
        try:
            with self.transaction() as db:
                db.execute("UPDATE meta SET value=value WHERE key='schema_version'")
                raise _ProbeDone
        except _ProbeDone:
            pass
        folder = self.folder  # a database store opened without --media cannot take a run's files
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the media folder {folder} of the results store {self.path}: "
                             f"{error.strerror or error}; pass another --media folder") from error

    # ---------------------------------------------------------------------------------------------- runs
    def start_or_resume(self, model_fingerprint: str, model: dict[str, Any], settings: dict[str, Any], *,
                        skipped: Mapping[str, str] | None = None) -> tuple[str, bool]:
        """The unfinished (running or failed) run with the same model, settings and skipped tasks (resumed), or a
        new run.  -> (run_id, resumed)

        ``skipped``: task -> why the model cannot do it.  The names of the skipped tasks are part of the run's
        identity (only when there are any, so a run that skips nothing keeps the identity it always had): a model
        that can do more of the same tasks never resumes a run that recorded them as skipped.  The reasons are
        not: a resumed run's reasons and ``model`` description are replaced by this call's, so a label added
        on the resuming command (``run --paper-model``) is kept."""
        skipped = dict(skipped or {})
        problems = [f"{task!r}: {reason!r}" for task, reason in skipped.items()
                    if not isinstance(task, str) or not task or not isinstance(reason, str) or not reason.strip()]
        if problems:
            raise StoreError(f"start_or_resume: skipped tasks must map a task name to a non-empty reason, got "
                             f"{', '.join(problems)}")
        settings_json = json.dumps(settings, sort_keys=True)
        identity = f"{model_fingerprint}\n{settings_json}"
        if skipped:
            identity += f"\nskipped {json.dumps(sorted(skipped))}"
        settings_key = hashlib.sha256(identity.encode()).hexdigest()
        model_json = json.dumps(model, sort_keys=True)
        with self.transaction() as db:
            row = db.execute("SELECT run_id FROM runs WHERE settings_key=? AND status IN ('running', 'failed') "
                             "ORDER BY created DESC LIMIT 1", (settings_key,)).fetchone()
            if row is not None:
                run_id = str(row["run_id"])
                db.execute("UPDATE runs SET status='running', finished=NULL, error=NULL, model=? WHERE run_id=?",
                           (model_json, run_id))
                self._record_skipped(db, run_id, skipped)
                return run_id, True
            base = time.strftime("%Y%m%d-%H%M%S") + "-" + settings_key[:8]
            run_id, suffix = base, 1
            while db.execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone():
                suffix += 1
                run_id = f"{base}.{suffix}"
            db.execute("INSERT INTO runs (run_id, created, finished, status, model_fingerprint, model, settings, "
                       "settings_key, error) VALUES (?, ?, NULL, 'running', ?, ?, ?, ?, NULL)",
                       (run_id, time.time(), model_fingerprint, model_json, settings_json, settings_key))
            self._record_skipped(db, run_id, skipped)
        return run_id, False

    @staticmethod
    def _record_skipped(db: Any, run_id: str, skipped: Mapping[str, str]) -> None:
        db.execute("DELETE FROM skipped_tasks WHERE run_id=?", (run_id,))
        db.executemany("INSERT INTO skipped_tasks VALUES (?, ?, ?)",
                       [(run_id, task, reason) for task, reason in skipped.items()])

    def skipped_tasks(self, run_id: str) -> dict[str, str]:
        """task -> why the run did not run it (the model cannot do it), by task name; empty for a run that skipped
        nothing and for every run of a store older than schema 4."""
        rows = self._rows("SELECT task, reason FROM skipped_tasks WHERE run_id=? ORDER BY task", (run_id,))
        return {str(row["task"]): str(row["reason"]) for row in rows}

    def finish_run(self, run_id: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET status='complete', finished=?, error=NULL WHERE run_id=?",
                       (time.time(), run_id))

    def fail_run(self, run_id: str, error: str) -> None:
        """Mark a run failed with its error text (rerunning the same command resumes it)."""
        if len(error) > MAX_ERROR_CHARS:
            error = "..." + error[-MAX_ERROR_CHARS:]
        with self.transaction() as db:
            db.execute("UPDATE runs SET status='failed', finished=?, error=? WHERE run_id=?",
                       (time.time(), error, run_id))

    def run(self, run_id: str) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM runs WHERE run_id=?", (run_id,))
        if not rows:
            known = [r[0] for r in self._rows("SELECT run_id FROM runs ORDER BY created DESC LIMIT 5")]
            raise StoreError(f"no run {run_id!r} in {self.path}; latest runs: {', '.join(known) or 'none'}")
        out = dict(rows[0])
        try:
            out["model"], out["settings"] = json.loads(out["model"]), json.loads(out["settings"])
        except json.JSONDecodeError as error:
            raise StoreError(f"run {run_id!r} in {self.path} has an unreadable model or settings record (damaged "
                             f"store?): {error}") from error
        return out

    def runs(self) -> list[dict[str, Any]]:
        return [self.run(r[0]) for r in self._rows("SELECT run_id FROM runs ORDER BY created")]

    # ------------------------------------------------------------------------------------ generations
    def cached(self, cache_key: str) -> Generation | None:
        rows = self._rows("SELECT * FROM generations WHERE cache_key=?", (cache_key,))
        return generation_from_row(rows[0]) if rows else None

    def write_media(self, data: bytes, suffix: str, modality: str) -> StoredMedia:
        """Store bytes under ``media/<sha[:2]>/<sha><suffix>`` (atomic; identical content is stored once)."""
        digest = hashlib.sha256(data).hexdigest()
        relative = Path("media") / digest[:2] / f"{digest}{suffix}"
        self._write_content_file(relative, data)
        return StoredMedia(modality, digest, relative.as_posix())

    def _write_content_file(self, relative: Path, data: bytes) -> None:
        """Write a content-addressed file of the store (atomically; an existing one holds the same bytes)."""
        target = self.folder / relative
        if target.is_file():
            return
        try:
            write_atomically(target, data)
        except OSError as error:
            raise StoreError(f"cannot write {target} into the results store {self.folder}: "
                             f"{error.strerror or error}; make the folder writable or free space, then rerun "
                             "(the run resumes)") from error

    def record(self, run_id: str, generation: Generation) -> None:
        """Add a generation to the cache (if new) and to the run, in one transaction."""
        with self.transaction() as db:
            db.execute("INSERT INTO generations VALUES (?, (SELECT model_fingerprint FROM runs WHERE run_id=?), "
                       "?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       (generation.cache_key, run_id, generation.task, generation.sample_id, generation.turn,
                        generation.seed, generation.text,
                        json.dumps([dataclasses.asdict(m) for m in generation.media]),
                        json.dumps(list(generation.signal_runs)), generation.seconds, time.time()))
            db.execute("INSERT INTO run_samples VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       (run_id, generation.task, generation.sample_id, generation.turn, generation.cache_key))

    def recorded(self, run_id: str, task: str) -> dict[tuple[str, int], Generation]:
        runs_read: dict[str, tuple[dict[str, Any], ...]] = {}
        with self._guard():  # row by row from the cursor: a task's 30,000 rows are never all in memory as rows
            cursor = self._backend.execute("SELECT g.* FROM run_samples r JOIN generations g ON g.cache_key = "
                                           "r.cache_key WHERE r.run_id=? AND r.task=?", (run_id, task))
            return {(row["sample_id"], int(row["turn"])): generation_from_row(row, runs_read) for row in cursor}

    def sample_ids(self, run_id: str) -> dict[str, set[str]]:
        """task -> ids of the samples the run recorded"""
        out: dict[str, set[str]] = {}
        for row in self._rows("SELECT DISTINCT task, sample_id FROM run_samples WHERE run_id=?", (run_id,)):
            out.setdefault(row[0], set()).add(row[1])
        return out

    def mean_generation_seconds(self, run_id: str) -> dict[str, float]:
        """task -> mean seconds per generated output (as timed when it was generated)"""
        rows = self._rows("SELECT r.task, AVG(g.seconds) FROM run_samples r JOIN generations g "
                          "ON g.cache_key = r.cache_key WHERE r.run_id=? GROUP BY r.task ORDER BY r.task",
                          (run_id,))
        return {str(task): float(seconds) for task, seconds in rows if seconds is not None}

    def media_path(self, media: StoredMedia) -> Path:
        return self.folder / media.path

    # -------------------------------------------------------------------------------------------- scores
    def save_scores(self, run_id: str, task: str, results: Sequence[MetricResult],
                    per_sample: Mapping[str, Mapping[str, float | None]], *,
                    counts: Mapping[str, int] | None = None) -> None:
        """Replace the task's metrics and per-sample scores.  Each result is named by the task's metric key.
        ``counts``: metric key -> the n its value is over, where that is not the result's
        ``provenance.n_samples`` (FAD is over clips, its n_samples counts 0.96 s examples); else n_samples,
        or 0 when the result has none."""
        counts = counts or {}
        unknown = sorted(set(counts) - {result.name for result in results})
        if unknown:
            raise StoreError(f"save_scores({task!r}): counts for {', '.join(unknown)}, which are not among the "
                             "results; expected counts only for the metrics being saved")
        with self.transaction() as db:
            db.execute("DELETE FROM metric_values WHERE run_id=? AND task=?", (run_id, task))
            db.execute("DELETE FROM sample_scores WHERE run_id=? AND task=?", (run_id, task))
            for result in results:
                stored = StoredMetric(task, result, counts.get(result.name, result.provenance.n_samples or 0))
                low, high = stored.ci or (None, None)
                db.execute("INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (run_id, task, stored.metric, _number(stored.value), _number(low), _number(high),
                            stored.n, result_json(result)))
            for metric, scores in per_sample.items():
                db.executemany("INSERT INTO sample_scores VALUES (?, ?, ?, ?, ?)",
                               ((run_id, task, sample, metric, _number(score)) for sample, score in scores.items()))

    def metric_values(self, run_id: str) -> list[StoredMetric]:
        """The run's task metrics, by task and metric key."""
        if self._read_as_version == 2:
            return self._schema_2_metric_values(run_id)
        rows = self._rows("SELECT task, metric, n, result FROM metric_values WHERE run_id=? ORDER BY task, metric",
                          (run_id,))
        out = []
        for row in rows:
            try:
                result = MetricResult.from_dict(json.loads(row["result"]), f"{row['task']}/{row['metric']}")
            except (NextGPTError, ValueError) as error:
                raise StoreError(f"metric {row['task']}/{row['metric']} of run {run_id!r} in {self.path} has an "
                                 f"unreadable result record (damaged store?): {error}") from error
            out.append(StoredMetric(row["task"], result, int(row["n"])))
        return out

    def _schema_2_metric_values(self, run_id: str) -> list[StoredMetric]:
        """metric_values of a read-only schema-2 SQLite store: each row converted as the migration would."""
        def failure(where: str, why: str) -> str:
            return (f"cannot read {where} of the read-only schema-{self._read_as_version} results store {self.path}: "
                    f"{why}; the store is left unchanged")

        assert isinstance(self._backend, SqliteBackend)  # only an SQLite store is read as it is
        with self._guard():
            return schema_2_metric_values(self._backend.connection, run_id, failure)

    # ------------------------------------------------------------------------------------- stage timings
    def save_stage_timings(self, run_id: str, task: str, records: dict[str, dict[str, Any]]) -> None:
        """Per-stage timing/memory records of a task (stage name -> JSON-able record; the profiling code
        defines the record's fields).  Replaces the task's earlier records."""
        with self.transaction() as db:
            db.execute("DELETE FROM stage_timings WHERE run_id=? AND task=?", (run_id, task))
            db.executemany("INSERT INTO stage_timings VALUES (?, ?, ?, ?)",
                           [(run_id, task, stage, json.dumps(record, sort_keys=True, default=str))
                            for stage, record in records.items()])

    def stage_timings(self, run_id: str) -> dict[str, dict[str, dict[str, Any]]]:
        """task -> stage -> record"""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for row in self._rows("SELECT * FROM stage_timings WHERE run_id=? ORDER BY task, stage", (run_id,)):
            out.setdefault(row["task"], {})[row["stage"]] = json.loads(row["record"])
        return out

    # ------------------------------------------------------------------------------------------- features
    def save_features(self, run_id: str, task: str, side: FeatureSide, features: FeatureRows) -> None:
        """Write ``features`` to ``features/<run>/<task>/<extractor>-<side>.npz`` (atomically) and register it;
        a rescoring replaces the task's earlier file."""
        if side not in FEATURE_SIDES:
            raise StoreError(f"feature side {side!r}; expected one of {', '.join(FEATURE_SIDES)}")
        relative = feature_path(run_id, task, features.extractor, side)
        try:
            digest = write_atomically_with(self.folder / relative, lambda out: np.savez(
                out, rows=features.rows, counts=np.asarray(features.counts, dtype=np.int64),
                sample_ids=np.asarray(features.sample_ids, dtype=np.str_)))
        except OSError as error:
            raise StoreError(f"cannot write {self.folder / relative} into the results store {self.folder}: "
                             f"{error.strerror or error}; make the folder writable or free space, then rerun "
                             "(the run resumes)") from error
        with self.transaction() as db:
            db.execute("INSERT INTO feature_sets VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, task, extractor, "
                       "side) DO UPDATE SET path=excluded.path, sha256=excluded.sha256, "
                       "weights_sha256=excluded.weights_sha256",
                       (run_id, task, features.extractor, side, relative.as_posix(),
                        digest, features.weights_sha256))

    def features(self, run_id: str, task: str, extractor: str, side: FeatureSide) -> FeatureRows:
        """The feature rows saved by :meth:`save_features`; StoreError naming the run, task and what is stored
        when there are none, or when the file is missing or changed since it was written."""
        rows = self._rows("SELECT * FROM feature_sets WHERE run_id=? AND task=? AND extractor=? AND side=?",
                          (run_id, task, extractor, side))
        if not rows:
            stored = [f"{r['extractor']}/{r['side']}" for r in self._rows(
                "SELECT extractor, side FROM feature_sets WHERE run_id=? AND task=?", (run_id, task))]
            raise StoreError(f"run {run_id!r} task {task!r} has no stored {side} features of {extractor} in "
                             f"{self.path} (stored: {', '.join(stored) or 'none'}; a run stored before features "
                             "were (schema 3) has none: rerun the same `nextgpt-bench run` command, which makes a "
                             "new run whose outputs come from the generation cache and whose features are stored, "
                             "and compare or gate that run's id in its place)")
        path = self.folder / rows[0]["path"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise StoreError(f"cannot read the feature file {path} of run {run_id!r} task {task!r}: "
                             f"{error.strerror or error}") from error
        if hashlib.sha256(data).hexdigest() != rows[0]["sha256"]:
            raise StoreError(f"feature file {path} of run {run_id!r} task {task!r} changed since it was written "
                             "(its sha256 differs from the store's record); rerun the same `nextgpt-bench run` "
                             "command, which makes a new run whose outputs come from the generation cache and "
                             "whose features are stored, and compare or gate that run's id in its place")
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return FeatureRows(extractor, rows[0]["weights_sha256"], tuple(str(s) for s in archive["sample_ids"]),
                               tuple(int(c) for c in archive["counts"]), archive["rows"])

    def save_feature_chunk(self, run_id: str, task: str, side: FeatureSide, index: int, chunk: FeatureChunk) -> None:
        """Keep the rows of chunk ``index`` of a side (the file first, atomically, then its row; a chunk
        extracted again replaces the row)."""
        check_side(side)
        data = rows_bytes(chunk.rows)
        digest = hashlib.sha256(data).hexdigest()
        relative = chunk_file(digest)
        self._write_content_file(relative, data)
        with self.transaction() as db:
            db.execute("INSERT INTO feature_chunks (run_id, task, extractor, side, chunk, weights_sha256, input_size, "
                       "items, path, sha256, item_rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, "
                       "task, extractor, side, chunk) DO UPDATE SET weights_sha256=excluded.weights_sha256, "
                       "input_size=excluded.input_size, items=excluded.items, path=excluded.path, "
                       "sha256=excluded.sha256, item_rows=excluded.item_rows",
                       (run_id, task, chunk.extractor, side, index, chunk.weights_sha256, chunk.input_size,
                        items_json(chunk.items), relative.as_posix(), digest, counts_json(chunk.counts)))

    def feature_chunk(self, run_id: str, task: str, extractor: str, side: FeatureSide, index: int,
                      matching: ChunkSource | None = None) -> FeatureChunk | None:
        """Chunk ``index`` as :meth:`save_feature_chunk` kept it; None when there is none, when it was made from
        another source than ``matching`` (where given: compared before the rows file is read, so a chunk that
        cannot be used costs no read), or when its file is missing or changed since (the caller extracts the rows
        again).  StoreError naming the chunk when its row counts do not fit its rows (a damaged store)."""
        rows = self._rows("SELECT * FROM feature_chunks WHERE run_id=? AND task=? AND extractor=? AND side=? AND "
                          "chunk=?", (run_id, task, extractor, side, index))
        if not rows:
            return None
        row = rows[0]
        where = f"feature chunk {index} ({extractor}, {side}) of run {run_id!r} task {task!r} in {self.path}"
        source = ChunkSource(row["weights_sha256"], row["input_size"], items_from_json(row["items"], where))
        if matching is not None and source != matching:
            return None
        try:
            data = (self.folder / row["path"]).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            return None
        counts = counts_from_json(row["item_rows"] if "item_rows" in row.keys() else None, where)  # noqa: SIM118
        try:
            return FeatureChunk.of(extractor, source, rows_from_bytes(data), counts)
        except StoreError as error:
            raise StoreError(f"{where}: {error} (damaged store?)") from error

    def sample_scores(self, run_id: str, task: str) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for row in self._rows("SELECT * FROM sample_scores WHERE run_id=? AND task=?", (run_id, task)):
            out.setdefault(row["metric"], {})[row["sample_id"]] = row["value"]
        return out

    # ------------------------------------------------------------------------------------------- copying
    def table_rows(self, table: str, run_id: str | None = None) -> list[tuple[Any, ...]]:
        """Every row of ``table`` (only run ``run_id``'s, where given), its columns in schema order, ordered by
        primary key: the same list from either engine for the same content (``benchmarks.store.copy``)."""
        columns, key = table_columns()[table], primary_keys()[table]
        if self._read_as_version is not None:
            raise StoreError(f"results store {self.path} is of schema {self._read_as_version} and read-only: it is "
                             f"read as it is, and cannot be copied; copy a writable one (opening it migrates it to "
                             f"schema {SCHEMA_VERSION})")
        where = " WHERE run_id=?" if run_id is not None else ""
        rows = self._rows(f"SELECT {', '.join(columns)} FROM {table}{where} ORDER BY {', '.join(key)}",
                          () if run_id is None else (run_id,))
        return [tuple(row) for row in rows]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the store (one read transaction: REPEATABLE READ on PostgreSQL, one BEGIN
        on SQLite), so rows read together never name rows written after the first of them was read."""
        with self._guard(), self._backend.snapshot():
            yield

    def run_generation_rows(self, run_id: str) -> list[tuple[Any, ...]]:
        """The ``generations`` rows run ``run_id``'s samples name (as :meth:`table_rows` gives them)."""
        columns = table_columns()["generations"]
        rows = self._rows(f"SELECT {', '.join(columns)} FROM generations WHERE cache_key IN (SELECT cache_key FROM "
                          "run_samples WHERE run_id=?) ORDER BY cache_key", (run_id,))
        return [tuple(row) for row in rows]

    def insert_rows(self, db: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Add rows of ``table`` (columns in schema order) inside the open transaction ``db``; a row whose primary
        key is present is left as it is."""
        columns = table_columns()[table]
        if rows:
            db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                           "ON CONFLICT DO NOTHING", rows)
