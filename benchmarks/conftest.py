"""pytest-benchmark suites: ``pytest benchmarks/ --benchmark-only``.

Options choose the model and the tasks; the default is the shipped tiny-trained checkpoint on the default suite over the
synthetic world, which needs no weights and no downloads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nextgpt-bench")
    group.addoption("--preset", default=None,
                    help="model preset the benchmarks run on (default: the shipped tiny-trained checkpoint; "
                         "--preset tiny alone is the untrained tiny model)")
    group.addoption("--checkpoint", default=None,
                    help="checkpoint folder saved by nextgpt-bench, or a shipped checkpoint's name")
    group.addoption("--device", default="cpu", help="cpu or cuda")
    group.addoption("--suite", default="default", help="task suite of the task benchmarks (default: default)")
    group.addoption("--tasks", default=None, help="comma-separated tasks (instead of --suite)")
    group.addoption("--limit", type=int, default=4, help="samples per task (default: 4)")
    group.addoption("--extractors", default="toy", choices=("toy", "canonical"),
                    help="feature networks for FID/CLIP/FAD (canonical needs local weights)")
    group.addoption("--bench-store", default=None,
                    help="results store of the task benchmarks (default: a fresh temporary folder)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "task_name" in metafunc.fixturenames:
        from benchmarks.tasks import get_task, suite_tasks

        config = metafunc.config
        names = config.getoption("--tasks")
        tasks = [get_task(n.strip()).name for n in names.split(",")] if names else [
            t.name for t in suite_tasks(config.getoption("--suite"))]
        metafunc.parametrize("task_name", tasks)


@pytest.fixture(scope="session")
def bench_model(request: pytest.FixtureRequest) -> Any:
    from benchmarks.bench_model import load_bench_model

    return load_bench_model(request.config)


@pytest.fixture(scope="session")
def bench_store_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = request.config.getoption("--bench-store")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("bench-store")
