"""The results store: one SQLite file plus content-addressed media files beside it.

Tables: ``runs`` (model fingerprint, settings, status, the error of a failed run), ``generations`` (the
generation cache, shared by all runs: one row per model output, keyed by a hash of everything that determines it),
``run_samples`` (which generations a run used), ``sample_scores`` (per-sample metric values) and
``metric_values`` (one row per task metric: ``result`` holds the metric library's ``MetricResult.to_dict()``,
value/CI/n beside it for SQL queries; read back as typed :class:`StoredMetric`; stores of schema 2 are migrated
by :func:`legacy_result` when opened, or, when they cannot be written, read as they are with each row converted by
it on reading).  Every write is one transaction; media files are written (atomically) before the row
that names them, so a crash at any point leaves either a complete record or none, never half of one.
``run_samples`` has a primary key per (run, task, sample, turn): a resumed run cannot count a sample twice.
``skipped_tasks`` (schema 4) keeps the selected tasks a run did not run because the model cannot do them, each
with its reason; a store of schema 3 or older has none, and its runs read as skipping nothing.

A run is ``running`` while it runs, ``complete`` when every task was scored, ``failed`` (with the error text)
when an exception stopped it; a crashed run stays ``running``.  Rerunning the same command resumes a running or
failed run.  The store refuses a file that is not one (empty, another SQLite database, damaged, truncated)
before writing anything into it, and says how to recover; such a file is never overwritten.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import math
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from metrics.defaults import BOOTSTRAP_CONFIDENCE
from metrics.provenance import ConfidenceInterval, MetricResult, Provenance
from nextgpt.core.errors import NextGPTError, StoreError

SCHEMA_VERSION = 4
#: an SQL statement, or a function of the open transaction (for rewrites SQL cannot express)
Migration = str | Callable[[sqlite3.Connection], None]
RUN_STATUSES = ("running", "complete", "failed")
#: longest error text kept with a failed run (a traceback-sized message is cut, its end kept)
MAX_ERROR_CHARS = 4000
_SCHEMA = """
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
"""
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_HEADER_BYTES = 100


def _recovery(path: Path) -> str:
    return (f"it is left as it is; move it away (e.g. `mv {path} {path}.broken`) to start a new store there, or "
            "pass another --store folder")


def _header_problem(header: bytes, size: int) -> str | None:
    """Why the first bytes of a file (and its size) are not those of an SQLite database; None if they are.
    The in-header page count is only trusted when SQLite marks it valid (offset 92 equals the change counter)."""
    if len(header) < _SQLITE_HEADER_BYTES or not header.startswith(_SQLITE_MAGIC):
        return f"it does not start with the SQLite header (first bytes: {header[:16]!r})"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counter_valid = header[24:28] == header[92:96]
    if counter_valid and pages and size < pages * page_size:
        return f"it is truncated: {size} bytes, its header says {pages} pages of {page_size} bytes"
    return None


def check_database_file(path: Path) -> None:
    """Refuse (StoreError) a ``results.sqlite`` that exists but cannot be a results store -- before SQLite opens
    it, since SQLite would silently turn an empty file into a new database."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_dir():
        raise StoreError(f"results store {path} is a folder, expected the SQLite file of a results store; "
                         "pass another --store folder")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(_SQLITE_HEADER_BYTES)
    except OSError as error:
        raise StoreError(f"cannot read results store {path}: {error.strerror or error}; check its permissions "
                         "or pass another --store folder") from error
    if size == 0:
        raise StoreError(f"results store {path} is empty (0 bytes): it is not a results store (an interrupted "
                         f"copy?); {_recovery(path)}")
    problem = _header_problem(header, size)
    if problem:
        raise StoreError(f"results store {path} is not a results store or is damaged: {problem}; "
                         f"{_recovery(path)}")


