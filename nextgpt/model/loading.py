"""The one way to load a NExT-GPT: a ``ModelSpec`` (``nextgpt.model.model_spec``: from command-line flags or a
model config file) is checked into a :class:`ModelChoice` (``choose_model``), which ``load_model`` builds. The
CLI commands, the pytest-benchmark fixtures and training all load through here.

Which model a spec names:

* a checkpoint (a folder, or a shipped checkpoint's name such as ``tiny-trained``) runs under the preset it was
  saved from; a preset given beside it must be that one;
* a preset alone is built from its seed;
* neither: the ``tiny`` preset (the CLI first fills in its default checkpoint).

A preset whose seeded weights are no usable model lists the components that need local files
(``Preset.local_weights``: the paper presets need all five). Each must be given, with or without a checkpoint (a
checkpoint stores only the trainable part). Local weights given to any preset replace what its config (or the
checkpoint's saved config) builds or points to for those components; a preset's own random init is used for the
rest (the tiny-trained recipe builds the tiny preset on its own pre-trained encoder and LLM this way).

``choose_model`` reads only the checkpoint's config and the preset table, so a command can refuse a bad choice in
a second, before it reads datasets or builds anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.model.checkpoint import load_checkpoint, read_checkpoint_config
from nextgpt.model.config import NextGPTConfig
from nextgpt.model.model_spec import DType, ModelSpec
from nextgpt.model.presets import PRESETS, preset_info, with_local_weights
from nextgpt.model.pretrained import resolve_checkpoint

if TYPE_CHECKING:
    from nextgpt.model.nextgpt_model import NextGPT

#: How a spec's fields are named in messages (``"weights.imagebind"`` -> ``"--imagebind"`` on the command line).
FieldLabel = Callable[[str], str]


def _plain_label(name: str) -> str:
    return name


@dataclass(frozen=True)
class ModelChoice:
    """A checked ModelSpec: exactly what ``load_model`` builds."""

    preset: str
    checkpoint: Path | None
    #: The config to build; with a checkpoint, None means the checkpoint's own saved config as it is.
    config: NextGPTConfig | None
    device: str
    dtype: DType


def check_device(device: str, *, label: FieldLabel = _plain_label) -> None:
    """A device string torch understands, and present on this machine."""
    try:
        parsed = torch.device(device)
    except RuntimeError as error:
        raise ConfigError(f"{label('device')} {device!r} is not a device ({error}); expected cpu, cuda or cuda:N"
                          ) from error
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{label('device')} {device!r}: this machine has no CUDA device; use {label('device')} cpu")


def choose_model(spec: ModelSpec, *, label: FieldLabel = _plain_label) -> ModelChoice:
    """Check ``spec`` without building anything (see the module docstring). ``label`` names a field in messages
    (``"weights.imagebind"`` -> ``"--imagebind"`` on the command line)."""
    check_device(spec.device, label=label)
    checkpoint = resolve_checkpoint(spec.checkpoint) if spec.checkpoint is not None else None
    saved = read_checkpoint_config(checkpoint) if checkpoint is not None else None
    if saved is not None and spec.preset is not None and saved.preset != spec.preset:
        raise CheckpointError(f"checkpoint {checkpoint} was saved from preset {saved.preset!r}, not "
                              f"{spec.preset!r}; use {label('preset')} {saved.preset} (or a checkpoint of "
                              f"{spec.preset!r})")
    preset = spec.preset or (saved.preset if saved is not None else "tiny")
    # a checkpoint labelled with a custom (non-preset) name runs on its own saved config
    required = preset_info(preset).local_weights if saved is None or preset in PRESETS else ()
    given = spec.weights.given()
    absent = [label(f"weights.{slot}") for slot in required if slot not in given]
    if absent:
        raise MissingWeightsError(f"preset {preset} runs on local weights; give {', '.join(absent)} "
                                  "(see docs/model.md, 'Real weights')")
    if saved is None:
        config: NextGPTConfig | None = with_local_weights(preset_info(preset).config(), **given)
    else:  # None: the checkpoint's saved config as it is
        config = with_local_weights(saved, **given) if given else None
    return ModelChoice(preset, checkpoint, config, spec.device, spec.dtype)


def load_model(model: ModelSpec | ModelChoice) -> NextGPT:
    """Build the model a spec (checked first) or an already checked choice names."""
    from nextgpt.model import building  # transformers and diffusers load only when a model is built

    choice = choose_model(model) if isinstance(model, ModelSpec) else model
    dtype = getattr(torch, choice.dtype)
    if choice.checkpoint is not None:
        return load_checkpoint(choice.checkpoint, preset=choice.preset, device=choice.device, dtype=dtype,
                               config_override=choice.config)
    if choice.config is None:
        raise ConfigError(f"ModelChoice of preset {choice.preset!r}: neither a checkpoint nor a config to build")
    return building.build_model(choice.config, device=choice.device, dtype=dtype)


def spec_labels(labels: Mapping[str, str]) -> FieldLabel:
    """A FieldLabel from a table (fields absent from it keep their own name)."""
    return lambda name: labels.get(name, name)
