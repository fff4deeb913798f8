"""Copying a whole results store into another, across engines (SQLite folder <-> PostgreSQL database): what
``nextgpt-bench store migrate SRC DST`` does, so a team can merge what people ran on laptops into its shared
store, or take a shared store home.

Everything is copied: the generation cache with its media files, and every complete run with its samples,
scores, metrics, feature files, stage timings and skipped tasks.  A run still running (or failed) is not copied
but named: copied unfinished, it could never be merged again once finished (its rows would differ); a later copy
takes it once complete.  Each run's rows are read in one read transaction with the generations they name (a run
written meanwhile never yields rows naming generations that were not read), and written in one transaction;
files are copied (their sha256 checked, and that of a file the target already has) before the rows that name
them, so an interrupted copy leaves whole runs only and a rerun finishes it.  A run id already in the target
with the same content is left alone (a rerun copies nothing); with different content it is refused, naming the
run and what differs -- a copy never overwrites a run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.store.records import write_atomically
from benchmarks.store.results_store import ResultsStore
from benchmarks.store.schema import table_columns
from nextgpt.core.errors import StoreError

#: the tables of one run, in the order their rows are written (the run first: the others name it)
RUN_TABLES = ("runs", "run_samples", "sample_scores", "metric_values", "feature_sets", "stage_timings",
              "skipped_tasks", "feature_chunks")
_GENERATIONS_PER_TRANSACTION = 500


@dataclass
class CopySummary:
    copied_runs: list[str] = field(default_factory=list)
    #: runs the target already held with the same content
    present_runs: list[str] = field(default_factory=list)
    #: (run id, status) of the unfinished runs left out
    unfinished_runs: list[tuple[str, str]] = field(default_factory=list)
    new_generations: int = 0
    copied_files: int = 0

    def lines(self, source: object, target: object) -> list[str]:
        return [f"copied {len(self.copied_runs)} run(s) from {source} into {target}"
                + (f": {', '.join(self.copied_runs)}" if self.copied_runs else ""),
                f"{len(self.present_runs)} run(s) were already there with the same content",
                f"{self.new_generations} new cached generation(s), {self.copied_files} file(s) copied",
                *(f"not copied: {run_id} ({status}); a later migrate copies it once it is complete"
                  for run_id, status in self.unfinished_runs)]


def copy_store(source: ResultsStore, target: ResultsStore) -> CopySummary:
    """Copy every generation and run of ``source`` into ``target`` (see the module's docstring)."""
    if source.path == target.path:
        raise StoreError(f"store migrate: the source and the target are the same store ({source.path}); give "
                         "another target")
    summary = CopySummary()
    known = _copy_generations(source, target, summary)
    status_column = table_columns()["runs"].index("status")
    for (run_id, *_rest) in source.table_rows("runs"):
        with source.snapshot():
            rows = {table: source.table_rows(table, run_id) for table in RUN_TABLES}
            generations = source.run_generation_rows(run_id)
        if not rows["runs"]:
            continue  # removed since the list was read
        status = str(rows["runs"][0][status_column])
        if status != "complete":
            summary.unfinished_runs.append((run_id, status))
            continue
        present = target.table_rows("runs", run_id)
        if present:
            _require_same_run(run_id, rows, target)
            summary.present_runs.append(run_id)
            continue
        new = [row for row in generations if row[0] not in known]  # written since the cache was copied
        _copy_generation_files(source, target, new, summary)
        for _run, _task, _extractor, _side, path, sha256, _weights in rows["feature_sets"]:
            summary.copied_files += _copy_file(source, target, path, sha256, f"a feature file of run {run_id!r}")
        for path, sha256 in _files(rows["feature_chunks"], "feature_chunks"):
            summary.copied_files += _copy_file(source, target, path, sha256, f"a feature chunk of run {run_id!r}")
        with target.transaction() as db:
            target.insert_rows(db, "generations", new)
            for table in RUN_TABLES:
                target.insert_rows(db, table, rows[table])
        summary.new_generations += len(new)
        known.update(row[0] for row in new)
        summary.copied_runs.append(run_id)
    return summary


def _files(rows: list[tuple[object, ...]], table: str) -> list[tuple[str, str]]:
    """(path, sha256) of the file each row of ``table`` names."""
    columns = table_columns()[table]
    path, sha256 = columns.index("path"), columns.index("sha256")
    return [(str(row[path]), str(row[sha256])) for row in rows]


def _copy_generations(source: ResultsStore, target: ResultsStore, summary: CopySummary) -> set[object]:
    """The generation cache: each output's media files, then its row (a cache key the target has is kept: the
    key is a hash of everything that determines the output).  -> the cache keys the target now holds"""
    known = {row[0] for row in target.table_rows("generations")}
    new = [row for row in source.table_rows("generations") if row[0] not in known]
    for start in range(0, len(new), _GENERATIONS_PER_TRANSACTION):
        batch = new[start:start + _GENERATIONS_PER_TRANSACTION]
        _copy_generation_files(source, target, batch, summary)
        with target.transaction() as db:
            target.insert_rows(db, "generations", batch)
        summary.new_generations += len(batch)
    return known | {row[0] for row in new}


def _copy_generation_files(source: ResultsStore, target: ResultsStore, rows: list[tuple[object, ...]],
                           summary: CopySummary) -> None:
    media_column = table_columns()["generations"].index("media")
    for row in rows:
        for media in json.loads(str(row[media_column])):
            summary.copied_files += _copy_file(source, target, media["path"], media["sha256"],
                                               f"a medium of cached generation {row[0]}")


def _copy_file(source: ResultsStore, target: ResultsStore, relative: str, sha256: str, what: str) -> int:
    """Copy one of the store's files (same relative path); 1 if copied, 0 if the target has it already."""
    destination = target.folder / relative
    if destination.is_file():
        _require_same_file(destination, sha256, source.folder / Path(relative), what)
        return 0
    origin = source.folder / Path(relative)
    try:
        data = origin.read_bytes()
    except OSError as error:
        raise StoreError(f"store migrate: cannot read {origin}, {what} in {source.path}: "
                         f"{error.strerror or error}; nothing of it was copied") from error
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StoreError(f"store migrate: {origin}, {what} in {source.path}, changed since it was written (its "
                         "sha256 differs from the store's record); nothing of it was copied")
    try:
        write_atomically(destination, data)
    except OSError as error:
        raise StoreError(f"store migrate: cannot write {destination}: {error.strerror or error}; make the folder "
                         "writable or free space, then rerun (the copy resumes)") from error
    return 1


def _require_same_file(destination: Path, sha256: str, origin: Path, what: str) -> None:
    """A file the target already has is kept only when it holds what the source's record says."""
    try:
        held = hashlib.sha256(destination.read_bytes()).hexdigest()
    except OSError as error:
        raise StoreError(f"store migrate: cannot read {destination}, which the target holds for {origin} ({what}): "
                         f"{error.strerror or error}") from error
    if held != sha256:
        raise StoreError(f"store migrate: {destination} (in the target) differs from {origin} ({what}: its sha256 "
                         f"is {held[:12]}..., the store's record {sha256[:12]}...); a copy never overwrites a file: "
                         "remove the target's file if it is damaged, then rerun")


def _require_same_run(run_id: str, rows: dict[str, list[tuple[object, ...]]], target: ResultsStore) -> None:
    for table in RUN_TABLES:
        theirs = target.table_rows(table, run_id)
        if theirs != rows[table]:
            raise StoreError(f"store migrate: run {run_id!r} is already in {target.path} with different content "
                             f"(its {table} rows differ: {len(rows[table])} in the source, {len(theirs)} in the "
                             "target); a copy never overwrites a run: remove it from one of the stores, or copy "
                             "into another store")