#: SQLite result codes (``sqlite3.Error.sqlite_errorname``, extended codes start with these) -> what to say
_SQLITE_PROBLEMS = {
    "SQLITE_READONLY": "is read-only ({detail}); writing a run needs write access to the file and its folder: "
                       "make them writable, or pass another --store folder",
    "SQLITE_CORRUPT": "is damaged ({detail}); {recovery}",
    "SQLITE_NOTADB": "is not a results store or is damaged ({detail}); {recovery}",
    "SQLITE_CANTOPEN": "cannot be opened ({detail}); check that its folder exists and is writable, or pass "
                       "another --store folder",
    "SQLITE_FULL": "cannot grow: the disk is full ({detail}); free space and rerun (the run resumes)",
    "SQLITE_IOERR": "could not be read or written ({detail}: an I/O error of the disk or file system); "
                    "rerun when it is fixed (the run resumes)",
    "SQLITE_BUSY": "stayed locked by another process for 60 s ({detail}); rerun when it has finished",
    "SQLITE_LOCKED": "stayed locked by another process for 60 s ({detail}); rerun when it has finished",
    "SQLITE_PERM": "cannot be accessed ({detail}); check its permissions, or pass another --store folder",
}


def store_problem(path: Path, error: sqlite3.Error) -> StoreError | None:
    """The user-facing StoreError for an SQLite error caused by the file or its environment (read-only, damaged,
    locked, disk full...); None for any other SQLite error, which is a bug and must stay one."""
    code = str(getattr(error, "sqlite_errorname", "") or "")
    for prefix, message in _SQLITE_PROBLEMS.items():
        if code == prefix or code.startswith(prefix + "_"):
            text = message.format(detail=f"SQLite: {error}", recovery=_recovery(path))
            return StoreError(f"results store {path} {text}")
    return None


def _connect(path: Path) -> sqlite3.Connection:
    """The store's connection (a seam for tests that need a read-only database: root ignores file modes)."""
    return sqlite3.connect(path, timeout=60.0, isolation_level=None)


def _make_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"--store {folder} is a file, expected the folder that holds (or will hold) "
                         "results.sqlite; pass a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create the results store folder {folder}: {error.strerror or error}; pass "
                         "another --store folder") from error


@dataclass(frozen=True)
class StoredMedia:
    modality: str
    sha256: str
    #: path relative to the store folder
    path: str


@dataclass(frozen=True)
class Generation:
    """One cached model output."""

    cache_key: str
    task: str
    sample_id: str
    turn: int
    seed: int
    text: str
    media: tuple[StoredMedia, ...]
    signal_runs: tuple[dict[str, Any], ...]
    seconds: float


@dataclass(frozen=True)
class StoredMetric:
    """One task metric as the store keeps it: the metric library's typed result, named by the task's metric key
    (``clip_t`` even when the CLIP score metric computed it), and ``n``, the count the value is over (samples;
    frames for FID over videos; clips for FAD), as ``save_scores`` was given it."""

    task: str
    result: MetricResult
    n: int

    @property
    def metric(self) -> str:
        return self.result.name

    @property
    def value(self) -> float | None:
        """None when the metric could not be computed (never the NaN an unavailable result carries)."""
        return self.result.value if self.result.available else None

    @property
    def ci(self) -> tuple[float, float] | None:
        interval = self.result.ci
        return None if interval is None else (interval.low, interval.high)


#: the fields of the harness's own mean-metric provenance record before results were typed
_MEAN_METRIC_FIELDS = ("metric", "n_samples", "definition", "seed")


def legacy_result(metric: str, value: float | None, ci: tuple[float, float] | None, record: Mapping[str, Any],
                  *, resamples: int | None, where: str) -> MetricResult:
    """The typed result of a metric stored before results were typed (schema-2 stores, snapshot-1 files,
    pytest-benchmark JSON).  Its provenance record came in two shapes: a metric library result
    (``MetricResult.to_dict()``, the provenance nested under ``"provenance"``) or the harness's own mean metrics
    (``signal_rate``, ``mel_distance``...: ``{"metric", "n_samples", "definition", "seed"}``, fields may be
    missing).  This is the one place that tells them apart.  A mean metric's ``definition`` becomes the
    provenance setting ``definition``; its interval's resample count is ``resamples`` (the run's bootstrap
    setting; 0 when the source does not record it).  The result is named ``metric`` (the task's key).  A record
    that fits neither raises a NextGPTError (StoreError, or the metric library's FeatureError) naming ``where``."""
    nested = record.get("provenance")
    if isinstance(nested, Mapping):
        return dataclasses.replace(MetricResult.from_dict(dict(record), where), name=metric)
    unknown = sorted(set(record) - set(_MEAN_METRIC_FIELDS))
    if unknown:
        raise StoreError(f"{where}: neither a metric library result (no \"provenance\" object) nor a mean-metric "
                         f"record (unknown field(s) {', '.join(unknown)}; expected {', '.join(_MEAN_METRIC_FIELDS)})")
    seed = record.get("seed")
    definition = record.get("definition")
    n_samples = record.get("n_samples")
    provenance = Provenance(metric=str(record.get("metric") or metric),
                            n_samples=n_samples if isinstance(n_samples, int) else None,
                            seed=seed if isinstance(seed, int) else None,
                            settings=(("definition", str(definition)),) if definition is not None else ())
    if value is None:
        return MetricResult(metric, math.nan, provenance, available=False,
                            unavailable_reason="stored without a value")
    interval = None if ci is None else ConfidenceInterval(
        float(ci[0]), float(ci[1]), BOOTSTRAP_CONFIDENCE, resamples or 0, provenance.seed or 0)
    return MetricResult(metric, float(value), provenance, interval)


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
                   (_result_json(result), run_id, task, metric))


