"""Per-stage benchmarks: one pytest-benchmark entry per NExT-GPT stage, so ``--benchmark-compare`` tracks each.

``test_stage[...]`` entries hold the stage's seconds per generation over ``ROUNDS`` profiled generations of
the standard any-to-any request (``nextgpt.profiling.session``: an image in, image + video + audio out), with
calls, throughput and memory in ``extra_info``.  The stage times come from ``StageProfiler`` (one generation
measures every stage at once), so they are fed to pytest-benchmark as measured durations rather than re-timed.
``profiling-overhead`` times generation with and without the profiler in the same session; ``stage-options``
times the speed/memory switches (dtype, KV cache, attention/VAE slicing, decoder CPU offload on CUDA).
"""

from __future__ import annotations

from typing import Any

import pytest

from nextgpt.core.modalities import MODALITIES
from nextgpt.profiling import END_TO_END, StageProfiler
from nextgpt.profiling.options import SpeedOptions, applied
from nextgpt.profiling.session import ProfileConfig, measure_overhead, profiling_requests, synchronise

ROUNDS = 3
OPTION_ROUNDS = 3
CONFIG = ProfileConfig(inputs=("image",), outputs=MODALITIES, max_new_tokens=16)
STAGES = ["encode", "input_projection", "llm_prefill", "llm_decode", "llm_generate_loop", "signal_forward",
          *(f"output_projection.{m}" for m in MODALITIES),
          *(f"decoder.{m}.{part}" for m in MODALITIES for part in ("text_encoder", "unet", "vae_decode", "pipeline")),
          "decoder.audio.vocoder", "other", END_TO_END]
OPTIONS = {"default": SpeedOptions(), "no-kv-cache": SpeedOptions(kv_cache=False),
           "attention-slicing": SpeedOptions(attention_slicing=True), "vae-slicing": SpeedOptions(vae_slicing=True),
           "cpu-offload": SpeedOptions(cpu_offload=True)}


@pytest.fixture(scope="module")
def stage_rounds(bench_model: Any) -> list[dict[str, Any]]:
    """Records of ``ROUNDS`` profiled generations (one dict of StageRecords per generation), after a warm-up."""
    requests = profiling_requests(bench_model, CONFIG)
    bench_model.generate(requests)
    rounds = []
    with StageProfiler(bench_model) as profiler:
        for _ in range(ROUNDS):
            profiler.reset()
            bench_model.generate(requests)
            rounds.append(profiler.records())
    return rounds


def _record_durations(benchmark: Any, durations: list[float]) -> None:
    """Hand externally measured durations to pytest-benchmark (it has no public API for this; pinned 5.3.x)."""
    if not hasattr(benchmark, "_make_stats"):
        pytest.skip("this pytest-benchmark version cannot take measured durations")
    benchmark._mode = "measured stage durations"
    stats = benchmark._make_stats(1)
    for duration in durations:
        stats.update(duration)


@pytest.mark.parametrize("stage", STAGES)
def test_stage(benchmark: Any, bench_model: Any, stage_rounds: list[dict[str, Any]], stage: str) -> None:
    present = [records[stage] for records in stage_rounds if stage in records]
    if not present:
        pytest.skip(f"{stage} did not run for this request")
    benchmark.group = "stages"
    last = present[-1].to_dict()
    benchmark.extra_info.update(
        {key: last.get(key) for key in ("calls", "units", "unit", "throughput", "throughput_unit",
                                        "memory_device", "peak_allocated_bytes", "peak_reserved_bytes",
                                        "peak_rss_bytes", "profiler_self_share")},
        preset=bench_model.config.preset, device=str(bench_model.device))
    _record_durations(benchmark, [record.seconds for record in present])


# --------------------------------------------------------------------------------------------- overhead
_OVERHEAD: dict[str, float] = {}


def _generate(model: Any, requests: list[Any]) -> None:
    model.generate(requests)
    synchronise(model)


def test_generation_unprofiled(benchmark: Any, bench_model: Any) -> None:
    requests = profiling_requests(bench_model, CONFIG)
    benchmark.group = "profiling-overhead"
    benchmark.pedantic(_generate, args=(bench_model, requests), rounds=ROUNDS, warmup_rounds=1)
    _OVERHEAD["plain"] = benchmark.stats.stats.median


