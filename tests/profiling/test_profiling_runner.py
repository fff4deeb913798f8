"""A runner given a stage profiler (``nextgpt-bench run --profile`` injects ``StageProfiler``) stores per-stage
records of the generated samples with the run, without changing the run's identity."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from nextgpt.profiling import END_TO_END, StageProfiler, StageRecord


@pytest.fixture(autouse=True)
def private_dataset_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, "NEXTGPT_BENCH_CACHE", str(tmp_path / "cache"))


def test_profiled_run_stores_stage_records(profiled_tiny_model: Any, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    settings = RunSettings(tasks=("t2i",), limit=2, bootstrap=0, extractors="toy")
    summary = BenchmarkRunner(profiled_tiny_model, store, settings, progress=None, stage_profiler=StageProfiler).run()
    stored = store.stage_timings(summary.run_id)["t2i"]
    records = {name: StageRecord.from_dict(data) for name, data in stored.items()}
    assert {"llm_prefill", "llm_decode", "decoder.image.unet", "decoder.image.vae_decode", END_TO_END} <= set(records)
    assert records[END_TO_END].calls == 2 and records["decoder.image.unet"].seconds > 0
    assert stored["decoder.image.unet"]["unit"] == "steps"
    unprofiled = BenchmarkRunner(profiled_tiny_model, store, settings, progress=None).run()
    assert unprofiled.tasks["t2i"].cached == 2  # the same cache keys: profiled outputs are reused as they are
