"""The adapter registry: ``KIND:PATH`` parsing, adapter model config files, and the dispatch from a kind to its
adapter module (checked without weights, loaded through the kind's own loader)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from nextgpt.adapters import registry
from nextgpt.adapters.registry import (
    ADAPTER_KINDS,
    AdapterChoice,
    adapter_path,
    check_adapter,
    load_adapter,
    parse_model_argument,
    read_adapter_config,
)
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError, NextGPTError
from nextgpt.core.requests import GenerationRequest


def test_the_kinds_are_the_four_adapter_families() -> None:
    assert list(ADAPTER_KINDS) == ["diffusers", "captioner", "causal-lm", "cascade"]
    for name, kind in ADAPTER_KINDS.items():
        assert kind.example.startswith(f"{name}:")
        assert kind.module.startswith("nextgpt.adapters.")


def test_importing_the_registry_loads_no_model_library() -> None:
    """``--help`` and argument checks import it; torch, diffusers and transformers come only with a kind."""
    code = ("import sys, nextgpt.adapters.registry; "
            "print(sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(("text", "kind", "path"), [
    ("diffusers:weights/stable-diffusion-v1-5", "diffusers", Path("weights/stable-diffusion-v1-5")),
    ("causal-lm: /models/llm ", "causal-lm", Path("/models/llm")),
    ("cascade:configs/a:b.json", "cascade", Path("configs/a:b.json")),  # only the first ':' separates
    ("captioner:~/blip", "captioner", Path.home() / "blip"),
])
def test_a_model_argument_is_a_kind_and_a_path(text: str, kind: str, path: Path) -> None:
    assert parse_model_argument(text) == (kind, path)


@pytest.mark.parametrize(("text", "message"), [
    ("weights/sd", r"--model 'weights/sd': expected KIND:PATH with KIND one of diffusers, captioner, causal-lm, "
                   r"cascade \(e.g. diffusers:weights/stable-diffusion-v1-5\)"),
    ("stable-diffusion:weights/sd", r"--model 'stable-diffusion:weights/sd': unknown adapter kind "
                                    r"'stable-diffusion'; expected one of diffusers, captioner, causal-lm, cascade: "
                                    r"diffusers \(a diffusers pipeline folder"),
    ("captioner:", r"--model 'captioner:': the PATH after captioner: is empty; expected a transformers image, "
                   r"video or audio captioner folder \(e.g. captioner:weights/"),
    ("diffusers:  ", r"the PATH after diffusers: is empty"),
])
def test_a_bad_model_argument_names_the_kinds_and_an_example(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_model_argument(text, where="--model")


@pytest.fixture
def fake_kind_module(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The cascade kind's module replaced by one that records how it is called (the dispatch under test is the
    registry's, not the cascade's)."""
    calls: list[tuple[str, Any]] = []

    def check(path: Path) -> None:
        calls.append(("check", path))

    def load(path: Path, settings: AdapterSettings) -> str:
        calls.append(("load", (path, settings)))
        return "the model"

    module = types.ModuleType("nextgpt.adapters.cascade_config")
    module.check_cascade_config = check  # type: ignore[attr-defined]
    module.load_cascade = load  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nextgpt.adapters.cascade_config", module)
    return calls


def test_a_kind_dispatches_to_its_module_and_a_cascade_folder_reads_its_model_json(
        fake_kind_module: list[tuple[str, Any]], tmp_path: Path) -> None:
    settings = AdapterSettings(max_new_tokens=3)
    check_adapter("cascade", tmp_path / "model.json")
    check_adapter("cascade", tmp_path)  # a folder: its model.json
    assert load_adapter("cascade", tmp_path, settings) == "the model"
    assert AdapterChoice("cascade", tmp_path, settings).load() == "the model"
    assert fake_kind_module == [("check", tmp_path / "model.json"), ("check", tmp_path / "model.json"),
                                ("load", (tmp_path / "model.json", settings)),
                                ("load", (tmp_path / "model.json", settings))]
    assert adapter_path("diffusers", tmp_path) == tmp_path, "only the cascade reads a file inside the folder"
    with pytest.raises(ConfigError, match=r"unknown adapter kind 'sd'"):
        check_adapter("sd", tmp_path)


def test_an_adapter_choice_runs_on_its_settings_device() -> None:
    assert AdapterChoice("diffusers", Path("x"), AdapterSettings(device="cuda:1")).device == "cuda:1"


