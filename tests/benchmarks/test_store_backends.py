"""The results store's interface, on each engine (``store_spot``: an SQLite folder, and a database of a real
PostgreSQL server with a shared media folder): typed results, resume semantics, the generation cache, features,
timings, skipped tasks, two writers at once, and -- through the CLI -- a run killed with SIGKILL then resumed and
two runs writing one store at once, with no row lost or counted twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from store_fixtures import StoreSpot

from benchmarks.store import FeatureRows, Generation, ResultsStore
from metrics.provenance import ConfidenceInterval, MetricResult, Provenance
from nextgpt.core.errors import StoreError

FID = MetricResult("fid", 12.5, Provenance(metric="fid", extractor="toy", extractor_canonical=False, n_samples=24,
                                          n_reference=24, settings=(("input", "uint8"), ("dims", 64))),
                   ConfidenceInterval(10.0, 15.0, 0.95, 4, 0, "grouped jackknife"))
SIGNAL = MetricResult("signal_rate", 0.1 + 0.2, Provenance(metric="signal_rate", n_samples=4, seed=0),
                      ConfidenceInterval(0.25, 1.0, 0.95, 100, 0))
MISSING = MetricResult.unavailable("mel_distance", "no item of the task could be scored",
                                   Provenance(metric="mel_distance", n_samples=0))


def _generation(store: ResultsStore, sample: str, turn: int = 0, seed: int = 2**40) -> Generation:
    media = store.write_media(f"picture of {sample}".encode(), ".png", "image")
    return Generation(f"key-{sample}-{turn}", "t2i", sample, turn, seed, f"text {sample} é ∑", (media,),
                      ({"modality": "image", "status": "complete", "dropped": 0},), 0.125 + turn)


def test_typed_results_round_trip(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    run_id, resumed = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2v"], "bootstrap": 100})
    assert not resumed
    store.save_scores(run_id, "t2v", [FID, SIGNAL, MISSING], {"signal_rate": {"s0": 1.0, "s1": None, "s2": 1e-300}},
                      counts={"fid": 4})
    values = {v.metric: v for v in store_spot.open().metric_values(run_id)}
    assert [values[name].result for name in ("fid", "signal_rate", "mel_distance")] == [FID, SIGNAL, MISSING]
    assert values["signal_rate"].value == 0.1 + 0.2, "floats round-trip exactly (8-byte columns)"
    assert (values["fid"].n, values["signal_rate"].n, values["mel_distance"].n) == (4, 4, 0)
    assert store.sample_scores(run_id, "t2v") == {"signal_rate": {"s0": 1.0, "s1": None, "s2": 1e-300}}
    with pytest.raises(StoreError, match=r"save_scores\('t2v'\): counts for fad, which are not among the results"):
        store.save_scores(run_id, "t2v", [FID], {}, counts={"fad": 3})
    assert len(store.metric_values(run_id)) == 3, "a refused save changes nothing"


def test_metrics_are_listed_in_byte_order_on_either_engine(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    run_id, _ = store.start_or_resume("fp", {}, {})
    names = ["b", "B", "a", "_z", "Z", "é"]
    results = [MetricResult(name, 1.0, Provenance(metric=name, n_samples=1)) for name in names]
    store.save_scores(run_id, "t", results, {})
    assert [stored.metric for stored in store.metric_values(run_id)] == sorted(names)


def test_failed_run_keeps_its_error_and_resumes(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    run_id, _ = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]})
    store.fail_run(run_id, "RuntimeError: boom " + "x" * 5000)
    failed = store.run(run_id)
    assert failed["status"] == "failed" and failed["error"].startswith("...") and len(failed["error"]) == 4003
    assert store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]}) == (run_id, True)
    assert (store.run(run_id)["status"], store.run(run_id)["error"]) == ("running", None)
    store.finish_run(run_id)
    second, resumed = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]})
    assert not resumed and second != run_id
    assert [run["run_id"] for run in store.runs()] == [run_id, second]
    with pytest.raises(StoreError, match=r"no run 'nope' in .*; latest runs: "):
        store.run("nope")


def test_generation_cache_media_and_run_samples(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    run_id, _ = store.start_or_resume("fp", {}, {"tasks": ["t2i"]})
    first, again = _generation(store, "s0"), _generation(store, "s0", turn=1)
    for generation in (first, first, again):  # recording one twice keeps one row
        store.record(run_id, generation)
    assert store.cached(first.cache_key) == first and store.cached("unknown") is None
    assert store.recorded(run_id, "t2i") == {("s0", 0): first, ("s0", 1): again}
    assert store.sample_ids(run_id) == {"t2i": {"s0"}}
    assert store.mean_generation_seconds(run_id) == {"t2i": (0.125 + 1.125) / 2}
    media = first.media[0]
    assert store.media_path(media).read_bytes() == b"picture of s0" and store.media_path(media).is_relative_to(
        store_spot.media or Path(store_spot.location))
    assert store_spot.query("SELECT count(*) FROM run_samples") == [(2,)]


def test_features_timings_and_skipped_tasks(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    run_id, _ = store.start_or_resume("fp", {}, {"tasks": ["t2i"]}, skipped={"t2a": "no audio decoder"})
    rows = FeatureRows("toy", None, ("s0", "s1"), (1, 2), np.arange(6, dtype=np.float64).reshape(3, 2))
    store.save_features(run_id, "t2i", "generated", rows)
    store.save_features(run_id, "t2i", "generated", FeatureRows("toy", "abc", ("s0",), (1,), np.ones((1, 2))))
    read = store.features(run_id, "t2i", "toy", "generated")
    assert (read.weights_sha256, read.sample_ids, read.rows.tolist()) == ("abc", ("s0",), [[1.0, 1.0]])
    with pytest.raises(StoreError, match=r"has no stored reference features of toy .*stored: toy/generated"):
        store.features(run_id, "t2i", "toy", "reference")
    store.save_stage_timings(run_id, "t2i", {"generate": {"seconds": 1.5}, "score": {"seconds": 0.5}})
    assert store.stage_timings(run_id) == {"t2i": {"generate": {"seconds": 1.5}, "score": {"seconds": 0.5}}}
    assert store.skipped_tasks(run_id) == {"t2a": "no audio decoder"}
    assert store.start_or_resume("fp", {}, {"tasks": ["t2i"]}, skipped={"t2a": "other words"}) == (run_id, True)
    assert store.skipped_tasks(run_id) == {"t2a": "other words"}


def test_two_writers_share_one_run_without_duplicates(store_spot: StoreSpot) -> None:
    """Two processes' worth of writers (one connection each) start the same run at once and record overlapping
    samples: one run, every sample once."""
    store_spot.open().close()  # the tables exist before the race (as the CLI's require_writable makes them)
    run_ids: list[str] = []
    failures: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            store = store_spot.open()
            run_id, _ = store.start_or_resume("fp", {}, {"tasks": ["t2i"]})
            run_ids.append(run_id)
            for index in range(offset, offset + 30):
                store.record(run_id, _generation(store, f"s{index:03d}"))
            store.close()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in (0, 15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len(set(run_ids)) == 1
    assert store_spot.query("SELECT count(*), count(DISTINCT sample_id) FROM run_samples") == [(45, 45)]
    assert store_spot.query("SELECT count(*) FROM generations") == [(45,)]


def test_postgres_store_needs_media_only_for_files(postgres_server: object, tmp_path: Path) -> None:
    url = postgres_server.database()  # type: ignore[attr-defined]
    store = ResultsStore(url)
    run_id, _ = store.start_or_resume("fp", {}, {})
    assert store.runs()[0]["run_id"] == run_id and store.dialect == "postgresql"
    with pytest.raises(StoreError, match=r"opened without a media folder.*pass --media DIR"):
        store.write_media(b"x", ".png", "image")
    with pytest.raises(StoreError, match=r"opened without a media folder"):
        store.require_writable()  # what `run` checks before the model loads
    ResultsStore(url, media=tmp_path / "new" / "media").require_writable()
    assert (tmp_path / "new" / "media").is_dir()
    with pytest.raises(StoreError, match=r"--media .* is only for a PostgreSQL store.*leave --media out"):
        ResultsStore(tmp_path / "folder", media=tmp_path / "media")


def test_unreachable_postgres_is_a_store_error() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(StoreError, match=rf"results store postgresql://who:\*\*\*@127.0.0.1:{port}/db cannot be "
                                         "reached .*check that the server is running"):
        ResultsStore(f"postgresql://who:secret@127.0.0.1:{port}/db", media="unused")


def _cli(spot: StoreSpot) -> list[str]:
    return [sys.executable, "-m", "benchmarks.cli", "run", "--tasks", "t2v,caption-audio", "--limit", "8",
            *spot.cli(), "--bootstrap", "20", "--extractors", "toy", "--json", "--no-report"]


def _recorded(spot: StoreSpot) -> int:
    rows = spot.query("SELECT count(*) FROM run_samples")
    return int(rows[0][0]) if rows else 0


@pytest.mark.slow
@pytest.mark.e2e  # fresh CLI processes: minutes
def test_killed_run_resumes_without_loss_or_duplicates(store_spot: StoreSpot) -> None:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(_cli(store_spot), env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while _recorded(store_spot) < 3 and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, "the run finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 3 <= _recorded(store_spot) < 16
    resumed = subprocess.run(_cli(store_spot), env=environment, capture_output=True, text=True, check=True)
    result = json.loads(resumed.stdout)
    assert store_spot.query("SELECT run_id, status FROM runs") == [(result["run_id"], "complete")]
    rows = store_spot.query("SELECT task, sample_id, count(*) FROM run_samples GROUP BY task, sample_id")
    assert len(rows) == 16 and all(count == 1 for _, _, count in rows)
    assert store_spot.query("SELECT count(*) FROM generations") == [(16,)]


@pytest.mark.slow
@pytest.mark.e2e  # fresh CLI processes: minutes
def test_two_concurrent_runs_write_one_store(store_spot: StoreSpot) -> None:
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen(_cli(store_spot), env=environment, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=600) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [err[-2000:] for _, err in outputs]
    results = [json.loads(out) for out, _ in outputs]
    assert results[0]["tasks"] == results[1]["tasks"]
    # the later one resumes the earlier one's run while it runs (or, had that finished, makes its own from the cache)
    run_ids = sorted({result["run_id"] for result in results})
    assert store_spot.query("SELECT run_id, status FROM runs ORDER BY run_id") == [(run, "complete") for run in run_ids]
    assert store_spot.query("SELECT run_id, count(*), count(DISTINCT task || '/' || sample_id) FROM run_samples "
                            "GROUP BY run_id ORDER BY run_id") == [(run, 16, 16) for run in run_ids]
    assert store_spot.query("SELECT count(*) FROM generations") == [(16,)]


def _filled_store(folder: Path) -> tuple[ResultsStore, str, str]:
    store = ResultsStore(folder)
    run_id, _ = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]}, skipped={"t2a": "no audio"})
    for index in range(3):
        store.record(run_id, _generation(store, f"s{index}"))
    store.save_scores(run_id, "t2i", [FID, SIGNAL, MISSING], {"signal_rate": {"s0": 1.0, "s1": None}})
    store.save_features(run_id, "t2i", "generated", FeatureRows("toy", None, ("s0",), (1,), np.ones((1, 2))))
    store.save_stage_timings(run_id, "t2i", {"generate": {"seconds": 1.5}})
    store.finish_run(run_id)
    failed = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2v"]})[0]
    store.fail_run(failed, "boom")
    return store, run_id, failed


def test_copy_into_either_engine_keeps_every_row_and_file(store_spot: StoreSpot, tmp_path: Path) -> None:
    from benchmarks.store.copy import RUN_TABLES, copy_store

    source, run_id, failed = _filled_store(tmp_path / "laptop")
    target = store_spot.open()
    summary = copy_store(source, target)
    assert (summary.copied_runs, summary.present_runs, summary.new_generations) == ([run_id], [], 3)
    assert summary.unfinished_runs == [(failed, "failed")], "an unfinished run is named, not copied"
    assert summary.copied_files == 4, "each sample's medium and the feature file"
    assert target.table_rows("runs", failed) == []
    source.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2v"]})
    source.finish_run(failed)
    assert copy_store(source, target).copied_runs == [failed], "copied once complete"
    for table in ("generations", *RUN_TABLES):
        assert source.table_rows(table) == target.table_rows(table), table
    assert target.features(run_id, "t2i", "toy", "generated").rows.tolist() == [[1.0, 1.0]]
    assert target.media_path(target.cached("key-s0-0").media[0]).read_bytes() == b"picture of s0"
    again = copy_store(source, target)
    assert (again.copied_runs, len(again.present_runs), again.new_generations, again.copied_files) == ([], 2, 0, 0)
    source.save_stage_timings(run_id, "t2i", {"generate": {"seconds": 2.5}})
    with pytest.raises(StoreError, match=rf"run '{run_id}' is already in .* with different content \(its "
                                         "stage_timings rows differ.*never overwrites a run"):
        copy_store(source, target)
