"""A cascade's config file (``model.json``): which local folders its components are, and its own options.

::

    {
      "adapter": "cascade",
      "captioners": {"image": {"path": "blip", "prefix": "a picture of"}, "video": "captioner-video"},
      "llm": "llm",
      "generators": {"image": "t2i", "video": {"path": "t2v", "num_frames": 16}, "audio": "t2a"},
      "generator_prompt": "llm",
      "settings": {"num_inference_steps": 2}
    }

* ``captioners``: input modality -> a transformers captioner folder that reads that modality, or an object of
  its ``path`` and the captioner's own ``prefix`` (BLIP and GIT only) (optional);
* ``llm``: a transformers causal LM folder, or null for none (optional, default null);
* ``generators``: output modality -> a diffusers pipeline folder writing that modality (StableDiffusionPipeline:
  image, TextToVideoSDPipeline: video, AudioLDMPipeline: audio), or an object of its ``path`` and that adapter's
  own options (``height``/``width`` for images; ``num_frames``, ``height``, ``width`` for videos;
  ``audio_length_in_s`` for audio) (optional);
* ``generator_prompt``: ``"llm"`` (the generators draw the LLM's answer; the default with an LLM) or ``"user"``
  (the user's words after the input captions; the default and the only choice without one), see
  ``nextgpt.adapters.cascade``;
* ``settings``: ``dtype``, ``num_inference_steps``, ``guidance_scale``, ``max_new_tokens`` for every component
  (each adapter uses those that apply to it). The device comes from the command (``--device``); a setting given
  both here and on the command line is refused, so one place decides it.

Relative paths are relative to the config file's folder. :func:`check_cascade_config` reads only the JSON and the
components' small config files (no weights), so a wrong folder is named before anything loads; every error names
the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, cast

from nextgpt.adapters.cascade import Cascade, CascadeOptions
from nextgpt.adapters.cascade_prompts import GENERATOR_PROMPTS
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError, MissingWeightsError, NextGPTError
from nextgpt.core.interface import AnyToAnyModel
from nextgpt.core.json_keys import DuplicateKeysError, reject_duplicate_keys
from nextgpt.core.modalities import MODALITIES, Modality

CONFIG_KEYS = ("adapter", "captioners", "llm", "generators", "generator_prompt", "settings")
#: The adapter settings a cascade file may give for all its components (the device comes from the command).
FILE_SETTING_KEYS = ("dtype", "num_inference_steps", "guidance_scale", "max_new_tokens")


@dataclass(frozen=True)
class ComponentEntry:
    """One captioner or generator of the config: its folder (resolved) and its adapter's own options."""

    path: Path
    options: dict[str, Any]


@dataclass(frozen=True)
class CascadeSpec:
    """A checked cascade config: the components (resolved), the cascade's options and the file's settings."""

    captioners: dict[Modality, ComponentEntry]
    llm: Path | None
    generators: dict[Modality, ComponentEntry]
    options: CascadeOptions
    settings: dict[str, Any]


def read_config_file(config_file: Path) -> dict[str, Any]:
    """The JSON object of ``config_file``, or an error naming the file."""
    if not config_file.is_file():
        raise MissingWeightsError(f"cascade config {config_file}: no such file; expected a cascade model.json")
    try:
        data = json.loads(config_file.read_text(encoding="utf-8"), object_pairs_hook=reject_duplicate_keys)
    except DuplicateKeysError as error:
        raise ConfigError(f"cascade config {config_file}: repeated key(s) {error}") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"cascade config {config_file}: not readable JSON ({error})") from error
    if not isinstance(data, dict):
        raise ConfigError(f"cascade config {config_file}: expected a JSON object, got {type(data).__name__}")
    return data