def _result_json(result: MetricResult) -> str:
    """Keys in ``to_dict`` order: a provenance's settings are ordered, and ``from_dict`` must read them back
    exactly."""
    return json.dumps(result.to_dict(), allow_nan=False)


#: what brings a store of schema version N to N + 1 (old stores stay readable: opening a writable one migrates
#: it; a read-only one of a version in _READ_AS_IT_IS is read without migrating)
_MIGRATIONS: dict[int, tuple[Migration, ...]] = {
    1: ("ALTER TABLE runs ADD COLUMN error TEXT",),  # v2: failed runs keep their error text
    2: (_type_metric_rows,),  # v3: typed metric results
    # v4: the tasks a run skipped (the model cannot do them) and why; _SCHEMA has already created the table
    3: ("CREATE TABLE IF NOT EXISTS skipped_tasks (run_id TEXT NOT NULL, task TEXT NOT NULL, reason TEXT NOT NULL, "
        "PRIMARY KEY (run_id, task))",),
}
#: old schema versions a read-only store (CI artifact, shared mount) of is read as it is: the tables it lacks read
#: as empty, and a schema-2 store's metric rows are converted by legacy_result on reading
_READ_AS_IT_IS = (2, 3)


def _is_read_only_error(error: BaseException | None) -> bool:
    code = str(getattr(error, "sqlite_errorname", "") or "")
    return isinstance(error, sqlite3.Error) and code.startswith("SQLITE_READONLY")


FeatureSide = Literal["generated", "reference"]
FEATURE_SIDES: tuple[FeatureSide, ...] = ("generated", "reference")


@dataclass(frozen=True, eq=False)
class FeatureRows:
    """The feature rows one side of a set metric (FID, FAD) was computed from, grouped by sample: sample
    ``sample_ids[i]`` owns the next ``counts[i]`` rows (one per image, per video frame, per 0.96 s audio
    example), in the order the extractor saw them."""

    extractor: str
    #: sha256 of the extractor's weights (None for seeded toy networks)
    weights_sha256: str | None
    sample_ids: tuple[str, ...]
    counts: tuple[int, ...]
    #: (sum(counts), feature dimension), as the extractor returned them
    rows: np.ndarray

    def __post_init__(self) -> None:
        if len(self.sample_ids) != len(self.counts) or sum(self.counts) != len(self.rows):
            raise StoreError(f"feature rows of {self.extractor}: {len(self.sample_ids)} sample ids, "
                             f"{len(self.counts)} counts summing to {sum(self.counts)} and {len(self.rows)} rows; "
                             "expected one count per sample id and one row per counted item")

    def by_sample(self) -> dict[str, np.ndarray]:
        """sample id -> its rows"""
        parts = np.split(self.rows, np.cumsum(self.counts)[:-1]) if self.counts else []
        return dict(zip(self.sample_ids, parts, strict=True))


