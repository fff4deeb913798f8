"""Feature chunks in the results store (benchmarks/store/feature_chunks.py), on each engine: a chunk made from
another source is refused before its rows file is read, a damaged chunk's error names it, and older stores (schema
4 without the table, schema 5 without row counts; a read-only schema-5 file) read their chunks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from store_fixtures import StoreSpot

import benchmarks.store as store_module
from benchmarks.store import SCHEMA_VERSION, FeatureChunk, ResultsStore
from benchmarks.store.feature_chunks import ChunkSource
from nextgpt.core.errors import StoreError

SOURCE = ChunkSource("w", "24x24", ("a:1", "b:2"))
#: a video chunk: 2 frames of item a, 3 of item b
CHUNK = FeatureChunk.of("toy", SOURCE, np.arange(10.0).reshape(5, 2), (2, 3))


def test_a_chunk_of_another_source_is_refused_before_its_file_is_read(
        store_spot: StoreSpot, monkeypatch: pytest.MonkeyPatch) -> None:
    store = store_spot.open()
    store.save_feature_chunk("run-1", "t2v", "generated", 0, CHUNK)
    reads: list[Path] = []
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        reads.append(path)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    others = (ChunkSource("other weights", "24x24", SOURCE.items), ChunkSource("w", "32x32", SOURCE.items),
              ChunkSource("w", "24x24", ("a:1", "b:changed")), ChunkSource("w", "24x24", ("a:1",)))
    for other in others:
        assert store.feature_chunk("run-1", "t2v", "toy", "generated", 0, other) is None, other
    assert reads == [], "no rows file read for a chunk that cannot be used"
    read = store.feature_chunk("run-1", "t2v", "toy", "generated", 0, SOURCE)
    assert read is not None and read.counts == (2, 3) and np.array_equal(read.rows, CHUNK.rows)
    assert len(reads) == 1
    assert store.feature_chunk("run-1", "t2v", "toy", "generated", 0) is not None, "no source given: any chunk"


def test_a_damaged_chunk_names_its_run_task_and_index(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    store.save_feature_chunk("run-1", "t2v", "reference", 3, CHUNK)
    store_spot.execute("UPDATE feature_chunks SET item_rows='[2, 2]'")
    with pytest.raises(StoreError, match=r"feature chunk 3 \(toy, reference\) of run 'run-1' task 't2v' in .*: "
                                         r"feature chunk of toy: 2 items with row counts \[2, 2\] and 5 rows"):
        store.feature_chunk("run-1", "t2v", "toy", "reference", 3, SOURCE)


def test_a_schema_4_store_without_chunks_is_migrated_to_keep_them(store_spot: StoreSpot) -> None:
    store_spot.open().close()
    store_spot.execute("DROP TABLE feature_chunks", "UPDATE meta SET value='4' WHERE key='schema_version'")
    store = store_spot.open()
    assert store_spot.query("SELECT value FROM meta WHERE key='schema_version'") == [(str(SCHEMA_VERSION),)]
    store.save_feature_chunk("run-1", "t2v", "generated", 0, CHUNK)
    store.close()
    read = store_spot.open().feature_chunk("run-1", "t2v", "toy", "generated", 0, SOURCE)
    assert read is not None and read.counts == (2, 3) and np.array_equal(read.rows, CHUNK.rows)


def _read_only_connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=1.0, isolation_level=None)


def test_a_read_only_schema_5_store_reads_its_image_chunks_one_row_per_item(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores file modes, so the database is opened read-only by SQLite itself (URI mode=ro); a store it
    cannot migrate is read as it is."""
    store = ResultsStore(tmp_path)
    images = FeatureChunk("toy", "w", "24x24", ("a:1", "b:2", "c:3"), np.ones((3, 2)))
    store.save_feature_chunk("run-1", "t2i", "generated", 0, images)
    store.close()
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        db.execute("ALTER TABLE feature_chunks DROP COLUMN item_rows")
        db.execute("UPDATE meta SET value='5' WHERE key='schema_version'")
    monkeypatch.setattr(store_module.sqlite_backend, "_connect", _read_only_connect)
    read_only = ResultsStore(tmp_path)
    read = read_only.feature_chunk("run-1", "t2i", "toy", "generated", 0, images.source)
    assert read is not None and read.counts == (1, 1, 1) and np.array_equal(read.rows, images.rows)
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("5",), "not migrated"
