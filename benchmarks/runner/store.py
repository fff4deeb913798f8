"""The results store: one SQLite file plus content-addressed media files beside it.

Tables: ``runs`` (model fingerprint, settings, status), ``generations`` (the generation cache, shared by all
runs: one row per model output, keyed by a hash of everything that determines it), ``run_samples`` (which
generations a run used), ``sample_scores`` (per-sample metric values) and ``metric_values`` (task metrics with
confidence intervals and provenance).  Every write is one transaction; media files are written (atomically) before
the row that names them, so a crash at any point leaves either a complete record or none, never half of one.
``run_samples`` has a primary key per (run, task, sample, turn): a resumed run cannot count a sample twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.errors import StoreError

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created REAL NOT NULL, finished REAL, status TEXT NOT NULL,
    model_fingerprint TEXT NOT NULL, model TEXT NOT NULL, settings TEXT NOT NULL, settings_key TEXT NOT NULL);
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
    n INTEGER NOT NULL, provenance TEXT NOT NULL, PRIMARY KEY (run_id, task, metric));
CREATE TABLE IF NOT EXISTS stage_timings (
    run_id TEXT NOT NULL, task TEXT NOT NULL, stage TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (run_id, task, stage));
"""


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
class MetricValue:
    task: str
    metric: str
    value: float | None
    ci: tuple[float, float] | None
    n: int
    provenance: dict[str, Any] = field(default_factory=dict)


