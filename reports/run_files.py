"""Runs kept in files: snapshots (``nextgpt-bench gate RUN --write-baseline FILE``) and pytest-benchmark JSON.

A snapshot ``nextgpt-bench-snapshot/2`` stores each metric as ``{"task", "n", "result": MetricResult.to_dict()}``,
and the tasks the run skipped as ``"skipped": {TASK: REASON}`` (absent from snapshots written before skips were
stored: they read as skipping nothing).
Snapshots written before results were typed (``/1``) and pytest-benchmark files keep reading: their untyped
records go through the store's one conversion, :func:`benchmarks.store.legacy_result`.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from benchmarks.store import ResultsStore, StoredMetric, legacy_result
from metrics.provenance import MetricResult
from nextgpt.core.errors import NextGPTError
from reports.errors import ReportInputError
from reports.json_input import read_json_file
from reports.rundata import SNAPSHOT_FORMAT, RunData, load_from_store

#: snapshots written before results were typed: metrics as {"task", "metric", "value", "ci", "n", "provenance"}
UNTYPED_SNAPSHOT_FORMAT = "nextgpt-bench-snapshot/1"
_RUN_FILE_EXPECTED = ("a snapshot written by `nextgpt-bench gate RUN --write-baseline FILE` or a pytest-benchmark "
                      "JSON (--benchmark-json)")


def write_snapshot(run: RunData, path: Path) -> Path:
    """Write the snapshot atomically (a temporary file renamed over ``path``): a failed write leaves the old file."""
    text = json.dumps(run.to_snapshot(), indent=1, sort_keys=True, default=str) + "\n"
    write_text_atomically(path, text, what="snapshot")
    return path


def write_text_atomically(path: Path, text: str, *, what: str) -> None:
    """``path`` replaced by ``text`` in one rename; any OSError is a ReportInputError naming the file."""
    if path.is_dir():
        raise ReportInputError(f"cannot write the {what} to {path}: it is a folder; give a file path")
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise ReportInputError(f"cannot write the {what} to {path}: {error.strerror or error}; give a writable "
                               "file path") from error


def load_file(path: Path) -> RunData:
    """A snapshot or a pytest-benchmark JSON file."""
    data = read_json_file(path, what="run file", expected=_RUN_FILE_EXPECTED)
    if isinstance(data, dict) and data.get("format") in (SNAPSHOT_FORMAT, UNTYPED_SNAPSHOT_FORMAT):
        return _from_snapshot(data, path)
    if isinstance(data, dict) and isinstance(data.get("benchmarks"), list):
        return _from_pytest_benchmark(data, path)
    raise ReportInputError(f"{path}: neither a snapshot (field \"format\": {SNAPSHOT_FORMAT!r}) nor a "
                           "pytest-benchmark JSON (field \"benchmarks\")")


def resolve_run(spec: str, store_folder: Path | ResultsStore | None) -> RunData:
    """``spec`` is an existing JSON file, or a run id in the store at ``store_folder`` (a store folder, or an
    opened store: a database store has no folder)."""
    candidate = Path(spec)
    if candidate.suffix == ".json" or candidate.exists():
        return load_file(candidate)  # names the file when it is missing, a folder or unreadable
    if isinstance(store_folder, ResultsStore):
        return load_from_store(store_folder, spec)
    if store_folder is None or not (Path(store_folder) / "results.sqlite").is_file():
        raise ReportInputError(f"{spec!r} is not a JSON file and there is no results store at {store_folder} "
                               "(pass --store DIR, the folder holding results.sqlite)")
    return load_from_store(ResultsStore(store_folder), spec)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReportInputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportInputError(f"{where}: expected a sample count (an integer >= 0), got {value!r}")
    return value


def _interval(value: Any, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ReportInputError(f"{where}: expected [low, high] or null, got {value!r}")
    return _number(value[0], f"{where}[0]"), _number(value[1], f"{where}[1]")


def _expect(value: Any, kind: type, where: str) -> Any:
    """``value`` if it is a ``kind`` (dict/list/str), else a ReportInputError naming the field."""
    if not isinstance(value, kind):
        names = {dict: "an object", list: "a list", str: "a string"}
        raise ReportInputError(f"{where}: expected {names.get(kind, kind.__name__)}, got {type(value).__name__}")
    return value


def _nested_objects(value: Any, depth: int, where: str) -> Any:
    """An object whose values are objects ``depth`` levels down (sample scores, stage timings)."""
    _expect(value, dict, where)
    if depth > 1:
        for key, inner in value.items():
            _nested_objects(inner, depth - 1, f"{where}.{key}")
    return value


def _typed_metric(item: dict[str, Any], where: str) -> StoredMetric:
    """A snapshot-2 metric: ``{"task", "n", "result"}``."""
    task = _expect(item.get("task"), str, f"{where}.task")
    try:
        result = MetricResult.from_dict(item.get("result"), f"{where}.result")
    except NextGPTError as error:
        raise ReportInputError(str(error)) from error
    return StoredMetric(task, result, _count(item.get("n"), f"{where}.n"))


def _untyped_metric(task: str, metric: str, item: dict[str, Any], resamples: int | None, where: str
                    ) -> StoredMetric:
    """A metric of a snapshot-1 or pytest-benchmark file: value, CI, n and an untyped provenance record."""
    value = item.get("value")
    try:
        result = legacy_result(metric, None if value is None else _number(value, f"{where}.value"),
                               _interval(item.get("ci"), f"{where}.ci"),
                               _expect(item.get("provenance") or {}, dict, f"{where}.provenance"),
                               resamples=resamples, where=f"{where}.provenance")
    except NextGPTError as error:
        raise ReportInputError(str(error)) from error
    return StoredMetric(task, result, _count(item.get("n") or 0, f"{where}.n"))


def _from_snapshot(data: dict[str, Any], path: Path) -> RunData:
    info = _expect(data.get("info") or {}, dict, f"{path}: info")
    bootstrap = (info.get("settings") or {}).get("bootstrap")
    metrics: dict[tuple[str, str], StoredMetric] = {}
    for index, item in enumerate(_expect(data.get("metrics", []), list, f"{path}: metrics")):
        where = f"{path}: metrics[{index}]"
        _expect(item, dict, where)
        if data["format"] == SNAPSHOT_FORMAT:
            record = _typed_metric(item, where)
        else:
            task, metric = _expect(item.get("task"), str, f"{where}.task"), _expect(item.get("metric"), str,
                                                                                    f"{where}.metric")
            record = _untyped_metric(task, metric, item, bootstrap if isinstance(bootstrap, int) else None, where)
        metrics[(record.task, record.metric)] = record
    sample_ids = _expect(data.get("sample_ids") or {}, dict, f"{path}: sample_ids")
    for task, ids in sample_ids.items():
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ReportInputError(f"{path}: sample_ids.{task}: expected a list of sample id strings")
    skipped = _expect(data.get("skipped") or {}, dict, f"{path}: skipped")
    for task, reason in skipped.items():
        if not isinstance(reason, str):
            raise ReportInputError(f"{path}: skipped.{task}: expected the reason the task was skipped (a string), "
                                   f"got {type(reason).__name__}")
    return RunData(run_id=str(data.get("run_id")), info=info, metrics=metrics,
                   sample_scores=_nested_objects(data.get("sample_scores") or {}, 3, f"{path}: sample_scores"),
                   sample_ids={t: frozenset(ids) for t, ids in sample_ids.items()},
                   stage_timings=_nested_objects(data.get("stage_timings") or {}, 3, f"{path}: stage_timings"),
                   source=str(path), skipped=dict(skipped))


def _from_pytest_benchmark(data: dict[str, Any], path: Path) -> RunData:
    metrics: dict[tuple[str, str], StoredMetric] = {}
    timings: dict[str, dict[str, dict[str, Any]]] = {}
    settings: dict[str, Any] = {}
    for index, bench in enumerate(data["benchmarks"]):
        where = f"{path}: benchmarks[{index}]"
        extra = _expect(_expect(bench, dict, where).get("extra_info") or {}, dict, f"{where}.extra_info")
        task = extra.get("task")
        if not task:
            continue  # metric/generation benchmarks carry no task metrics
        task = _expect(task, str, f"{where}.extra_info.task")
        provenances = _expect(extra.get("provenance") or {}, dict, f"{where}.extra_info.provenance")
        cis = _expect(extra.get("ci") or {}, dict, f"{where}.extra_info.ci")
        for metric, value in _expect(extra.get("metrics") or {}, dict, f"{where}.extra_info.metrics").items():
            item = {"value": value, "ci": cis.get(metric), "provenance": provenances.get(metric)}
            record = _untyped_metric(task, metric, item, None, f"{where}.extra_info[{metric}]")
            # extra_info's n counts the task's samples; a metric's own n (FID over video frames) is in its
            # provenance, and the store keeps that one
            n = record.result.provenance.n_samples or _count(extra.get("n") or 0, f"{where}.extra_info.n")
            metrics[(task, metric)] = StoredMetric(task, record.result, n)
        stats = _expect(bench.get("stats") or {}, dict, f"{where}.stats")
        if "mean" in stats:
            timings[task] = {"generate": {"seconds": _number(stats["mean"], f"{where}.stats.mean"),
                                          "calls": int(_number(stats.get("rounds", 1), f"{where}.stats.rounds")),
                                          "peak_memory_bytes": None, "unit": "seconds per sample (mean)"}}
        settings.setdefault("tasks", []).append(task)
    if not metrics:
        raise ReportInputError(f"{path}: a pytest-benchmark JSON without task benchmarks (no extra_info.task); "
                               "run `pytest benchmarks/test_bench_tasks.py --benchmark-json FILE`")
    info = {"settings": settings, "model": {"source": "pytest-benchmark"},
            "machine_info": data.get("machine_info", {}).get("node")}
    return RunData(run_id=path.name, info=info, metrics=metrics, sample_scores={}, sample_ids={},
                   stage_timings=timings, source=str(path))
