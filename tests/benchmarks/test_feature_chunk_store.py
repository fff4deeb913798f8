"""Feature chunks in the results store (benchmarks/store/feature_chunks.py), on each engine: a chunk made from
another source is refused before its rows file is read, and a damaged chunk's error names it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from store_fixtures import StoreSpot

from benchmarks.store import FeatureChunk
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
