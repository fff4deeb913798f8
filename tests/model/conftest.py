from __future__ import annotations

import pytest

from nextgpt.building import build_model
from nextgpt.model import NextGPT
from nextgpt.presets import tiny


@pytest.fixture(scope="session")
def tiny_model() -> NextGPT:
    """The tiny preset, built once; tests must not change its weights (copy it with ``fresh_tiny_model``)."""
    return build_model(tiny())


@pytest.fixture()
def fresh_tiny_model() -> NextGPT:
    return build_model(tiny())

