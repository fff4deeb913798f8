from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from nextgpt.model.building import build_model
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.presets import tiny


@pytest.fixture(scope="session", autouse=True)
def private_hash_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Checkpoint hashes are cached under XDG_CACHE_HOME: keep the tests' entries out of the user's cache."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(scope="session")
def tiny_model() -> NextGPT:
    """The tiny preset, built once; tests must not change its weights (copy it with ``fresh_tiny_model``)."""
    return build_model(tiny())


@pytest.fixture()
def fresh_tiny_model() -> NextGPT:
    return build_model(tiny())


@pytest.fixture()
def model_never_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a CLI command gets as far as loading a model (its input checks must come first)."""
    def refuse(args: Any) -> Any:
        raise AssertionError("the command loaded the model before checking its inputs")

    monkeypatch.setattr("benchmarks.cli.model_commands.load_model_from_args", refuse)
