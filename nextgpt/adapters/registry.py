"""Which adapter reads which kind of local model: the one place that maps a ``KIND:PATH`` (``--model``) or an
adapter model config file (``--model-config``) to an adapter module.

Every kind names a module and two functions of it: a *check* that reads only small files (configs, indexes) and
raises a :class:`~nextgpt.core.errors.NextGPTError` naming the path, so that a command refuses a bad folder in a
second, before it draws data or loads weights; and a *load* ``(path, settings) -> AnyToAnyModel``.  The modules are
imported only when a kind is checked or loaded, so importing this registry costs nothing (no torch, no diffusers).

An adapter model config is a JSON object with an ``"adapter"`` key (a file without one is a NExT-GPT model config,
read by ``nextgpt.model.model_spec``):

* ``{"adapter": "diffusers" | "captioner" | "causal-lm", "path": PATH, ...settings, "options": {...}}``: PATH is
  relative to the file's folder; the optional settings are the fields of
  :class:`~nextgpt.adapters.settings.AdapterSettings` (``device``, ``dtype``, ``num_inference_steps``,
  ``guidance_scale``, ``max_new_tokens``); the optional ``options`` are the adapter's own settings, which no flag
  gives: a diffusers pipeline's ``height``/``width`` (image, video), ``num_frames`` (video) or
  ``audio_length_in_s`` (audio), a BLIP/GIT captioner's ``prefix``; a causal LM takes none;
* ``{"adapter": "cascade", ...}``: the file is itself a cascade config (``nextgpt.adapters.cascade_config``), the
  same as ``cascade:FILE``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nextgpt.core.errors import ConfigError
from nextgpt.core.json_keys import DuplicateKeysError, reject_duplicate_keys

if TYPE_CHECKING:
    from nextgpt.adapters.settings import AdapterSettings
    from nextgpt.core.interface import AnyToAnyModel


@dataclass(frozen=True)
class AdapterKind:
    """One kind of local model: what its PATH is, and where its check and load functions live."""

    name: str
    #: what PATH must be, for help texts and messages
    reads: str
    #: a typical ``KIND:PATH``
    example: str
    module: str
    #: ``check(path) -> Any`` (its result is not used): reads no weights
    check: str
    #: ``load(path, settings) -> AnyToAnyModel``; with options, ``load(path, settings, options=MAPPING)``
    load: str
    #: ``accepted(path) -> tuple[str, ...]``: the options an adapter config may give this kind (None: none)
    options: str | None = None
    #: ``check(path, options, *, where) -> None``: refuses an option value the adapter would refuse at load time,
    #: reading no weights (None: the kind takes no options)
    option_values: str | None = None


#: The adapter kinds, by name, in the order messages list them.
ADAPTER_KINDS: Mapping[str, AdapterKind] = {kind.name: kind for kind in (
    AdapterKind("diffusers", "a diffusers pipeline folder (StableDiffusionPipeline, TextToVideoSDPipeline or "
                "AudioLDMPipeline, chosen by its model_index.json)", "diffusers:weights/stable-diffusion-v1-5",
                "nextgpt.adapters.diffusers_pipelines", "check_diffusers_folder", "load_diffusers_adapter",
                "accepted_options", "check_option_values"),
    AdapterKind("captioner", "a transformers image, video or audio captioner folder",
                "captioner:weights/blip-image-captioning-base",
                "nextgpt.adapters.transformers_captioner", "check_captioner_folder", "load_captioner",
                "accepted_options", "check_option_values"),
    AdapterKind("causal-lm", "a transformers causal language model folder (text in, text out)",
                "causal-lm:weights/vicuna-7b-v0",
                "nextgpt.adapters.transformers_causal_lm", "check_causal_lm_folder", "TransformersCausalLM"),
    AdapterKind("cascade", "a cascade config file (or the folder holding its model.json)",
                "cascade:baselines/cascade/model.json",
                "nextgpt.adapters.cascade_config", "check_cascade_config", "load_cascade"),
)}
#: The file a ``cascade:FOLDER`` reads.
CASCADE_CONFIG_NAME = "model.json"
#: The keys of an adapter model config that are adapter settings (the fields of AdapterSettings).
SETTING_KEYS = ("device", "dtype", "num_inference_steps", "guidance_scale", "max_new_tokens")


def _kinds_text() -> str:
    return "; ".join(f"{kind.name} ({kind.reads})" for kind in ADAPTER_KINDS.values())


def adapter_kind(name: str, *, where: str = "model") -> AdapterKind:
    """The kind called ``name``, or a ConfigError listing the kinds."""
    kind = ADAPTER_KINDS.get(name)
    if kind is None:
        raise ConfigError(f"{where}: unknown adapter kind {name!r}; expected one of {', '.join(ADAPTER_KINDS)}: "
                          f"{_kinds_text()}")
    return kind


def parse_model_argument(text: str, *, where: str = "model") -> tuple[str, Path]:
    """``"KIND:PATH"`` -> (kind, path); ``where`` names the source in messages (the CLI passes ``--model``).
    Only the first ``:`` separates, so PATH may contain more."""
    example = next(iter(ADAPTER_KINDS.values())).example
    name, separator, path = text.partition(":")
    name, path = name.strip(), path.strip()
    if not separator:
        raise ConfigError(f"{where} {text!r}: expected KIND:PATH with KIND one of {', '.join(ADAPTER_KINDS)} "
                          f"(e.g. {example})")
    kind = adapter_kind(name, where=f"{where} {text!r}")
    if not path:
        raise ConfigError(f"{where} {text!r}: the PATH after {name}: is empty; expected {kind.reads} "
                          f"(e.g. {kind.example})")
    return kind.name, Path(path).expanduser()


def adapter_path(kind: str, path: Path) -> Path:
    """The path the kind's functions read: a cascade given as its folder reads the folder's model.json."""
    if adapter_kind(kind).name == "cascade" and path.is_dir():
        return path / CASCADE_CONFIG_NAME
    return path


def check_adapter(kind: str, path: Path) -> None:
    """Refuse a path the adapter cannot read, naming it, without loading weights (only configs and indexes are
    read)."""
    spec = adapter_kind(kind)
    getattr(importlib.import_module(spec.module), spec.check)(adapter_path(kind, path))


def check_options(kind: str, path: Path, options: Mapping[str, Any], *, where: str) -> None:
    """Refuse an option the adapter of ``kind`` at ``path`` does not take, naming it and the accepted ones, or a
    value it would refuse when loading, naming the option, the value and what is expected (reads only configs,
    like :func:`check_adapter`, so a command refuses it before it creates its results store)."""
    if not options:
        return
    spec = adapter_kind(kind)
    accepted: tuple[str, ...] = ()
    if spec.options is not None:
        accepted = tuple(getattr(importlib.import_module(spec.module), spec.options)(adapter_path(kind, path)))
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = f"it takes {', '.join(accepted)}" if accepted else "it takes no options"
        raise ConfigError(f"{where}: {', '.join(unknown)} do(es) not apply to the {spec.name} adapter of {path}; "
                          f"{takes}")
    if spec.option_values is not None:
        getattr(importlib.import_module(spec.module), spec.option_values)(adapter_path(kind, path), options,
                                                                          where=where)


def load_adapter(kind: str, path: Path, settings: AdapterSettings,
                 options: Mapping[str, Any] | None = None) -> AnyToAnyModel:
    """The adapter of ``kind`` on the local model at ``path``, with its own ``options`` (see
    :func:`check_options`); nothing is downloaded."""
    spec = adapter_kind(kind)
    load = getattr(importlib.import_module(spec.module), spec.load)
    if options:
        check_options(kind, path, options, where=f"{kind}:{path} options")
        model: AnyToAnyModel = load(adapter_path(kind, path), settings, options=dict(options))
    else:
        model = load(adapter_path(kind, path), settings)
    return model


@dataclass(frozen=True)
class AdapterConfig:
    """What an adapter model config file selects: the kind, the path (resolved against the file's folder) and the
    settings the file gives (a subset of SETTING_KEYS, already checked)."""

    file: Path
    kind: str
    path: Path
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: the adapter's own options (``"options"`` of the file), checked against the folder by ``check_options``
    options: Mapping[str, Any] = field(default_factory=dict)


def read_adapter_config(file: Path) -> AdapterConfig | None:
    """The adapter ``file`` selects, or None when it is not an adapter config: no ``"adapter"`` key -- or not a
    readable JSON object at all, which the NExT-GPT model config reader then reports in its own words."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"), object_pairs_hook=reject_duplicate_keys)
    except (OSError, UnicodeDecodeError, DuplicateKeysError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or "adapter" not in data:
        return None
    where = f"model config {file}"
    name = data["adapter"]
    if not isinstance(name, str):
        raise ConfigError(f"{where}: adapter must be one of {', '.join(ADAPTER_KINDS)}, got {name!r}")
    kind = adapter_kind(name, where=f"{where}: adapter")
    if kind.name == "cascade":  # the file is the cascade's own config
        return AdapterConfig(file, kind.name, file)
    allowed = ("adapter", "path", "options", *SETTING_KEYS)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} for the {kind.name} adapter; expected "
                          f"{', '.join(allowed)}")
    path = data.get("path")
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(f"{where}: path must be {kind.reads}, relative to the file's folder or absolute; got "
                          f"{path!r}")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: options must be a JSON object of the adapter's own settings (e.g. "
                          f'{{"num_frames": 24}}), got {options!r}')
    settings = {key: data[key] for key in SETTING_KEYS if key in data}
    check_settings(settings, where=where)
    return AdapterConfig(file, kind.name, file.parent / Path(path.strip()).expanduser(), settings, options)


def check_settings(settings: Mapping[str, Any], *, where: str) -> AdapterSettings:
    """``AdapterSettings(**settings)``, its error prefixed with ``where`` (the file or flags they come from)."""
    from nextgpt.adapters.settings import AdapterSettings

    try:
        return AdapterSettings(**settings)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from error


@dataclass(frozen=True)
class AdapterChoice:
    """A checked adapter selection (kind, path, settings): what a command loads instead of a NExT-GPT."""

    kind: str
    path: Path
    settings: AdapterSettings
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def device(self) -> str:
        return self.settings.device

    def load(self) -> AnyToAnyModel:
        return load_adapter(self.kind, self.path, self.settings, self.options)
