"""What model to load, as data: a :class:`ModelSpec` (preset, checkpoint, device, dtype, local weight paths) made
from command-line flags or read from a small JSON model config file. ``nextgpt.model.loading`` checks and builds it.
This module loads neither torch nor the model libraries, so the CLI can use it while it parses.

A model config file is a JSON object with any of these keys (paths as on the command line, i.e. relative to the
working directory)::

    {"preset": "paper-7b-legacy", "checkpoint": "ckpt/", "device": "cuda", "dtype": "bfloat16",
     "weights": {"imagebind": "w/imagebind_huge.pth", "llm": "w/vicuna-7b-v0", "image_decoder": "w/sd-1.5",
                 "video_decoder": "w/zeroscope_v2_576w", "audio_decoder": "w/audioldm-l-full"}}
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nextgpt.core.errors import ConfigError
from nextgpt.core.json_keys import DuplicateKeysError, reject_duplicate_keys
from nextgpt.model.presets import WEIGHT_SLOTS, WeightSlot

DType = Literal["bfloat16", "float16", "float32"]
DTYPES: tuple[DType, ...] = typing.get_args(DType)
SPEC_KEYS = ("preset", "checkpoint", "device", "dtype", "weights")


@dataclass(frozen=True)
class LocalWeights:
    """Local files of the frozen components (nothing is ever downloaded): ``imagebind_huge.pth``, a transformers
    Vicuna-7B v0 folder, and diffusers folders of SD-1.5, Zeroscope v2 576w and AudioLDM-l-full."""

    imagebind: Path | None = None
    llm: Path | None = None
    image_decoder: Path | None = None
    video_decoder: Path | None = None
    audio_decoder: Path | None = None

    def given(self) -> dict[WeightSlot, Path]:
        paths = {slot: getattr(self, slot) for slot in WEIGHT_SLOTS}
        return {slot: path for slot, path in paths.items() if path is not None}


@dataclass(frozen=True)
class ModelSpec:
    """Which model to load, where and in which dtype (see the module docstring)."""

    preset: str | None = None
    #: a checkpoint folder, or the name of a shipped one (``nextgpt.model.pretrained``)
    checkpoint: str | Path | None = None
    device: str = "cpu"
    dtype: DType = "float32"
    weights: LocalWeights = field(default_factory=LocalWeights)

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ConfigError(f"ModelSpec.dtype: expected one of {', '.join(DTYPES)}, got {self.dtype!r}")

    @classmethod
    def from_file(cls, path: Path) -> ModelSpec:
        """Read a model config file; every problem is a ConfigError naming the file and the key."""
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text, object_pairs_hook=reject_duplicate_keys)
        except FileNotFoundError as error:
            raise ConfigError(f"model config {path} does not exist; expected a JSON file with any of the keys "
                              f"{', '.join(SPEC_KEYS)}") from error
        except IsADirectoryError as error:
            raise ConfigError(f"model config {path} is a folder; expected a JSON file") from error
        except UnicodeDecodeError as error:
            raise ConfigError(f"model config {path} is not UTF-8 text ({error.reason} at byte {error.start})"
                              ) from error
        except DuplicateKeysError as error:
            raise ConfigError(f"model config {path} repeats the key(s) {error}; give each once") from error
        except json.JSONDecodeError as error:
            raise ConfigError(f"model config {path} is not JSON: {error.msg} at line {error.lineno} column "
                              f"{error.colno}") from error
        except OSError as error:
            raise ConfigError(f"model config {path} cannot be read: {error.strerror}") from error
        return cls.from_dict(data, where=f"model config {path}")

    @classmethod
    def from_dict(cls, data: object, *, where: str) -> ModelSpec:
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a JSON object with any of the keys {', '.join(SPEC_KEYS)}, got "
                              f"{type(data).__name__}")
        unknown = sorted(set(data) - set(SPEC_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; expected any of {', '.join(SPEC_KEYS)}")
        for key in ("preset", "checkpoint", "device", "dtype"):
            if key in data and not (isinstance(data[key], str) and data[key].strip()):
                raise ConfigError(f"{where}: {key} must be a non-empty string, got {data[key]!r}")
        if data.get("dtype", "float32") not in DTYPES:
            raise ConfigError(f"{where}: dtype must be one of {', '.join(DTYPES)}, got {data['dtype']!r}")
        weights = data.get("weights", {})
        if not isinstance(weights, dict):
            raise ConfigError(f"{where}: weights must be an object of local paths keyed by component "
                              f"({', '.join(WEIGHT_SLOTS)}), got {type(weights).__name__}")
        for slot, value in weights.items():
            if slot not in WEIGHT_SLOTS:
                raise ConfigError(f"{where}: weights.{slot} is no component; expected any of {', '.join(WEIGHT_SLOTS)}")
            if not (isinstance(value, str) and value.strip()):
                raise ConfigError(f"{where}: weights.{slot} must be a path, got {value!r}")
        return cls(preset=data.get("preset"), checkpoint=data.get("checkpoint"), device=data.get("device", "cpu"),
                   dtype=data.get("dtype", "float32"),
                   weights=LocalWeights(**{slot: Path(value) for slot, value in weights.items()}))