def parse_cascade_config(config: Mapping[str, Any], *, base_dir: Path, where: str) -> CascadeSpec:
    """Check the keys and types of a cascade config (no folder is read) and resolve its paths."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"{where}: expected a JSON object, got {type(config).__name__}")
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; a cascade config has "
                          f"{', '.join(CONFIG_KEYS)}")
    if config.get("adapter") != "cascade":
        raise ConfigError(f"{where}: adapter must be \"cascade\", got {config.get('adapter')!r}")
    captioners = _components(config.get("captioners", {}), "captioners", base_dir=base_dir, where=where)
    generators = _components(config.get("generators", {}), "generators", base_dir=base_dir, where=where)
    llm = config.get("llm")
    llm_folder = None if llm is None else _path(llm, "llm", base_dir=base_dir, where=where)
    generator_prompt = config.get("generator_prompt", "user" if llm_folder is None else "llm")
    if generator_prompt not in GENERATOR_PROMPTS:
        raise ConfigError(f"{where}: generator_prompt must be one of {', '.join(GENERATOR_PROMPTS)}, got "
                          f"{generator_prompt!r}")
    if generator_prompt == "llm" and llm_folder is None:
        raise ConfigError(f"{where}: generator_prompt is \"llm\" but llm is null; give an llm folder or "
                          "generator_prompt \"user\"")
    if not captioners and not generators and llm_folder is None:
        raise ConfigError(f"{where}: no component; give captioners, an llm or generators")
    return CascadeSpec(captioners, llm_folder, generators, CascadeOptions(generator_prompt),
                       _file_settings(config.get("settings", {}), where=where))


def _path(value: Any, field: str, *, base_dir: Path, where: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {field} must be a folder path (relative to the config's folder or absolute), "
                          f"got {value!r}")
    return base_dir / Path(value.strip()).expanduser()


def _components(value: Any, field: str, *, base_dir: Path, where: str) -> dict[Modality, ComponentEntry]:
    """The entries of a ``captioners`` or ``generators`` object: each a folder path, or an object of ``path`` and
    the adapter's own options."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: {field} must be an object of modality -> a folder path (or an object of path "
                          f"and options), got {value!r}")
    unknown = sorted(set(value) - set(MODALITIES))
    if unknown:
        raise ConfigError(f"{where}: {field} names unknown modality {', '.join(map(repr, unknown))}; expected "
                          f"among {', '.join(MODALITIES)}")
    entries: dict[Modality, ComponentEntry] = {}
    for modality in (m for m in MODALITIES if m in value):
        entry, name = value[modality], f"{field}.{modality}"
        if isinstance(entry, Mapping):
            options = {key: option for key, option in entry.items() if key != "path"}
            entries[modality] = ComponentEntry(_path(entry.get("path"), f"{name}.path", base_dir=base_dir,
                                                     where=where), options)
        else:
            entries[modality] = ComponentEntry(_path(entry, name, base_dir=base_dir, where=where), {})
    return entries


def _file_settings(value: Any, *, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: settings must be an object with any of {', '.join(FILE_SETTING_KEYS)}, got "
                          f"{value!r}")
    unknown = sorted(set(value) - set(FILE_SETTING_KEYS))
    if unknown:
        raise ConfigError(f"{where}: settings has unknown key(s) {', '.join(unknown)}; expected among "
                          f"{', '.join(FILE_SETTING_KEYS)} (the device comes from the command)")
    try:
        AdapterSettings(**value)
    except ConfigError as error:
        raise ConfigError(f"{where}: settings: {error}") from error
    return dict(value)


def merged_settings(file_settings: Mapping[str, Any], settings: AdapterSettings, *, where: str) -> AdapterSettings:
    """The command's settings completed by the file's; a field both set is refused."""
    given = {f.name: getattr(settings, f.name) for f in fields(AdapterSettings)}
    twice = sorted(name for name in file_settings if given.get(name) is not None)
    if twice:
        raise ConfigError(f"{where}: settings.{', settings.'.join(twice)} is also given by the command; set it in "
                          "one place")
    return AdapterSettings(**{**given, **file_settings})


