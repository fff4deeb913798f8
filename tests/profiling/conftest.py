from __future__ import annotations

import pytest

from nextgpt.model.building import build_model
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.presets import tiny


@pytest.fixture(scope="session")
def profiled_tiny_model() -> NextGPT:
    """The tiny preset, built once for the profiling tests (which must leave it unchanged)."""
    return build_model(tiny())
