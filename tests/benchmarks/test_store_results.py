"""Typed results in the store: ``save_scores`` keeps each ``MetricResult.to_dict()`` and ``metric_values`` gives the
same results back; a schema-2 store, whose provenance column held either a library result or the harness's own
mean-metric record, is migrated on opening into the one typed shape (and a row that is neither is refused with
the store left as it was)."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pytest

from benchmarks.store import SCHEMA_VERSION, ResultsStore
from metrics.provenance import ConfidenceInterval, MetricResult, Provenance
from nextgpt.core.errors import StoreError

FID = MetricResult("fid", 12.5, Provenance(metric="fid", extractor="toy", extractor_canonical=False, n_samples=24,
                                          n_reference=24, settings=(("input", "uint8"), ("dims", 64))),
                   ConfidenceInterval(10.0, 15.0, 0.95, 4, 0, "grouped jackknife"))
SIGNAL = MetricResult("signal_rate", 0.75, Provenance(metric="signal_rate", n_samples=4, seed=0,
                                                     settings=(("definition", "fraction asked for"),)),
                      ConfidenceInterval(0.25, 1.0, 0.95, 100, 0))
MISSING = MetricResult.unavailable("mel_distance", "no item of the task could be scored",
                                   Provenance(metric="mel_distance", n_samples=0))


def test_typed_results_round_trip(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    run_id, _ = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2v"], "bootstrap": 100})
    store.save_scores(run_id, "t2v", [FID, SIGNAL, MISSING], {"signal_rate": {"s0": 1.0, "s1": None}},
                      counts={"fid": 4})
    values = {v.metric: v for v in ResultsStore(tmp_path).metric_values(run_id)}
    assert [values[name].result for name in ("fid", "signal_rate", "mel_distance")] == [FID, SIGNAL, MISSING]
    assert values["fid"].result.provenance.settings == (("input", "uint8"), ("dims", 64)), "settings keep order"
    assert (values["fid"].n, values["signal_rate"].n, values["mel_distance"].n) == (4, 4, 0)
    assert (values["fid"].ci, values["signal_rate"].value, values["mel_distance"].value) == ((10.0, 15.0), 0.75, None)
    assert store.sample_scores(run_id, "t2v") == {"signal_rate": {"s0": 1.0, "s1": None}}


def test_counts_for_a_metric_not_saved_are_refused(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    run_id, _ = store.start_or_resume("fp", {}, {})
    with pytest.raises(StoreError, match=r"save_scores\('t2v'\): counts for fad, which are not among the results"):
        store.save_scores(run_id, "t2v", [FID], {}, counts={"fad": 3})
    assert store.metric_values(run_id) == []


_SCHEMA_2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, created REAL NOT NULL, finished REAL, status TEXT NOT NULL,
    model_fingerprint TEXT NOT NULL, model TEXT NOT NULL, settings TEXT NOT NULL, settings_key TEXT NOT NULL,
    error TEXT);
CREATE TABLE metric_values (
    run_id TEXT NOT NULL, task TEXT NOT NULL, metric TEXT NOT NULL, value REAL, ci_low REAL, ci_high REAL,
    n INTEGER NOT NULL, provenance TEXT NOT NULL, PRIMARY KEY (run_id, task, metric));
INSERT INTO meta VALUES ('schema_version', '2');
"""
#: a metric library result as ``MetricResult.to_dict()`` wrote it before results were typed: the edit task's
#: clip_t, computed by the CLIP score metric (so named clip_score), with a caption-style warning appended
_OLD_LIBRARY_RECORD = {
    "name": "clip_score", "qualified_name": "clip_score[toy-clip]", "value": 21.5, "available": True,
    "provenance": {"metric": "clip_score", "metric_version": "1.0.0", "extractor": "toy-clip",
                   "extractor_canonical": False, "weights_sha256": None, "resize": "model-defined",
                   "dtype": "float32 embeddings, float64 cosine", "n_samples": 4, "n_reference": None, "seed": 0,
                   "tokenizer": "toy-clip tokenizer (77-token context)",
                   "settings": {"clamp": "per-sample max(100*cos, 0)"}, "warnings": ["1 of 4 answers were empty"]},
    "ci": {"low": 20.0, "high": 23.0, "confidence": 0.95, "n_resamples": 100, "seed": 0,
           "method": "percentile bootstrap"}}


def _schema_2_store(folder: Path, rows: list[tuple[str, str, float | None, float | None, float | None, int, str]]
                    ) -> Path:
    path = folder / "results.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA_2)
        db.execute("INSERT INTO runs VALUES ('old-run', 1.0, 2.0, 'complete', 'fp', ?, ?, 'key', NULL)",
                   (json.dumps({"preset": "tiny"}), json.dumps({"tasks": ["edit-image"], "bootstrap": 100})))
        db.executemany("INSERT INTO metric_values VALUES ('old-run', ?, ?, ?, ?, ?, ?, ?)", rows)
    return path


