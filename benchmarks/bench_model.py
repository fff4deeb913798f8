"""The model the pytest-benchmark options name (shared by the fixtures and benchmarks that build their own)."""

from __future__ import annotations

from typing import Any

import pytest


def load_bench_model(config: pytest.Config, dtype: Any = None) -> Any:
    """The model the options name: --checkpoint, else --preset, else the shipped tiny-trained checkpoint."""
    from nextgpt.model.building import build_model
    from nextgpt.model.checkpoint import load_checkpoint
    from nextgpt.model.presets import get_preset
    from nextgpt.model.pretrained import DEFAULT_CHECKPOINT, resolve_checkpoint

    checkpoint = config.getoption("--checkpoint")
    preset = config.getoption("--preset")
    device = config.getoption("--device")
    if checkpoint is None and preset is None:
        checkpoint = DEFAULT_CHECKPOINT
    if checkpoint:
        return load_checkpoint(resolve_checkpoint(checkpoint), preset=preset, device=device, dtype=dtype)
    return build_model(get_preset(preset), device=device, dtype=dtype)
