"""One run's results as the report, compare, gate and leaderboard see them, from any of three sources.

* a run in a results store (``ResultsStore``): everything, including per-sample scores and media;
* a *snapshot* file written by ``nextgpt-bench gate RUN --write-baseline FILE`` (a run's metrics, provenance,
  per-sample scores, sample ids and stage timings in one JSON file, so CI can keep a baseline in git);
* a pytest-benchmark JSON file (``--benchmark-json``) of ``benchmarks/test_bench_tasks.py``: metrics, CIs and
  provenance from ``extra_info``, and the timed harness round as a ``generate`` stage; no per-sample scores, so
  nothing paired can be computed from it.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metrics.provenance import COMPARABILITY_FIELDS
from reports.errors import ReportInputError
from reports.json_input import read_json_file

SNAPSHOT_FORMAT = "nextgpt-bench-snapshot/1"
#: Provenance keys of the harness's own mean metrics (signal_rate, mel_distance...) that change the value.
_MEAN_METRIC_FIELDS = ("metric", "definition")


@dataclass(frozen=True)
class MetricRecord:
    task: str
    metric: str
    value: float | None
    ci: tuple[float, float] | None
    n: int
    #: as stored: a MetricResult.to_dict() (inner "provenance") or the harness's own mean-metric record
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def inner_provenance(self) -> dict[str, Any]:
        inner = self.provenance.get("provenance")
        return inner if isinstance(inner, dict) else self.provenance

    @property
    def qualified_name(self) -> str:
        """The task's metric key with the feature network, ``clip_t[toy-clip]`` (the library's own name may
        differ from the key: edit tasks score ``clip_t`` with the CLIP score metric)."""
        extractor = self.inner_provenance.get("extractor")
        return f"{self.metric}[{extractor}]" if extractor else self.metric

    def comparability(self) -> dict[str, Any]:
        """The provenance fields that change this metric's value for the same outputs."""
        inner = self.inner_provenance
        return {name: inner.get(name) for name in (*COMPARABILITY_FIELDS, *_MEAN_METRIC_FIELDS) if name in inner}

    def warnings(self) -> list[str]:
        return [str(w) for w in self.inner_provenance.get("warnings", []) or []]


@dataclass
class RunData:
    run_id: str
    #: the runs-table row (settings, model, status...) or what the file says about the run
    info: dict[str, Any]
    metrics: dict[tuple[str, str], MetricRecord]
    #: task -> metric -> sample id -> value; empty when the source has none (pytest-benchmark JSON)
    sample_scores: dict[str, dict[str, dict[str, float | None]]]
    #: task -> sample ids the run scored; absent tasks: unknown
    sample_ids: dict[str, frozenset[str]]
    #: task -> stage -> record ({"seconds", "calls", "peak_memory_bytes", ...}); empty without profiling
    stage_timings: dict[str, dict[str, dict[str, Any]]]
    source: str
    #: the store the run lives in (None for files): media for galleries
    store: Any = None

    @property
    def tasks(self) -> list[str]:
        return sorted({task for task, _ in self.metrics})

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.info.get("settings") or {})

    def to_snapshot(self) -> dict[str, Any]:
        return {
            "format": SNAPSHOT_FORMAT, "run_id": self.run_id, "info": self.info, "source": self.source,
            "metrics": [{"task": r.task, "metric": r.metric, "value": r.value,
                         "ci": list(r.ci) if r.ci else None, "n": r.n, "provenance": r.provenance}
                        for r in self.metrics.values()],
            "sample_scores": self.sample_scores,
            "sample_ids": {task: sorted(ids) for task, ids in self.sample_ids.items()},
            "stage_timings": self.stage_timings,
        }


def load_from_store(store: Any, run_id: str) -> RunData:
    """Read one run (raises the store's error naming the latest runs when ``run_id`` is unknown)."""
    info = store.run(run_id)
    metrics = {(v.task, v.metric): MetricRecord(v.task, v.metric, v.value, v.ci, v.n, v.provenance)
               for v in store.metric_values(run_id)}
    tasks = sorted({task for task, _ in metrics})
    sample_ids = store.sample_ids(run_id)
    return RunData(run_id=run_id, info=info, metrics=metrics,
                   sample_scores={task: store.sample_scores(run_id, task) for task in tasks},
                   sample_ids={task: frozenset(ids) for task, ids in sample_ids.items()},
                   stage_timings=store.stage_timings(run_id), source=str(store.path), store=store)


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


_RUN_FILE_EXPECTED = ("a snapshot written by `nextgpt-bench gate RUN --write-baseline FILE` or a pytest-benchmark "
                      "JSON (--benchmark-json)")


