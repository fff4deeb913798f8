"""pytest-benchmark suites: ``pytest benchmarks/ --benchmark-only``.

Options choose the model the suites run on; the default is the built-in tiny preset, which needs no weights.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nextgpt-bench")
    group.addoption("--preset", default="tiny", help="model preset the benchmarks run on (default: tiny)")
    group.addoption("--checkpoint", default=None, help="checkpoint folder saved by nextgpt-bench")
    group.addoption("--device", default="cpu", help="cpu or cuda")


@pytest.fixture(scope="session")
def bench_model(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    from nextgpt.building import build_model
    from nextgpt.checkpoint import load_checkpoint
    from nextgpt.presets import get_preset

    checkpoint = request.config.getoption("--checkpoint")
    preset = request.config.getoption("--preset")
    device = request.config.getoption("--device")
    if checkpoint:
        return load_checkpoint(checkpoint, preset=preset, device=device)
    return build_model(get_preset(preset), device=device)
