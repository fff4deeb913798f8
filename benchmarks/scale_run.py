"""One run of the scale benchmark (benchmarks/test_bench_scale.py), in a process of its own so that its peak
memory is its own: ``python -m benchmarks.scale_run draw N`` draws (and caches) the synthetic world of N samples;
``python -m benchmarks.scale_run run N STORE`` runs t2i on N samples with the instant model into STORE and prints
one JSON line of figures (seconds, peak RSS, store size, generate calls, feature rows extracted)."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

TASK = "t2i"


def draw(samples: int) -> None:
    from benchmarks.datasets.registry import resolve_dataset
    from benchmarks.tasks import get_task

    resolve_dataset(get_task(TASK).family, None, limit=samples)


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def run(samples: int, store_folder: Path) -> dict[str, Any]:
    """Run (or resume) t2i on ``samples`` samples into ``store_folder`` -> the figures."""
    import torch

    from benchmarks.instant_model import InstantImageModel
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings
    from benchmarks.store import ResultsStore
    from metrics.extractors.base import FeatureExtractor

    torch.set_num_threads(1)
    extracted: Counter[str] = Counter()
    original = FeatureExtractor.extract

    def counting(self: FeatureExtractor, batch: torch.Tensor) -> torch.Tensor:
        extracted[self.name] += len(batch)
        return original(self, batch)

    FeatureExtractor.extract = counting  # type: ignore[method-assign]  # this process only
    model = InstantImageModel()
    store = ResultsStore(store_folder)
    runner = BenchmarkRunner(model, store, RunSettings(tasks=(TASK,), limit=samples, extractors="toy", bootstrap=0))
    runner.datasets()  # read from the cache the draw step filled (not timed)
    started = time.perf_counter()
    summary = runner.run()
    seconds = time.perf_counter() - started
    task = summary.tasks[TASK]
    return {"samples": samples, "run_seconds": seconds, "generate_seconds": task.seconds,
            "score_seconds": seconds - task.seconds, "generate_calls": model.calls, "cached": task.cached,
            "resumed": summary.resumed, "fid": task.metrics.get("fid"),
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "store_bytes": folder_bytes(store_folder), "fid_rows_extracted": extracted["toy"]}


if __name__ == "__main__":
    if sys.argv[1] == "draw":
        draw(int(sys.argv[2]))
    else:
        print(json.dumps(run(int(sys.argv[2]), Path(sys.argv[3]))), flush=True)
