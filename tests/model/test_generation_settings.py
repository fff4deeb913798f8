"""Issue 12, case 3: generation settings are validated at the CLI (argparse, exit 2) and in GenerationRequest.

Before: ``--steps 0`` / ``--steps -1`` generated anyway, ``--max-new-tokens 0`` silently meant the default and
``-5`` gave an empty answer; GenerationRequest took any value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli

from nextgpt.core.errors import ConfigError
from nextgpt.core.requests import GenerationRequest
from nextgpt.model.config import TextGenerationConfig
from nextgpt.model.nextgpt_model import NextGPT


@pytest.mark.parametrize("field, value", [
    ("num_inference_steps", 0), ("num_inference_steps", -1), ("num_inference_steps", 2.5),
    ("max_new_tokens", 0), ("max_new_tokens", -5), ("max_new_tokens", True),
    ("guidance_scale", -1.0), ("guidance_scale", math.nan), ("guidance_scale", math.inf),
    ("seed", -1), ("seed", 2**32), ("seed", "7"),
])
def test_request_refuses_a_bad_setting_naming_field_and_value(field: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=rf"GenerationRequest\.{field}: expected .*got {value!r}"):
        GenerationRequest.build("hi", **{field: value})


def test_request_accepts_defaults_and_edge_values() -> None:
    request = GenerationRequest.build("hi", seed=2**32 - 1, guidance_scale=0.0, num_inference_steps=1,
                                      max_new_tokens=1)
    assert request.seed == 2**32 - 1
    assert GenerationRequest.build("hi").max_new_tokens is None


def test_request_refuses_non_text_and_malformed_history() -> None:
    with pytest.raises(ConfigError, match=r"GenerationRequest\.text: expected a string, got int"):
        GenerationRequest(text=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"GenerationRequest\.history: expected \(user message, assistant"):
        GenerationRequest(text="hi", history=(("only one",),))  # type: ignore[arg-type]


@pytest.mark.parametrize("field, value, expected", [
    ("temperature", 0.0, r"TextGenerationConfig\.temperature: expected a finite number > 0, got 0\.0"),
    ("top_p", 1.5, r"TextGenerationConfig\.top_p: expected a number in \(0, 1\], got 1\.5"),
])
def test_sampling_settings_name_field_and_value(field: str, value: float, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        TextGenerationConfig(**{field: value})


def test_more_steps_than_the_scheduler_has_are_refused(tiny_model: NextGPT) -> None:
    request = GenerationRequest.build("draw", want=["image"], allowed_outputs=["image"], max_new_tokens=1,
                                      num_inference_steps=5000)
    with pytest.raises(ConfigError, match=r"image decoder: num_inference_steps must be from 1 to 1000 .*got 5000"):
        tiny_model.generate(request)


@pytest.mark.parametrize("command", ["generate", "demo"])
@pytest.mark.parametrize("flag, value, expected", [
    ("--steps", "0", "argument --steps: expected a positive integer, got '0'"),
    ("--steps", "-1", "argument --steps: expected a positive integer, got '-1'"),
    ("--max-new-tokens", "0", "argument --max-new-tokens: expected a positive integer, got '0'"),
    ("--max-new-tokens", "-5", "argument --max-new-tokens: expected a positive integer, got '-5'"),
    ("--seed", "-1", "argument --seed: expected an integer seed from 0 to 4294967295, got '-1'"),
    ("--seed", "abc", "argument --seed: expected an integer seed from 0 to 4294967295, got 'abc'"),
    ("--guidance-scale", "-1", "argument --guidance-scale: expected a finite number >= 0, got '-1'"),
    ("--guidance-scale", "nan", "argument --guidance-scale: expected a finite number >= 0, got 'nan'"),
])
def test_cli_refuses_bad_numbers_before_anything_runs(command: str, flag: str, value: str, expected: str,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       model_never_loaded: None) -> None:
    args = [command, flag, value, "--out", str(tmp_path / "out")]
    if command == "generate":
        args += ["--text", "hi"]
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert expected in err
    assert not (tmp_path / "out").exists()