class ResultsStore:
    """``ResultsStore(folder)`` opens (or creates) ``folder/results.sqlite`` and ``folder/media/``.

    Every SQLite error caused by the file or its surroundings (damaged, read-only, locked, disk full) becomes a
    :class:`StoreError` naming the file and the fix; any other SQLite error is a bug and propagates as it is."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        #: the schema version of a read-only old store that is read as it is (None: the store is of this version)
        self._read_as_version: int | None = None
        _make_folder(self.folder)
        self.path = self.folder / "results.sqlite"
        check_database_file(self.path)
        with self._guard():
            self._connection = _connect(self.path)
            self._connection.row_factory = sqlite3.Row
            self._refuse_foreign_database()
            try:
                self._connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as error:
                if not _is_read_only_error(error):
                    raise
                # a read-only store keeps its journal mode: it is only read (a write is refused when tried)
            self._connection.execute("PRAGMA synchronous=NORMAL")
        self._open_schema()

    def _refuse_foreign_database(self) -> None:
        """Another program's SQLite database is refused before anything (even the journal mode) is written."""
        tables = {str(row[0]) for row in self._connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "meta" not in tables:
            raise StoreError(f"{self.path} is an SQLite database but not a results store (its tables: "
                             f"{', '.join(sorted(tables))}); {_recovery(self.path)}")

    def _open_schema(self) -> None:
        """Create the tables of a new store, migrate an old one -- or, when an old one cannot be written, read it
        as it is (see _READ_AS_IT_IS)."""
        version = self._stored_version()
        if version in _READ_AS_IT_IS and self._read_only():
            self._read_as_version = version
            with self._guard():
                tables = {str(row[0]) for row in self._connection.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'")}
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    name = statement.split("EXISTS", 1)[1].split("(", 1)[0].strip()
                    if name not in tables:  # empty and in memory: the file is not written
                        self._connection.execute(statement.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE"))
            return
        with self.transaction() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                return
            self._migrate(db, str(row["value"]))

    def _stored_version(self) -> int | None:
        """The schema version the file records; None for a new store or an unreadable version (which
        _migrate refuses)."""
        with self._guard():
            if self._connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
                                        ).fetchone() is None:
                return None
            row = self._connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row is not None and str(row[0]).isdigit() else None

    def _read_only(self) -> bool:
        """Whether SQLite refuses writes to the store (a read-only file, folder or mount; ``mode=ro``)."""
        try:
            self.require_writable()
        except StoreError as error:
            if _is_read_only_error(error.__cause__):
                return True
            raise
        return False

    def _migrate(self, db: sqlite3.Connection, stored: str) -> None:
        if not stored.isdigit():
            raise StoreError(f"results store {self.path} has an unreadable schema version {stored!r} (damaged?); "
                             f"{_recovery(self.path)}")
        version = int(stored)
        if version > SCHEMA_VERSION:
            raise StoreError(f"results store {self.path} has schema version {version}; this version of "
                             f"nextgpt-bench reads versions up to {SCHEMA_VERSION}: use a newer nextgpt-bench, or "
                             "pass another --store folder")
        if version == SCHEMA_VERSION:
            return  # no write: a read-only store of this version stays readable
        while version < SCHEMA_VERSION:
            for step in _MIGRATIONS[version]:
                if isinstance(step, str):
                    db.execute(step)
                else:
                    step(db)
            version += 1
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            problem = store_problem(self.path, error)
            if problem is None:
                raise
            raise problem from error

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self._read_as_version is not None:
            raise StoreError(f"results store {self.path} is read-only (and of schema {self._read_as_version}, "
                             "written by an older nextgpt-bench: it is read as it is); writing a run needs write "
                             "access to the file and its folder, and migrates the store to schema "
                             f"{SCHEMA_VERSION}: make them writable, or pass another --store folder")
        with self._guard():
            db = self._connection
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:  # SQLite may already have rolled back (e.g. after a corrupt page)
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A read query, with SQLite's file errors turned into StoreError."""
        with self._guard():
            return self._connection.execute(sql, parameters).fetchall()

    def require_writable(self) -> None:
        """Fail now (StoreError) if the store cannot be written -- before a model is loaded for a run.  A no-op
        write is rolled back: file modes do not show it when running as root or on a read-only mount."""
        try:
            with self.transaction() as db:
                db.execute("UPDATE meta SET value=value WHERE key='schema_version'")
                raise _ProbeDone
        except _ProbeDone:
            pass

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
    def _record_skipped(db: sqlite3.Connection, run_id: str, skipped: Mapping[str, str]) -> None:
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
        return _generation(rows[0]) if rows else None

    def write_media(self, data: bytes, suffix: str, modality: str) -> StoredMedia:
        """Store bytes under ``media/<sha[:2]>/<sha><suffix>`` (atomic; identical content is stored once)."""
        digest = hashlib.sha256(data).hexdigest()
        relative = Path("media") / digest[:2] / f"{digest}{suffix}"
        target = self.folder / relative
        if not target.is_file():
            try:
                _write_atomically(target, data)
            except OSError as error:
                raise StoreError(f"cannot write {target} into the results store {self.folder}: "
                                 f"{error.strerror or error}; make the folder writable or free space, then rerun "
                                 "(the run resumes)") from error
        return StoredMedia(modality, digest, relative.as_posix())

    def record(self, run_id: str, generation: Generation) -> None:
        """Add a generation to the cache (if new) and to the run, in one transaction."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO generations VALUES (?, (SELECT model_fingerprint FROM runs WHERE "
                       "run_id=?), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (generation.cache_key, run_id, generation.task, generation.sample_id, generation.turn,
                        generation.seed, generation.text,
                        json.dumps([m.__dict__ for m in generation.media]),
                        json.dumps(list(generation.signal_runs)), generation.seconds, time.time()))
            db.execute("INSERT OR IGNORE INTO run_samples VALUES (?, ?, ?, ?, ?)",
                       (run_id, generation.task, generation.sample_id, generation.turn, generation.cache_key))

    def recorded(self, run_id: str, task: str) -> dict[tuple[str, int], Generation]:
        rows = self._rows("SELECT g.* FROM run_samples r JOIN generations g ON g.cache_key = r.cache_key "
                          "WHERE r.run_id=? AND r.task=?", (run_id, task))
        return {(row["sample_id"], int(row["turn"])): _generation(row) for row in rows}

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
                           (run_id, task, stored.metric, stored.value, low, high, stored.n, _result_json(result)))
            for metric, scores in per_sample.items():
                db.executemany("INSERT INTO sample_scores VALUES (?, ?, ?, ?, ?)",
                               [(run_id, task, sample, metric, score) for sample, score in scores.items()])

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
        """metric_values of a read-only schema-2 store: each row converted as the migration would."""
        with self._guard():
            resamples = _bootstrap_settings(self._connection, [run_id]).get(run_id)
            rows = self._connection.execute(
                "SELECT run_id, task, metric, value, ci_low, ci_high, provenance, n FROM metric_values "
                "WHERE run_id=? ORDER BY task, metric", (run_id,)).fetchall()
        def failure(where: str, why: str) -> str:
            return (f"cannot read {where} of the read-only schema-{self._read_as_version} results store {self.path}: "
                    f"{why}; the store is left unchanged")

        return [StoredMetric(row["task"], _schema_2_result(tuple(row)[:7], resamples, failure), int(row["n"]))
                for row in rows]

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
        relative = _feature_path(run_id, task, features.extractor, side)
        buffer = io.BytesIO()
        np.savez(buffer, rows=features.rows, counts=np.asarray(features.counts, dtype=np.int64),
                 sample_ids=np.asarray(features.sample_ids, dtype=np.str_))
        data = buffer.getvalue()
        try:
            _write_atomically(self.folder / relative, data)
        except OSError as error:
            raise StoreError(f"cannot write {self.folder / relative} into the results store {self.folder}: "
                             f"{error.strerror or error}; make the folder writable or free space, then rerun "
                             "(the run resumes)") from error
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO feature_sets VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (run_id, task, features.extractor, side, relative.as_posix(),
                        hashlib.sha256(data).hexdigest(), features.weights_sha256))

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

    def sample_scores(self, run_id: str, task: str) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for row in self._rows("SELECT * FROM sample_scores WHERE run_id=? AND task=?", (run_id, task)):
            out.setdefault(row["metric"], {})[row["sample_id"]] = row["value"]
        return out


def _feature_path(run_id: str, task: str, extractor: str, side: str) -> Path:
    for what, name in (("run id", run_id), ("task", task), ("extractor", extractor)):
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise StoreError(f"cannot name a feature file after {what} {name!r}: expected a non-empty name "
                             "without path separators or a leading dot")
    return Path("features") / run_id / task / f"{extractor}-{side}.npz"


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, target)


class _ProbeDone(Exception):
    """Ends the write probe of ``require_writable`` (its transaction is rolled back)."""


def _generation(row: sqlite3.Row) -> Generation:
    return Generation(
        cache_key=row["cache_key"], task=row["task"], sample_id=row["sample_id"], turn=int(row["turn"]),
        seed=int(row["seed"]), text=row["text"],
        media=tuple(StoredMedia(**m) for m in json.loads(row["media"])),
        signal_runs=tuple(json.loads(row["signal_runs"])), seconds=float(row["seconds"]))