def test_generation_profiled(benchmark: Any, bench_model: Any) -> None:
    requests = profiling_requests(bench_model, CONFIG)
    benchmark.group = "profiling-overhead"
    with StageProfiler(bench_model) as profiler:
        benchmark.pedantic(_generate, args=(bench_model, requests), rounds=ROUNDS, warmup_rounds=1)
        share = profiler.records()[END_TO_END].extra["profiler_self_share"]
    benchmark.extra_info["profiler_self_share"] = share
    if "plain" in _OVERHEAD:
        benchmark.extra_info["overhead_vs_unprofiled"] = benchmark.stats.stats.median / _OVERHEAD["plain"] - 1
    interleaved = measure_overhead(bench_model, requests, pairs=2)
    benchmark.extra_info["overhead_interleaved"] = interleaved.overhead


# ---------------------------------------------------------------------------------------------- options
def _profiled_option_round(benchmark: Any, model: Any, options: SpeedOptions) -> None:
    """Time ``OPTION_ROUNDS`` generations with ``options`` applied; ``extra_info['stage_seconds']`` holds each
    stage's smallest per-generation time over the rounds (the least disturbed by other work on the machine)."""
    requests = profiling_requests(model, CONFIG)
    rounds: list[dict[str, Any]] = []
    with applied(model, options):
        model.generate(requests)  # warm-up, unprofiled
        with StageProfiler(model) as profiler:

            def next_round() -> None:
                if profiler.records():
                    rounds.append(profiler.records())
                profiler.reset()

            benchmark.pedantic(_generate, args=(model, requests), setup=next_round, rounds=OPTION_ROUNDS)
            next_round()
    stages = {name for records in rounds for name in records}
    benchmark.extra_info.update(options=options.to_dict(), stage_seconds={
        name: min(records[name].seconds for records in rounds if name in records) for name in stages},
        peak_rss_bytes=max(records[END_TO_END].memory.peak_rss_bytes or 0 for records in rounds),
        peak_allocated_bytes=max(records[END_TO_END].memory.peak_allocated_bytes or 0 for records in rounds),
        peak_reserved_bytes=max(records[END_TO_END].memory.peak_reserved_bytes or 0 for records in rounds))


@pytest.mark.parametrize("option", list(OPTIONS))
def test_option(benchmark: Any, bench_model: Any, option: str) -> None:
    if OPTIONS[option].cpu_offload and bench_model.device.type != "cuda":
        pytest.skip("model CPU offload needs a CUDA device")
    benchmark.group = "stage-options"
    _profiled_option_round(benchmark, bench_model, OPTIONS[option])


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_dtype(benchmark: Any, request: pytest.FixtureRequest, dtype: str) -> None:
    from benchmarks.bench_model import load_bench_model

    model = load_bench_model(request.config, dtype)
    benchmark.group = "stage-options"
    try:
        _profiled_option_round(benchmark, model, SpeedOptions())
    except (RuntimeError, NotImplementedError) as error:  # an op without a kernel for this dtype on this device
        pytest.skip(f"{dtype} on {model.device}: {str(error).splitlines()[0]}")
    benchmark.extra_info["dtype"] = dtype


# ------------------------------------------------------------------------------------------------ batching
BATCH = 4
_BATCHING: dict[str, float] = {}


def _one_by_one(model: Any, requests: list[Any]) -> None:
    for request in requests:
        model.generate(request)
    synchronise(model)


@pytest.mark.parametrize("mode", ["one-by-one", "batched"])
def test_batched_generation(benchmark: Any, bench_model: Any, mode: str) -> None:
    """The same ``BATCH`` any-to-any requests answered one ``generate`` call each, then as one batch (left-padded
    LLM decoding, one decoder batch per modality); ``speedup_vs_one_by_one`` is the ratio of the medians."""
    from dataclasses import replace

    requests = profiling_requests(bench_model, replace(CONFIG, batch_size=BATCH))
    benchmark.group = "batched-generation"
    run = _one_by_one if mode == "one-by-one" else _generate
    benchmark.pedantic(run, args=(bench_model, requests), rounds=OPTION_ROUNDS, warmup_rounds=1)
    _BATCHING[mode] = benchmark.stats.stats.median
    benchmark.extra_info.update(batch_size=BATCH, seconds_per_sample=_BATCHING[mode] / BATCH)
    if mode == "batched" and "one-by-one" in _BATCHING:
        benchmark.extra_info["speedup_vs_one_by_one"] = _BATCHING["one-by-one"] / _BATCHING[mode]
