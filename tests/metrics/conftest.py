"""Shared fixtures for the metric tests; nothing may reach the network."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from metric_test_helpers import make_caption_corpus


@pytest.fixture
def caption_corpus() -> tuple[dict[str, str], dict[str, list[str]]]:
    return make_caption_corpus()