class ResultsStore:
    """``ResultsStore(folder)`` opens (or creates) ``folder/results.sqlite`` and ``folder/media/``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "results.sqlite"
        self._connection = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        with self.transaction() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row["value"]) != SCHEMA_VERSION:
                raise StoreError(f"results store {self.path} has schema version {row['value']}; this version of "
                                 f"nextgpt-bench reads version {SCHEMA_VERSION}")

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # ---------------------------------------------------------------------------------------------- runs
    def start_or_resume(self, model_fingerprint: str, model: dict[str, Any], settings: dict[str, Any]) -> tuple[
            str, bool]:
        """The unfinished run with the same model and settings (resumed), or a new run.  -> (run_id, resumed)"""
        settings_json = json.dumps(settings, sort_keys=True)
        settings_key = hashlib.sha256(f"{model_fingerprint}\n{settings_json}".encode()).hexdigest()
        with self.transaction() as db:
            row = db.execute("SELECT run_id FROM runs WHERE settings_key=? AND status='running' "
                             "ORDER BY created DESC LIMIT 1", (settings_key,)).fetchone()
            if row is not None:
                return str(row["run_id"]), True
            base = time.strftime("%Y%m%d-%H%M%S") + "-" + settings_key[:8]
            run_id, suffix = base, 1
            while db.execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone():
                suffix += 1
                run_id = f"{base}.{suffix}"
            db.execute("INSERT INTO runs VALUES (?, ?, NULL, 'running', ?, ?, ?, ?)",
                       (run_id, time.time(), model_fingerprint, json.dumps(model, sort_keys=True), settings_json,
                        settings_key))
        return run_id, False

    def finish_run(self, run_id: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET status='complete', finished=? WHERE run_id=?", (time.time(), run_id))

    def run(self, run_id: str) -> dict[str, Any]:
        row = self._connection.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            known = [r[0] for r in self._connection.execute("SELECT run_id FROM runs ORDER BY created DESC LIMIT 5")]
            raise StoreError(f"no run {run_id!r} in {self.path}; latest runs: {', '.join(known) or 'none'}")
        out = dict(row)
        out["model"], out["settings"] = json.loads(out["model"]), json.loads(out["settings"])
        return out

    def runs(self) -> list[dict[str, Any]]:
        return [self.run(r[0]) for r in self._connection.execute("SELECT run_id FROM runs ORDER BY created")]

    # ------------------------------------------------------------------------------------ generations
    def cached(self, cache_key: str) -> Generation | None:
        row = self._connection.execute("SELECT * FROM generations WHERE cache_key=?", (cache_key,)).fetchone()
        return None if row is None else _generation(row)

    def write_media(self, data: bytes, suffix: str, modality: str) -> StoredMedia:
        """Store bytes under ``media/<sha[:2]>/<sha><suffix>`` (atomic; identical content is stored once)."""
        digest = hashlib.sha256(data).hexdigest()
        relative = Path("media") / digest[:2] / f"{digest}{suffix}"
        target = self.folder / relative
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
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
        rows = self._connection.execute(
            "SELECT g.* FROM run_samples r JOIN generations g ON g.cache_key = r.cache_key "
            "WHERE r.run_id=? AND r.task=?", (run_id, task)).fetchall()
        return {(row["sample_id"], int(row["turn"])): _generation(row) for row in rows}

    def sample_ids(self, run_id: str) -> dict[str, set[str]]:
        """task -> ids of the samples the run recorded"""
        out: dict[str, set[str]] = {}
        for row in self._connection.execute("SELECT DISTINCT task, sample_id FROM run_samples WHERE run_id=?",
                                            (run_id,)):
            out.setdefault(row[0], set()).add(row[1])
        return out

    def mean_generation_seconds(self, run_id: str) -> dict[str, float]:
        """task -> mean seconds per generated output (as timed when it was generated)"""
        rows = self._connection.execute(
            "SELECT r.task, AVG(g.seconds) FROM run_samples r JOIN generations g ON g.cache_key = r.cache_key "
            "WHERE r.run_id=? GROUP BY r.task ORDER BY r.task", (run_id,)).fetchall()
        return {str(task): float(seconds) for task, seconds in rows if seconds is not None}

    def media_path(self, media: StoredMedia) -> Path:
        return self.folder / media.path

    # -------------------------------------------------------------------------------------------- scores
    def save_scores(self, run_id: str, task: str, values: list[MetricValue],
                    per_sample: dict[str, dict[str, float | None]]) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM metric_values WHERE run_id=? AND task=?", (run_id, task))
            db.execute("DELETE FROM sample_scores WHERE run_id=? AND task=?", (run_id, task))
            for value in values:
                low, high = value.ci if value.ci else (None, None)
                db.execute("INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (run_id, task, value.metric, value.value, low, high, value.n,
                            json.dumps(value.provenance, sort_keys=True, default=str)))
            for metric, scores in per_sample.items():
                db.executemany("INSERT INTO sample_scores VALUES (?, ?, ?, ?, ?)",
                               [(run_id, task, sample, metric, score) for sample, score in scores.items()])

    def metric_values(self, run_id: str) -> list[MetricValue]:
        rows = self._connection.execute("SELECT * FROM metric_values WHERE run_id=? ORDER BY task, metric",
                                        (run_id,)).fetchall()
        return [MetricValue(r["task"], r["metric"], r["value"],
                            None if r["ci_low"] is None else (r["ci_low"], r["ci_high"]), r["n"],
                            json.loads(r["provenance"])) for r in rows]

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
        for row in self._connection.execute("SELECT * FROM stage_timings WHERE run_id=? ORDER BY task, stage",
                                            (run_id,)):
            out.setdefault(row["task"], {})[row["stage"]] = json.loads(row["record"])
        return out

    def sample_scores(self, run_id: str, task: str) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for row in self._connection.execute("SELECT * FROM sample_scores WHERE run_id=? AND task=?",
                                            (run_id, task)):
            out.setdefault(row["metric"], {})[row["sample_id"]] = row["value"]
        return out


def _generation(row: sqlite3.Row) -> Generation:
    return Generation(
        cache_key=row["cache_key"], task=row["task"], sample_id=row["sample_id"], turn=int(row["turn"]),
        seed=int(row["seed"]), text=row["text"],
        media=tuple(StoredMedia(**m) for m in json.loads(row["media"])),
        signal_runs=tuple(json.loads(row["signal_runs"])), seconds=float(row["seconds"]))