def check_components(spec: CascadeSpec, *, where: str) -> None:
    """Check every component folder without loading weights: it exists, is of its role's kind, reads or writes
    the modality its key names, and takes the options its entry gives, with those values (each adapter's own
    ``check_option_values``, so a cascade accepts exactly what the adapter alone would)."""
    from nextgpt.adapters import diffusers_pipelines, transformers_captioner
    from nextgpt.adapters.diffusers_pipelines import PIPELINE_OUTPUTS, check_diffusers_folder
    from nextgpt.adapters.transformers_captioner import check_captioner_folder
    from nextgpt.adapters.transformers_causal_lm import check_causal_lm_folder

    for modality, entry in spec.captioners.items():
        field = f"captioners.{modality}"
        reads = _checked(check_captioner_folder, entry.path, field=field, where=where)
        if reads != modality:
            raise ConfigError(f"{where}: {field}: {entry.path} is a {reads} captioner, not a {modality} one")
        transformers_captioner.check_option_values(entry.path, entry.options, where=f"{where}: {field}")
    if spec.llm is not None:
        _checked(check_causal_lm_folder, spec.llm, field="llm", where=where)
    for modality, entry in spec.generators.items():
        field = f"generators.{modality}"
        pipeline = _checked(check_diffusers_folder, entry.path, field=field, where=where)
        if PIPELINE_OUTPUTS[pipeline] != modality:
            raise ConfigError(f"{where}: {field}: {entry.path} is a {pipeline}, which writes "
                              f"{PIPELINE_OUTPUTS[pipeline]}, not {modality}")
        diffusers_pipelines.check_option_values(entry.path, entry.options, where=f"{where}: {field}")


def _checked(check: Any, folder: Path, *, field: str, where: str) -> Any:
    try:
        return check(folder)
    except NextGPTError as error:  # the same error, naming the config field it came from
        raise type(error)(f"{where}: {field}: {error}") from error


def build_cascade(spec: CascadeSpec, settings: AdapterSettings, *, source: str, where: str) -> Cascade:
    """Load every component (after :func:`check_components`) and compose them."""
    from nextgpt.adapters.diffusers_pipelines import load_diffusers_adapter
    from nextgpt.adapters.transformers_captioner import load_captioner
    from nextgpt.adapters.transformers_causal_lm import TransformersCausalLM

    merged = merged_settings(spec.settings, settings, where=where)
    check_components(spec, where=where)
    captioners = {m: _loaded(load_captioner, entry.path, merged, field=f"captioners.{m}", where=where,
                             options=entry.options)
                  for m, entry in spec.captioners.items()}
    llm = None if spec.llm is None else _loaded(TransformersCausalLM, spec.llm, merged, field="llm", where=where)
    generators = {m: _loaded(load_diffusers_adapter, entry.path, merged, field=f"generators.{m}", where=where,
                             options=entry.options)
                  for m, entry in spec.generators.items()}
    try:
        return Cascade(captioners=captioners, llm=llm, generators=generators, options=spec.options, source=source)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from error


def _loaded(load: Any, folder: Path, settings: AdapterSettings, *, field: str, where: str,
            **keywords: Any) -> AnyToAnyModel:
    try:
        return cast(AnyToAnyModel, load(folder, settings, **keywords))
    except NextGPTError as error:  # the same error, naming the config field it came from
        raise type(error)(f"{where}: {field}: {error}") from error


def check_cascade_config(config_file: Path) -> None:
    """Refuse a cascade config whose JSON or component folders are wrong, naming the file and the field, without
    loading any weights."""
    where = f"cascade config {config_file}"
    spec = parse_cascade_config(read_config_file(config_file), base_dir=config_file.parent, where=where)
    check_components(spec, where=where)


def read_file_settings(config_file: Path) -> dict[str, Any]:
    """The ``settings`` of the cascade config ``config_file`` (checked), so a command can refuse a flag that sets
    one of them again before it loads anything."""
    where = f"cascade config {config_file}"
    return parse_cascade_config(read_config_file(config_file), base_dir=config_file.parent, where=where).settings


def load_cascade(config_file: Path, settings: AdapterSettings) -> Cascade:
    """The cascade ``config_file`` describes, its components loaded from their local folders."""
    where = f"cascade config {config_file}"
    spec = parse_cascade_config(read_config_file(config_file), base_dir=config_file.parent, where=where)
    return build_cascade(spec, settings, source=str(config_file), where=where)