# ------------------------------------------------------------------------------------ adapter model configs
def _config(tmp_path: Path, data: object, name: str = "model.json") -> Path:
    file = tmp_path / name
    file.write_text(json.dumps(data), encoding="utf-8")
    return file


def test_an_adapter_config_resolves_its_path_against_its_folder_and_keeps_its_settings(tmp_path: Path) -> None:
    file = _config(tmp_path, {"adapter": "diffusers", "path": "pipelines/sd", "num_inference_steps": 20,
                              "guidance_scale": 5, "device": "cpu", "dtype": "float16"})
    config = read_adapter_config(file)
    assert config is not None
    assert (config.kind, config.path, config.file) == ("diffusers", tmp_path / "pipelines/sd", file)
    assert dict(config.settings) == {"num_inference_steps": 20, "guidance_scale": 5, "device": "cpu",
                                     "dtype": "float16"}
    absolute = read_adapter_config(_config(tmp_path, {"adapter": "causal-lm", "path": "/models/llm"}, "b.json"))
    assert absolute is not None and absolute.path == Path("/models/llm") and dict(absolute.settings) == {}


def test_a_cascade_config_is_its_own_file(tmp_path: Path) -> None:
    file = _config(tmp_path, {"adapter": "cascade", "captioners": {"image": "cap"}, "llm": None,
                              "generators": {}})
    config = read_adapter_config(file)
    assert config is not None and (config.kind, config.path, dict(config.settings)) == ("cascade", file, {})


@pytest.mark.parametrize("content", [
    json.dumps({"preset": "tiny", "device": "cpu"}),  # a NExT-GPT model config
    "{not json", json.dumps(["adapter"]), '{"adapter": "diffusers", "adapter": "cascade"}',
])
def test_a_file_without_an_adapter_key_is_left_to_the_nextgpt_reader(tmp_path: Path, content: str) -> None:
    """Its errors (bad JSON, repeated keys...) are reported by ModelSpec.from_file in the existing words."""
    file = tmp_path / "model.json"
    file.write_text(content, encoding="utf-8")
    assert read_adapter_config(file) is None
    assert read_adapter_config(tmp_path / "absent.json") is None


