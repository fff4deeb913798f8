"""One run's results as the report, compare, gate and leaderboard see them, from any of three sources.

* a run in a results store (``ResultsStore``): everything, including per-sample scores and media;
* a *snapshot* file written by ``nextgpt-bench gate RUN --write-baseline FILE`` (a run's metrics, per-sample
  scores, sample ids and stage timings in one JSON file, so CI can keep a baseline in git);
* a pytest-benchmark JSON file (``--benchmark-json``) of ``benchmarks/test_bench_tasks.py``: metrics, CIs and
  provenance from ``extra_info``, and the timed harness round as a ``generate`` stage; no per-sample scores, so
  nothing paired can be computed from it.

Every metric is the store's typed :class:`~benchmarks.store.StoredMetric` (a ``MetricResult`` named by the task's
metric key, and its n), whichever the source; reports/run_files.py reads the two file kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.store import ResultsStore, StoredMetric
from reports.errors import ReportInputError

#: what ``to_snapshot`` writes; reports/run_files.py also reads the untyped ``nextgpt-bench-snapshot/1``
SNAPSHOT_FORMAT = "nextgpt-bench-snapshot/2"


@dataclass
class RunData:
    run_id: str
    #: the runs-table row (settings, model, status...) or what the file says about the run
    info: dict[str, Any]
    metrics: dict[tuple[str, str], StoredMetric]
    #: task -> metric -> sample id -> value; empty when the source has none (pytest-benchmark JSON)
    sample_scores: dict[str, dict[str, dict[str, float | None]]]
    #: task -> sample ids the run scored; absent tasks: unknown
    sample_ids: dict[str, frozenset[str]]
    #: task -> stage -> record ({"seconds", "calls", "peak_memory_bytes", ...}); empty without profiling
    stage_timings: dict[str, dict[str, dict[str, Any]]]
    source: str
    #: the store the run lives in (None for files): media for galleries
    store: ResultsStore | None = None
    #: task -> why the run did not run it (selected, but the model cannot do it); empty for a store older than
    #: schema 4, a snapshot written before skips were stored, and a pytest-benchmark file
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def tasks(self) -> list[str]:
        return sorted({task for task, _ in self.metrics})

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.info.get("settings") or {})

    def to_snapshot(self) -> dict[str, Any]:
        return {
            "format": SNAPSHOT_FORMAT, "run_id": self.run_id, "info": self.info, "source": self.source,
            "metrics": [{"task": r.task, "n": r.n, "result": r.result.to_dict()} for r in self.metrics.values()],
            "sample_scores": self.sample_scores,
            "sample_ids": {task: sorted(ids) for task, ids in self.sample_ids.items()},
            "stage_timings": self.stage_timings, "skipped": self.skipped,
        }


def load_from_store(store: ResultsStore, run_id: str) -> RunData:
    """Read one run (raises the store's error naming the latest runs when ``run_id`` is unknown)."""
    info = store.run(run_id)
    metrics = {(v.task, v.metric): v for v in store.metric_values(run_id)}
    tasks = sorted({task for task, _ in metrics})
    sample_ids = store.sample_ids(run_id)
    return RunData(run_id=run_id, info=info, metrics=metrics,
                   sample_scores={task: store.sample_scores(run_id, task) for task in tasks},
                   sample_ids={task: frozenset(ids) for task, ids in sample_ids.items()},
                   stage_timings=store.stage_timings(run_id), source=str(store.path), store=store,
                   skipped=store.skipped_tasks(run_id))


def merge_runs(runs: list[RunData]) -> RunData:
    """One view of several runs that scored different tasks (the task benchmarks write one run per task).
    A task scored by more than one run is an error: which of them to gate would be a guess.  A task one run
    skipped stays skipped unless another run scored it."""
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
                   source=first.source, store=first.store,
                   skipped={k: v for r in runs for k, v in r.skipped.items() if k not in seen})