def test_schema_2_store_is_migrated_to_typed_results(tmp_path: Path) -> None:
    mean_record = {"metric": "signal_rate", "n_samples": 4, "definition": "fraction asked for", "seed": 0}
    empty_record = {"metric": "mel_distance", "n_samples": 0, "definition": "mean L1", "seed": None}
    path = _schema_2_store(tmp_path, [
        ("edit-image", "clip_t", 21.5, 20.0, 23.0, 4, json.dumps(_OLD_LIBRARY_RECORD, sort_keys=True)),
        ("edit-image", "signal_rate", 0.75, 0.25, 1.0, 4, json.dumps(mean_record)),
        ("edit-audio", "mel_distance", None, None, None, 0, json.dumps(empty_record))])
    values = {v.metric: v for v in ResultsStore(tmp_path).metric_values("old-run")}

    clip = values["clip_t"]
    assert (clip.task, clip.n, clip.value, clip.ci) == ("edit-image", 4, 21.5, (20.0, 23.0))
    assert clip.result.qualified_name == "clip_t[toy-clip]", "named by the task's key, extractor kept"
    assert clip.result.provenance.metric == "clip_score" and clip.result.provenance.tokenizer.startswith("toy-clip")
    assert clip.result.provenance.warnings == ("1 of 4 answers were empty",)

    signal = values["signal_rate"].result
    assert signal == MetricResult("signal_rate", 0.75, Provenance(
        metric="signal_rate", n_samples=4, seed=0, settings=(("definition", "fraction asked for"),)),
        ConfidenceInterval(0.25, 1.0, 0.95, 100, 0)), "the run's bootstrap setting is the resample count"

    missing = values["mel_distance"]
    assert missing.value is None and not missing.result.available and math.isnan(missing.result.value)

    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        columns = [row[1] for row in db.execute("PRAGMA table_info(metric_values)")]
        stored = json.loads(db.execute("SELECT result FROM metric_values WHERE metric='clip_t'").fetchone()[0])
    assert "provenance" not in columns and "result" in columns
    assert MetricResult.from_dict(stored) == clip.result, "the file itself now holds the typed shape"


def test_schema_2_row_of_neither_shape_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = _schema_2_store(tmp_path, [("t2i", "fid", 10.0, None, None, 4, json.dumps({"provenance": "toy"})),
                                      ("t2i", "clip_score", 20.0, None, None, 4, "[1, 2]")])
    with pytest.raises(StoreError) as caught:
        ResultsStore(tmp_path)
    message = str(caught.value)
    assert "cannot migrate metric_values row old-run/t2i/" in message and "the store is left unchanged" in message
    assert "neither a metric library result" in message or "expected a JSON object" in message, message
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)
        assert "provenance" in [row[1] for row in db.execute("PRAGMA table_info(metric_values)")]
        assert db.execute("SELECT provenance FROM metric_values WHERE metric='fid'").fetchone() == (
            json.dumps({"provenance": "toy"}),)


def test_damaged_typed_row_names_the_metric(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    run_id, _ = store.start_or_resume("fp", {}, {})
    store.save_scores(run_id, "t2v", [FID], {})
    with store.transaction() as db:
        db.execute("UPDATE metric_values SET result=? WHERE metric='fid'",
                   (json.dumps({**FID.to_dict(), "value": "12.5"}),))
    with pytest.raises(StoreError, match=r"metric t2v/fid of run .* has an unreadable result record .*t2v/fid\.value"):
        store.metric_values(run_id)


def _read_only_connect(path: Path) -> sqlite3.Connection:
    """Root ignores file modes: the store is opened read-only by SQLite itself (what a read-only file, folder or
    mount gives)."""
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=1.0, isolation_level=None)


def test_read_only_schema_2_store_is_read_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema-2 store that cannot be written (a CI artifact, a shared mount) is not migrated: its rows are
    converted on reading, as the migration converts them, and the file stays byte for byte as it was."""
    import benchmarks.store as store_module

    mean_record = {"metric": "signal_rate", "n_samples": 4, "definition": "fraction asked for", "seed": 0}
    rows = [("edit-image", "clip_t", 21.5, 20.0, 23.0, 4, json.dumps(_OLD_LIBRARY_RECORD, sort_keys=True)),
            ("edit-image", "signal_rate", 0.75, 0.25, 1.0, 4, json.dumps(mean_record))]
    _schema_2_store(_folder(tmp_path / "writable"), rows)
    migrated = {v.metric: v for v in ResultsStore(tmp_path / "writable").metric_values("old-run")}
    path = _schema_2_store(_folder(tmp_path / "read-only"), rows)
    before = path.read_bytes()
    monkeypatch.setattr(store_module.sqlite_backend, "_connect", _read_only_connect)

    store = ResultsStore(tmp_path / "read-only")
    assert [run["run_id"] for run in store.runs()] == ["old-run"]
    values = {v.metric: v for v in store.metric_values("old-run")}
    assert values == migrated and values["clip_t"].result.qualified_name == "clip_t[toy-clip]"
    assert values["signal_rate"].result.ci == ConfidenceInterval(0.25, 1.0, 0.95, 100, 0)
    assert store.sample_scores("old-run", "edit-image") == {}  # a table the old store lacks reads as empty
    with pytest.raises(StoreError, match="run 'old-run' task 'edit-image' has no stored generated features"):
        store.features("old-run", "edit-image", "toy", "generated")
    for write in (store.require_writable, lambda: store.start_or_resume("fp", {}, {"new": True})):
        with pytest.raises(StoreError, match=r"results\.sqlite is read-only \(and of schema 2, .*make them "
                                             r"writable, or pass another --store folder"):
            write()
    store.close()
    assert path.read_bytes() == before, "reading must not write"


def test_read_only_schema_2_row_of_neither_shape_names_the_row(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import benchmarks.store as store_module

    _schema_2_store(tmp_path, [("t2i", "fid", 10.0, None, None, 4, json.dumps({"provenance": "toy"}))])
    monkeypatch.setattr(store_module.sqlite_backend, "_connect", _read_only_connect)
    with pytest.raises(StoreError, match=r"cannot read metric_values row old-run/t2i/fid of the read-only schema-2 "
                                         r"results store .*results\.sqlite: its provenance .* is not a stored metric"):
        ResultsStore(tmp_path).metric_values("old-run")


def _folder(path: Path) -> Path:
    path.mkdir()
    return path