def load_file(path: Path) -> RunData:
    """A snapshot or a pytest-benchmark JSON file."""
    data = read_json_file(path, what="run file", expected=_RUN_FILE_EXPECTED)
    if isinstance(data, dict) and data.get("format") == SNAPSHOT_FORMAT:
        return _from_snapshot(data, path)
    if isinstance(data, dict) and isinstance(data.get("benchmarks"), list):
        return _from_pytest_benchmark(data, path)
    raise ReportInputError(f"{path}: neither a snapshot (field \"format\": {SNAPSHOT_FORMAT!r}) nor a "
                           "pytest-benchmark JSON (field \"benchmarks\")")


def resolve_run(spec: str, store_folder: Path | None) -> RunData:
    """``spec`` is an existing JSON file, or a run id in the store at ``store_folder``."""
    candidate = Path(spec)
    if candidate.suffix == ".json" or candidate.exists():
        return load_file(candidate)  # names the file when it is missing, a folder or unreadable
    if store_folder is None or not (Path(store_folder) / "results.sqlite").is_file():
        raise ReportInputError(f"{spec!r} is not a JSON file and there is no results store at {store_folder} "
                               "(pass --store DIR, the folder holding results.sqlite)")
    from benchmarks.store import ResultsStore

    return load_from_store(ResultsStore(store_folder), spec)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReportInputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _record(task: str, metric: str, item: dict[str, Any], where: str) -> MetricRecord:
    try:
        ci = item.get("ci")
        return MetricRecord(task, metric, None if item.get("value") is None else float(item["value"]),
                            (float(ci[0]), float(ci[1])) if ci else None, int(item.get("n") or 0),
                            dict(item.get("provenance") or {}))
    except (TypeError, ValueError, IndexError, KeyError) as error:
        raise ReportInputError(f"{where}: metric {task}/{metric} is malformed ({error})") from error


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


def _from_snapshot(data: dict[str, Any], path: Path) -> RunData:
    metrics = {}
    for index, item in enumerate(_expect(data.get("metrics", []), list, f"{path}: metrics")):
        _expect(item, dict, f"{path}: metrics[{index}]")
        record = _record(str(item.get("task")), str(item.get("metric")), item, str(path))
        metrics[(record.task, record.metric)] = record
    sample_ids = _expect(data.get("sample_ids") or {}, dict, f"{path}: sample_ids")
    for task, ids in sample_ids.items():
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ReportInputError(f"{path}: sample_ids.{task}: expected a list of sample id strings")
    return RunData(run_id=str(data.get("run_id")), info=_expect(data.get("info") or {}, dict, f"{path}: info"),
                   metrics=metrics,
                   sample_scores=_nested_objects(data.get("sample_scores") or {}, 3, f"{path}: sample_scores"),
                   sample_ids={t: frozenset(ids) for t, ids in sample_ids.items()},
                   stage_timings=_nested_objects(data.get("stage_timings") or {}, 3, f"{path}: stage_timings"),
                   source=str(path))


def _from_pytest_benchmark(data: dict[str, Any], path: Path) -> RunData:
    metrics: dict[tuple[str, str], MetricRecord] = {}
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
            provenance = _expect(provenances.get(metric) or {}, dict, f"{where}.extra_info.provenance.{metric}")
            inner = provenance.get("provenance") if isinstance(provenance.get("provenance"), dict) else provenance
            # extra_info's n counts the task's samples; a metric's own n (FID over video frames) is in its
            # provenance, and the store keeps that one
            item = {"value": value, "ci": cis.get(metric),
                    "n": inner.get("n_samples") or extra.get("n"), "provenance": provenance}
            metrics[(task, metric)] = _record(task, metric, item, str(path))
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


def merge_runs(runs: list[RunData]) -> RunData:
    """One view of several runs that scored different tasks (the task benchmarks write one run per task).
    A task scored by more than one run is an error: which of them to gate would be a guess."""
    seen: dict[str, str] = {}
    for run in runs:
        for task in run.tasks:
            if task in seen:
                raise ReportInputError(f"task {task} was scored by both {seen[task]} and {run.run_id}; "
                                       "name the run to gate")
            seen[task] = run.run_id
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    settings = {k: v for k, v in first.settings.items() if k != "tasks"}
    settings["tasks"] = sorted(seen)
    return RunData(run_id="+".join(r.run_id for r in runs), info={**first.info, "settings": settings},
                   metrics={k: v for r in runs for k, v in r.metrics.items()},
                   sample_scores={k: v for r in runs for k, v in r.sample_scores.items()},
                   sample_ids={k: v for r in runs for k, v in r.sample_ids.items()},
                   stage_timings={k: v for r in runs for k, v in r.stage_timings.items()},
                   source=first.source, store=first.store)
