"""A cascade's config file: what it must hold, how its paths resolve, and that every error names the file and the
field (the component folders themselves are checked in test_cascade_suite.py, on real tiny folders)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nextgpt.adapters.cascade_config import (
    ComponentEntry,
    check_cascade_config,
    merged_settings,
    parse_cascade_config,
    read_config_file,
)
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError, MissingWeightsError

BASE = Path("/models/cascade")
FULL: dict[str, Any] = {"adapter": "cascade", "captioners": {"image": "cap-i", "audio": "/abs/cap-a"}, "llm": "lm",
                        "generators": {"video": {"path": "t2v", "num_frames": 4}, "image": "t2i"},
                        "settings": {"num_inference_steps": 2}}


def parse(**changes: Any) -> Any:
    config = {key: value for key, value in {**FULL, **changes}.items() if value is not ...}
    return parse_cascade_config(config, base_dir=BASE, where="cascade config x.json")


def test_paths_resolve_against_the_config_folder_and_the_defaults_follow_the_llm() -> None:
    spec = parse()
    assert spec.captioners == {"image": ComponentEntry(BASE / "cap-i", {}),
                               "audio": ComponentEntry(Path("/abs/cap-a"), {})}
    assert spec.llm == BASE / "lm"
    assert spec.generators == {"image": ComponentEntry(BASE / "t2i", {}),
                               "video": ComponentEntry(BASE / "t2v", {"num_frames": 4})}
    assert spec.options.generator_prompt == "llm"
    assert spec.settings == {"num_inference_steps": 2}
    without_llm = parse(llm=None)
    assert without_llm.llm is None and without_llm.options.generator_prompt == "user"
    assert parse(captioners=..., generators=..., settings=...).captioners == {}


@pytest.mark.parametrize(("changes", "message"), [
    ({"adapter": "diffusers"}, r"adapter must be \"cascade\", got 'diffusers'"),
    ({"llms": "lm"}, r"unknown key\(s\) llms; a cascade config has adapter, captioners, llm"),
    ({"captioners": ["cap-i"]}, r"captioners must be an object of modality -> a folder path \(or an object"),
    ({"generators": {"text": "t2t"}}, r"generators names unknown modality 'text'; expected among image, video"),
    ({"captioners": {"image": ""}}, r"captioners.image must be a folder path .* got ''"),
    ({"captioners": {"image": {"prefix": "a"}}}, r"captioners.image.path must be a folder path .* got None"),
    ({"generators": {"video": {"num_frames": 4}}}, r"generators.video.path must be a folder path .* got None"),
    ({"llm": 3}, r"llm must be a folder path .* got 3"),
    ({"generator_prompt": "caption"}, r"generator_prompt must be one of llm, user, got 'caption'"),
    ({"llm": None, "generator_prompt": "llm"}, r"generator_prompt is \"llm\" but llm is null"),
    ({"settings": {"device": "cuda"}}, r"settings has unknown key\(s\) device; .* \(the device comes from"),
    ({"settings": {"num_inference_steps": 0}}, r"settings: .*num_inference_steps: expected a positive integer, got 0"),
    ({"captioners": {}, "llm": None, "generators": {}}, r"no component"),
])
def test_a_wrong_field_is_refused_naming_the_file_and_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=r"^cascade config x.json: " + message):
        parse(**changes)


def test_the_file_settings_complete_the_command_settings_and_a_setting_given_twice_is_refused() -> None:
    merged = merged_settings({"num_inference_steps": 2}, AdapterSettings(device="cuda", max_new_tokens=8),
                             where="cascade config x.json")
    assert merged == AdapterSettings(device="cuda", num_inference_steps=2, max_new_tokens=8)
    with pytest.raises(ConfigError, match=r"x.json: settings.num_inference_steps is also given by the command"):
        merged_settings({"num_inference_steps": 2}, AdapterSettings(num_inference_steps=4), where="x.json")


def test_an_unreadable_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(MissingWeightsError, match=rf"cascade config {tmp_path / 'model.json'}: no such file"):
        check_cascade_config(tmp_path / "model.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"adapter": "cascade", "llm": "a", "llm": "b"}', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"cascade config {broken}: repeated key\(s\) 'llm'"):
        read_config_file(broken)
    broken.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"expected a JSON object, got list"):
        read_config_file(broken)
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not readable JSON"):
        check_cascade_config(broken)
    json.loads(json.dumps(FULL))  # the example config is plain JSON
