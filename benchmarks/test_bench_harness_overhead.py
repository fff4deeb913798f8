"""The harness's own cost: generating through the runner (cache key with input hashes, media encoding,
content-addressed files, SQLite transaction) against calling ``model.generate`` on the same requests, in the same
session.  The ratio lands in the harness benchmark's ``extra_info['overhead_vs_direct']`` (target: < 1.05).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.runner.keys import sample_seed
from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from benchmarks.tasks import get_task

TASK = "t2i"
#: timed rounds per side (one sample each), after one warm-up sample
SAMPLES = 8
_MEANS: dict[str, float] = {}


@pytest.fixture(scope="module")
def runner_and_samples(bench_model: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, list[Any]]:
    settings = RunSettings(tasks=(TASK,), limit=SAMPLES + 1, extractors="toy", bootstrap=0)
    runner = BenchmarkRunner(bench_model, ResultsStore(Path(tmp_path_factory.mktemp("overhead"))), settings,
                             progress=None)
    dataset = runner.load_dataset(get_task(TASK))
    return runner, runner.start()[0], list(dataset.samples)


def _rounds(samples: list[Any]) -> Any:
    iterator = iter(samples)

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (next(iterator),), {}

    return setup


def test_direct_model_calls(benchmark: Any, bench_model: Any, runner_and_samples: tuple[Any, Any, list[Any]]
                            ) -> None:
    _, _, samples = runner_and_samples
    task = get_task(TASK)

    def direct(sample: Any) -> None:
        bench_model.generate(task.requests(sample, sample_seed(0, TASK, sample.id))[0])

    benchmark.group = "harness-overhead"
    benchmark.pedantic(direct, setup=_rounds(samples), rounds=SAMPLES, warmup_rounds=1, iterations=1)
    _MEANS["direct"] = benchmark.stats.stats.mean


def test_through_the_harness(benchmark: Any, runner_and_samples: tuple[Any, Any, list[Any]]) -> None:
    runner, run_id, samples = runner_and_samples
    task = get_task(TASK)
    generated = []
    benchmark.group = "harness-overhead"
    benchmark.pedantic(lambda sample: generated.append(runner.generate_sample(run_id, task, sample)),
                       setup=_rounds(samples), rounds=SAMPLES, warmup_rounds=1, iterations=1)
    assert all(count == (1, 0) for count in generated), "the harness must really generate (no cache hits)"
    if "direct" in _MEANS:
        benchmark.extra_info["overhead_vs_direct"] = benchmark.stats.stats.mean / _MEANS["direct"]
