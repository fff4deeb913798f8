"""Latency of end-to-end generation on the chosen model, one benchmark per output modality.

Each benchmark answers the same prompt with the output forced (``want``), so it times prompt encoding, LLM
decoding, the teacher-forced signal pass, the output projection and that modality's decoder.  The text-only
benchmark is the baseline the three others add their decoder to.  CUDA is synchronised before the clock stops.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from nextgpt.core.requests import GenerationRequest

OUTPUTS = {"text": [], "image": ["image"], "video": ["video"], "audio": ["audio"]}


def _synchronise(model: Any) -> None:
    if model.device.type == "cuda":
        torch.cuda.synchronize(model.device)


@pytest.mark.parametrize("output", list(OUTPUTS))
def test_generation_latency(benchmark: Any, bench_model: Any, output: str) -> None:
    request = GenerationRequest.build("Show me a red circle on a white background.", want=OUTPUTS[output],
                                      allowed_outputs=OUTPUTS[output], seed=0, max_new_tokens=16)

    def generate() -> Any:
        result = bench_model.generate(request)
        _synchronise(bench_model)
        return result

    benchmark.group = "generation"
    benchmark.extra_info.update({"output": output, "preset": bench_model.config.preset,
                                 "device": str(bench_model.device)})
    result = benchmark.pedantic(generate, rounds=3, warmup_rounds=1, iterations=1)
    produced = result.produced
    assert produced == OUTPUTS[output]
    benchmark.extra_info["signal_runs"] = [f"{r.modality}:{r.status}" for r in result.signal_runs]
