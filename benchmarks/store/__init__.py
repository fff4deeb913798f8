"""The results store: runs, the generation cache, scores, features and stage timings, in the embedded SQLite file
of a store folder (the default) or in a team's PostgreSQL database (``--store postgresql://...`` with a shared
``--media`` folder).  One interface, :class:`ResultsStore`, over both engines; the package's modules:

- ``results_store``: the store itself (every query, written once);
- ``schema``: the tables, and PostgreSQL's words for SQLite's;
- ``records``: the typed records the store reads and writes; ``feature_chunks``: the feature rows extracted while a
  run records its outputs;
- ``sqlite_backend``, ``sqlite_files``, ``sqlite_migrations``: the SQLite file, its checks and its old schemas;
- ``postgres_backend``: the PostgreSQL connection; ``store_urls``: what a ``--store`` text names (shared with the CLI);
- ``copy``: copying whole stores between engines (``nextgpt-bench store migrate``).
"""

from benchmarks.store.feature_chunks import FeatureChunk
from benchmarks.store.records import (
    FEATURE_SIDES,
    FeatureRows,
    FeatureSide,
    Generation,
    StoredMedia,
    StoredMetric,
    legacy_result,
)
from benchmarks.store.results_store import ResultsStore
from benchmarks.store.schema import MAX_ERROR_CHARS, RUN_STATUSES, SCHEMA_VERSION
from benchmarks.store.sqlite_files import check_database_file, store_problem
from nextgpt.core.errors import StoreError

__all__ = ["FEATURE_SIDES", "MAX_ERROR_CHARS", "RUN_STATUSES", "SCHEMA_VERSION", "FeatureChunk", "FeatureRows",
           "FeatureSide",
           "Generation", "ResultsStore", "StoreError", "StoredMedia", "StoredMetric", "check_database_file",
           "legacy_result", "store_problem"]
