"""What the transformers adapters check of a local model folder before any weight is loaded, and how they load.

A folder saved with ``save_pretrained`` holds ``config.json`` (whose ``model_type`` says which architecture it
is), the weights (``model.safetensors``, possibly sharded, or the older ``pytorch_model.bin``) and, beside them
when the folder is complete, the tokenizer and the processor. The checks here read ``config.json`` only, so
``nextgpt-bench`` can refuse a wrong folder in milliseconds, before a multi-gigabyte load starts. Everything is read
with ``local_files_only=True``: nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import torch

from nextgpt.adapters.folder_index import read_folder_index
from nextgpt.adapters.identity import adapter_fingerprint
from nextgpt.adapters.load_errors import folder_read_errors
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.core.interface import JSONValue

#: The weight files ``from_pretrained`` reads, one of which a folder must hold.
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
#: The files one of which a saved tokenizer writes.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "spiece.model", "tokenizer.model")

_Loaded = TypeVar("_Loaded")


def read_model_config(folder: Path, *, adapter: str, expected: str) -> dict[str, Any]:
    """The parsed ``config.json`` of ``folder``, after checking that the folder, its config, its weights and its
    tokenizer are there. ``expected`` says, in the error messages, what kind of folder the adapter reads."""
    config = read_folder_index(folder, "config.json", where=adapter, expected=expected, kind="a transformers model")
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        raise MissingWeightsError(f"{adapter}: {folder} has no weights (none of {', '.join(WEIGHT_FILES)}); "
                                  f"expected {expected} saved with save_pretrained")
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise MissingWeightsError(f"{adapter}: {folder} has no tokenizer (none of {', '.join(TOKENIZER_FILES)}); "
                                  "save the model's tokenizer into the same folder (tokenizer.save_pretrained)")
    return config


def model_type(config: dict[str, Any], config_file: Path) -> str:
    """``config["model_type"]``, or a CheckpointError naming the file when it is missing."""
    kind = config.get("model_type")
    if not isinstance(kind, str) or not kind:
        raise CheckpointError(f"{config_file}: no model_type; a config.json written by save_pretrained names its "
                              "architecture there")
    return kind


def refuse_unsupported_type(kind: str, config_file: Path, supported: dict[str, str], *, adapter: str) -> None:
    """A ConfigError listing what ``adapter`` reads (``supported``: model_type -> what it is)."""
    listing = "; ".join(f"{name} ({what})" for name, what in supported.items())
    raise ConfigError(f"{config_file}: model_type is {kind!r}; the {adapter} adapter reads {listing}")


def load_pretrained(loader: Callable[..., _Loaded], folder: Path, what: str, *, adapter: str,
                    **kwargs: Any) -> _Loaded:
    """``loader(folder, local_files_only=True, **kwargs)``; a damaged or incomplete folder becomes a
    CheckpointError naming the folder and ``what`` (the model, the tokenizer, the processor)."""
    try:
        return loader(str(folder), local_files_only=True, **kwargs)
    except folder_read_errors() as error:
        raise CheckpointError(f"{adapter}: the {what} in {folder} cannot be read ({error}); a file of the folder "
                              "is missing, damaged or not in transformers format") from error


def model_kwargs(settings: AdapterSettings) -> dict[str, Any]:
    """``from_pretrained`` keyword arguments for the settings' dtype (None: the folder's own)."""
    return {} if settings.torch_dtype is None else {"dtype": settings.torch_dtype}


def first_parameter_dtype(module: torch.nn.Module) -> str:
    return str(next(module.parameters()).dtype).removeprefix("torch.")  # "float32", as NExT-GPT describes it


class FolderModelIdentity:
    """``fingerprint`` and ``describe`` of an adapter that wraps one transformers model folder (a captioner, a
    causal LM). The adapter sets ``adapter_name`` and ``implementation`` (its module's IMPLEMENTATION) and has
    ``folder``, ``folder_sha256``, ``model``, ``device`` and ``describe_settings()``: every setting that changes
    its outputs."""

    adapter_name: ClassVar[str]
    implementation: ClassVar[int]
    folder: Path
    folder_sha256: str
    model: torch.nn.Module
    device: torch.device  # the adapter's property
    describe_settings: Callable[[], dict[str, JSONValue]]  # the adapter's method

    def fingerprint(self) -> str:
        identity = {"adapter": self.adapter_name, "folder_sha256": self.folder_sha256, **self.describe_settings()}
        return adapter_fingerprint(identity, implementation=self.implementation)

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": self.adapter_name, "source": str(self.folder), "folder_sha256": self.folder_sha256,
                "model_class": type(self.model).__name__, **self.describe_settings(),
                "implementation": self.implementation, "device": str(self.device)}
