"""The feature rows of one chunk of a set metric's side, extracted while the run records its outputs (streaming
feature extraction) and read back by scoring instead of re-reading and re-encoding the media.

A chunk is the slice of :data:`metrics.extractors.base.EXTRACTION_BATCH` consecutive items that the feature
network sees at once in the end-of-run pass.  Keeping the same slices keeps the float rounding of batched
convolutions the same, so scores from stored chunks are bit-identical to those of one pass over the whole set.
The rows are a content-addressed ``.npy`` file (``features/chunks/<sha[:2]>/<sha>.npy``, written atomically)
named by the ``feature_chunks`` row of (run, task, extractor, side, chunk index).  An item may have several rows
(a video's frames, an audio clip's VGGish examples): the row counts per item are kept with the chunk (schema 6;
the chunks of schema 5 were images, one row each)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.store.records import FEATURE_SIDES, FeatureSide
from nextgpt.core.errors import StoreError


@dataclass(frozen=True)
class ChunkSource:
    """How a chunk's rows were made: by the extractor with these weights, from exactly these items brought to
    this input size.  A stored chunk is reused only for the same source (compared before its file is read)."""

    weights_sha256: str
    input_size: str
    items: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class FeatureChunk:
    """The rows of ``items`` in order, ``item_rows[i]`` of them for item ``items[i]`` (a key naming the sample and
    the content its medium came from, so a chunk whose items changed is never reused).  ``item_rows`` left out:
    one row per item (images)."""

    extractor: str
    #: sha256 of the extractor's weights ("" for a network without one)
    weights_sha256: str
    #: what the inputs were brought to before extraction, e.g. "64x64" (the set's first item's size)
    input_size: str
    items: tuple[str, ...]
    rows: np.ndarray
    #: rows per item (frames of a video, examples of a clip); None is read as one row per item
    item_rows: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.item_rows is None:
            object.__setattr__(self, "item_rows", (1,) * len(self.items))
        counts = self.counts
        if len(counts) != len(self.items) or any(count < 1 for count in counts) or sum(counts) != len(self.rows):
            raise StoreError(f"feature chunk of {self.extractor}: {len(self.items)} items with row counts "
                             f"{list(counts)[:8]}{'...' if len(counts) > 8 else ''} and {len(self.rows)} rows; "
                             "expected one count of at least 1 per item, summing to the rows")

    @property
    def counts(self) -> tuple[int, ...]:
        """Rows per item (``item_rows``, filled in by ``__post_init__``)."""
        assert self.item_rows is not None
        return self.item_rows

    @classmethod
    def of(cls, extractor: str, source: ChunkSource, rows: np.ndarray, item_rows: tuple[int, ...] | None = None
           ) -> FeatureChunk:
        """The chunk of ``rows`` that ``extractor`` made from ``source``."""
        return cls(extractor, source.weights_sha256, source.input_size, source.items, rows, item_rows)

    @property
    def source(self) -> ChunkSource:
        return ChunkSource(self.weights_sha256, self.input_size, self.items)

    def matches(self, extractor: str, weights_sha256: str, input_size: str, items: tuple[str, ...]) -> bool:
        """Whether this chunk holds the rows of exactly these items, extracted by this network at this size."""
        return self.extractor == extractor and self.source == ChunkSource(weights_sha256, input_size, items)


def check_side(side: str) -> FeatureSide:
    if side not in FEATURE_SIDES:
        raise StoreError(f"feature side {side!r}; expected one of {', '.join(FEATURE_SIDES)}")
    return side  # type: ignore[return-value]


def rows_bytes(rows: np.ndarray) -> bytes:
    """The ``.npy`` bytes of the rows (dtype and shape kept exactly)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(rows), allow_pickle=False)
    return buffer.getvalue()


def rows_from_bytes(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def chunk_file(digest: str) -> Path:
    return Path("features") / "chunks" / digest[:2] / f"{digest}.npy"


def items_json(items: tuple[str, ...]) -> str:
    return json.dumps(list(items))


def items_from_json(text: str, where: str) -> tuple[str, ...]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise StoreError(f"{where}: unreadable item list (damaged store?): {error}") from error
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise StoreError(f"{where}: the item list is not a list of strings (damaged store?)")
    return tuple(items)


def counts_json(counts: tuple[int, ...]) -> str:
    return json.dumps(list(counts))


def counts_from_json(text: str | None, where: str) -> tuple[int, ...] | None:
    """The row counts per item a chunk row keeps; None for a chunk of schema 5 (no counts: one row per item)."""
    if text is None:
        return None
    try:
        counts = json.loads(text)
    except json.JSONDecodeError as error:
        raise StoreError(f"{where}: unreadable row counts (damaged store?): {error}") from error
    if not isinstance(counts, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
        raise StoreError(f"{where}: the row counts are not a list of integers (damaged store?)")
    return tuple(counts)
