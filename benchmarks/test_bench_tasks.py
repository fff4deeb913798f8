"""One benchmark per task: the timed operation is the harness generating one sample (cache lookup, model,
media encoding, store write); after the timing, the task is scored and its metrics, confidence intervals and
provenance go into ``extra_info``, so ``--benchmark-json`` carries speed and quality together.

The store is fresh for the session (``--bench-store`` to keep one), so every timed round really generates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from benchmarks.tasks import get_task
from benchmarks.tasks.paper import load_reference


def test_task(benchmark: Any, bench_model: Any, bench_store_dir: Path, task_name: str, request: Any) -> None:
    config = request.config
    task = get_task(task_name)
    settings = RunSettings(tasks=(task.name,), limit=config.getoption("--limit"),
                           extractors=config.getoption("--extractors"), bootstrap=200)
    store = ResultsStore(bench_store_dir)
    runner = BenchmarkRunner(bench_model, store, settings, progress=None,
                             model_description={"preset": bench_model.config.preset, "benchmark": True})
    run_id, _ = runner.start()
    dataset = runner.load_dataset(task)
    samples = iter(dataset.samples)

    def next_sample() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (next(samples),), {}

    counts = []

    def generate(sample: Any) -> None:
        counts.append(runner.generate_sample(run_id, task, sample))

    benchmark.group = "tasks"
    benchmark.pedantic(generate, setup=next_sample, rounds=len(dataset.samples), iterations=1)
    assert sum(generated for generated, _ in counts) > 0, "every round came from the cache: nothing was timed"
    summary = runner.score(run_id, task, dataset)
    store.finish_run(run_id)
    values = {v.metric: v for v in store.metric_values(run_id) if v.task == task.name}
    benchmark.extra_info.update({
        "task": task.name, "run_id": run_id, "n": summary.n, "unit": "seconds per sample",
        "preset": bench_model.config.preset, "dataset": dataset.source,
        "metrics": summary.metrics, "ci": summary.ci,
        "provenance": {name: value.result.to_dict() for name, value in values.items()},
        "paper": [{"model": p.model, "metric": p.metric, "value": p.value, "source": p.source}
                  for p in load_reference().for_task(task.name) if p.model.startswith("NExT-GPT")],
    })
    assert summary.n == len(dataset.samples)
