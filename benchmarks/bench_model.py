"""The model the pytest-benchmark options name (shared by the fixtures and benchmarks that build their own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from nextgpt.model.model_spec import DType, ModelSpec
    from nextgpt.model.nextgpt_model import NextGPT


def bench_model_spec(config: pytest.Config, dtype: DType = "float32") -> ModelSpec:
    """The options' model: --checkpoint, else --preset, else the shipped tiny-trained checkpoint."""
    from nextgpt.model.model_spec import ModelSpec
    from nextgpt.model.pretrained import DEFAULT_CHECKPOINT

    checkpoint = config.getoption("--checkpoint")
    preset = config.getoption("--preset")
    if checkpoint is None and preset is None:
        checkpoint = DEFAULT_CHECKPOINT
    return ModelSpec(preset=preset, checkpoint=checkpoint, device=config.getoption("--device"), dtype=dtype)


def load_bench_model(config: pytest.Config, dtype: DType = "float32") -> NextGPT:
    from nextgpt.model.loading import load_model

    return load_model(bench_model_spec(config, dtype))