@pytest.mark.parametrize(("data", "message"), [
    ({"adapter": "sd", "path": "x"}, r"model config .*model.json: adapter: unknown adapter kind 'sd'; expected one "
                                     r"of diffusers, captioner, causal-lm, cascade"),
    ({"adapter": 3, "path": "x"}, r"model config .*: adapter must be one of diffusers, .* got 3"),
    ({"adapter": "captioner"}, r"model config .*: path must be a transformers image, video or audio captioner "
                               r"folder, relative to the file's folder or absolute; got None"),
    ({"adapter": "diffusers", "path": " "}, r"path must be a diffusers pipeline folder .* got ' '"),
    ({"adapter": "diffusers", "path": "x", "steps": 4}, r"model config .*: unknown key\(s\) steps for the "
                                                        r"diffusers adapter; expected adapter, path, options, device, "
                                                        r"dtype, num_inference_steps, guidance_scale, max_new_tokens"),
    ({"adapter": "diffusers", "path": "x", "num_inference_steps": 0},
     r"model config .*model.json: adapter settings: num_inference_steps: expected a positive integer, got 0"),
    ({"adapter": "causal-lm", "path": "x", "dtype": "int8"},
     r"model config .*: adapter settings: dtype must be one of float32, float16, bfloat16, got 'int8'"),
])
def test_a_bad_adapter_config_names_the_file_and_the_field(tmp_path: Path, data: dict[str, Any],
                                                           message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_adapter_config(_config(tmp_path, data))


def test_every_setting_key_is_an_adapter_settings_field() -> None:
    from dataclasses import fields

    assert set(registry.SETTING_KEYS) == {f.name for f in fields(AdapterSettings)}


# ------------------------------------------------------------------------------------ the real kinds
@pytest.fixture(scope="module")
def transformers_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny image captioner and a tiny causal LM, saved as users' folders are (a few hundred kB each)."""
    from nextgpt.tiny_baselines.captioner_folders import write_tiny_captioner
    from nextgpt.tiny_baselines.causal_lm_folder import write_tiny_causal_lm

    root = tmp_path_factory.mktemp("tiny-transformers")
    return {"captioner": write_tiny_captioner("image", root / "captioner"),
            "causal-lm": write_tiny_causal_lm(root / "llm")}


def test_every_kind_names_a_check_and_a_loader_its_module_has() -> None:
    for kind in ADAPTER_KINDS.values():
        module = importlib.import_module(kind.module)
        assert callable(getattr(module, kind.check)) and callable(getattr(module, kind.load)), kind.name


def test_each_transformers_kind_checks_and_loads_its_folder_and_refuses_the_other(
        transformers_folders: dict[str, Path]) -> None:
    for kind, folder in transformers_folders.items():
        check_adapter(kind, folder)
        model = load_adapter(kind, folder, AdapterSettings(max_new_tokens=2))
        assert model.describe()["source"] == str(folder)
        assert model.describe()["adapter"] == {"captioner": "transformers-captioner",
                                               "causal-lm": "transformers-causal-lm"}[kind]
    with pytest.raises(NextGPTError, match=str(transformers_folders["captioner"])):
        check_adapter("causal-lm", transformers_folders["captioner"])
    with pytest.raises(NextGPTError, match=r"has no model_index.json"):
        check_adapter("diffusers", transformers_folders["causal-lm"])


# ------------------------------------------------------------------------------- the adapters' own options
def test_an_adapter_config_passes_its_own_options_to_the_adapter(tmp_path: Path) -> None:
    from nextgpt.adapters.registry import read_adapter_config
    from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

    write_tiny_pipeline("video", tmp_path / "t2v")
    config = tmp_path / "model.json"
    config.write_text(json.dumps({"adapter": "diffusers", "path": "t2v", "num_inference_steps": 1,
                                  "options": {"num_frames": 3, "height": 16, "width": 16}}), encoding="utf-8")
    selected = read_adapter_config(config)
    assert selected is not None and dict(selected.options) == {"num_frames": 3, "height": 16, "width": 16}
    model = registry.load_adapter("diffusers", selected.path, registry.check_settings(selected.settings, where="t"),
                                  selected.options)
    video = model.generate([GenerationRequest.build("a red square", want=("video",), seed=0)])[0].videos[0]
    assert video.shape[:3] == (3, 16, 16)


def test_an_option_the_adapter_does_not_take_is_refused_naming_what_it_takes(tmp_path: Path) -> None:
    from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

    folder = write_tiny_pipeline("audio", tmp_path / "t2a")
    with pytest.raises(ConfigError, match=r"where: num_frames do\(es\) not apply to the diffusers adapter of .*t2a; "
                                          r"it takes audio_length_in_s"):
        registry.check_options("diffusers", folder, {"num_frames": 4}, where="where")
    with pytest.raises(ConfigError, match="it takes no options"):
        registry.check_options("causal-lm", tmp_path, {"prefix": "a"}, where="where")


@pytest.fixture(scope="module")
def pipeline_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

    root = tmp_path_factory.mktemp("tiny-pipelines")
    return {modality: write_tiny_pipeline(modality, root / modality) for modality in ("image", "video", "audio")}


@pytest.mark.parametrize(("modality", "options", "message"), [
    ("audio", {"audio_length_in_s": 0.01}, r"options.audio_length_in_s: expected at least 0.032 s \(one latent frame "
                                            r"of the pipeline in .*\), got 0.01"),
    ("audio", {"audio_length_in_s": "5"}, r"options.audio_length_in_s: expected a finite number > 0, got '5'"),
    ("image", {"height": 12}, r"options.height: expected a multiple of 8 .*, got 12"),
    ("video", {"num_frames": 0}, r"options.num_frames: expected a positive integer, got 0"),
    ("video", {"width": -8}, r"options.width: expected a positive integer, got -8"),
])
def test_an_option_value_the_adapter_would_refuse_is_refused_by_the_check(
        pipeline_folders: dict[str, Path], modality: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        registry.check_options("diffusers", pipeline_folders[modality], options, where="options")
    registry.check_options("diffusers", pipeline_folders[modality], {}, where="options")  # the defaults pass


def test_a_captioner_prefix_is_checked_by_family_and_type(transformers_folders: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match=r"options: prefix do\(es\) not apply to the captioner adapter"):
        registry.check_options("captioner", transformers_folders["captioner"], {"prefix": "a"}, where="options")


def test_options_must_be_an_object(tmp_path: Path) -> None:
    from nextgpt.adapters.registry import read_adapter_config

    config = tmp_path / "model.json"
    config.write_text(json.dumps({"adapter": "diffusers", "path": "x", "options": [1]}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"options must be a JSON object"):
        read_adapter_config(config)
