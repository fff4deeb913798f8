"""``nextgpt-bench run`` joins torchrun's process group with an explicit, long timeout (not PyTorch's 10-minute
NCCL default, which aborted the ranks waiting while rank 0 scored a large task)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import torch.distributed

from benchmarks.cli import run_commands
from benchmarks.cli.distributed import DEFAULT_TIMEOUT_S, TIMEOUT_VARIABLE, process_group_timeout
from nextgpt.core.errors import ConfigError


def test_the_default_timeout_is_six_hours() -> None:
    assert DEFAULT_TIMEOUT_S == 6 * 3600
    assert process_group_timeout({}) == timedelta(hours=6)
    assert process_group_timeout({TIMEOUT_VARIABLE: "  "}) == timedelta(hours=6)


@pytest.mark.parametrize(("value", "expected"), [("60", timedelta(minutes=1)), (" 90.5 ", timedelta(seconds=90.5)),
                                                 ("86400", timedelta(days=1))])
def test_the_variable_overrides_the_timeout(value: str, expected: timedelta) -> None:
    assert process_group_timeout({TIMEOUT_VARIABLE: value}) == expected


@pytest.mark.parametrize("value", ["0", "-5", "ten", "nan", "inf", "6h"])
def test_a_bad_timeout_names_the_variable_and_the_value(value: str) -> None:
    with pytest.raises(ConfigError, match=rf"{TIMEOUT_VARIABLE}={value!r} is not a timeout; expected a positive"):
        process_group_timeout({TIMEOUT_VARIABLE: value})


@pytest.fixture
def init_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every ``torch.distributed.init_process_group`` call (which is not made)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(torch.distributed, "init_process_group", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.delenv(TIMEOUT_VARIABLE, raising=False)
    return calls


def test_the_run_command_joins_the_group_with_the_default_timeout(
        init_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert run_commands.init_distributed("cpu") is True
    assert init_calls == [{"backend": "gloo", "timeout": timedelta(hours=6)}]


def test_the_run_command_joins_the_group_with_the_configured_timeout(
        init_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv(TIMEOUT_VARIABLE, "1800")
    assert run_commands.init_distributed("cpu") is True
    assert init_calls == [{"backend": "gloo", "timeout": timedelta(minutes=30)}]


def test_a_bad_timeout_fails_before_joining(init_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv(TIMEOUT_VARIABLE, "soon")
    with pytest.raises(ConfigError, match=TIMEOUT_VARIABLE):
        run_commands.init_distributed("cpu")
    assert init_calls == []


def test_one_process_joins_no_group(init_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv(TIMEOUT_VARIABLE, "soon")  # not read: no group to join
    assert run_commands.init_distributed("cpu") is False
    assert init_calls == []
