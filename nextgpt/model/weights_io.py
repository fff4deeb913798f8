"""Read weight files (torch ``.pth``/``.pt`` and ``.safetensors``) so that every way a file can be bad -- missing,
a folder, empty, truncated, not a weights file at all, or a pickle carrying code -- is a ``CheckpointError`` that
names the file and says what to do, never a library traceback.

Torch files are read with ``weights_only=True``: a pickle that needs anything beyond tensors and plain
containers is refused for safety (loading it could run arbitrary code), and the message says how to convert a
file one trusts into a plain tensor file.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from nextgpt.core.errors import CheckpointError

#: torch.save writes a zip archive (since torch 1.6) or, in the legacy format, a pickle (protocol byte 0x80).
_ZIP_MAGIC, _PICKLE_PROTOCOL = b"PK\x03\x04", 0x80
#: What torch.load raises on a damaged file (its failure modes depend on where the bytes break).
_TORCH_READ_ERRORS = (RuntimeError, EOFError, KeyError, ValueError, OSError, IndexError, zipfile.BadZipFile)
#: What transformers / diffusers ``from_pretrained`` raise on a damaged local folder (they wrap most problems,
#: a bad config.json included, in OSError naming the file).
READ_ERRORS = (OSError, SafetensorError, pickle.UnpicklingError, EOFError)
#: torch's wording when weights_only refuses a pickle's content (stable since torch 2.4).
_UNSAFE_MARKER = "Weights only load failed"


def require_weights_file(path: Path, what: str) -> None:
    if path.is_dir():
        raise CheckpointError(f"{what} {path} is a folder; expected a weights file")
    if not path.is_file():
        raise CheckpointError(f"{what} {path} does not exist")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{what} {path} is empty (0 bytes); the file was not written completely")


def load_weights(path: str | Path, *, what: str) -> dict[str, torch.Tensor]:
    """A flat ``{name: tensor}`` from a ``.safetensors`` file or a torch file, by the file's suffix."""
    path = Path(path)
    if path.suffix == ".safetensors":
        return load_safetensors(path, what=what)
    return load_torch_state(path, what=what)


def load_safetensors(path: Path, *, what: str) -> dict[str, torch.Tensor]:
    require_weights_file(path, what)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"{what} {path} cannot be read as safetensors ({error}); the file is damaged or "
                              "truncated, or is not a safetensors file") from error


def load_torch_state(path: Path, *, what: str) -> dict[str, torch.Tensor]:
    """A torch-saved flat state dict, read without running pickled code."""
    require_weights_file(path, what)
    with path.open("rb") as handle:
        head = handle.read(4)
    if not (head.startswith(_ZIP_MAGIC) or head[0] == _PICKLE_PROTOCOL):
        raise CheckpointError(f"{what} {path} is not a torch weights file (it starts with {head!r}, neither the "
                              "zip archive torch.save writes nor a pickle); expected a .pth/.pt state dict")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if _UNSAFE_MARKER in str(error):
            raise CheckpointError(unsafe_pickle_message(path, what)) from error
        raise CheckpointError(f"{what} {path} cannot be read as a torch weights file ({error}); the file is "
                              "damaged or not a state dict") from error
    except _TORCH_READ_ERRORS as error:
        raise CheckpointError(f"{what} {path} cannot be read as a torch weights file ({type(error).__name__}: "
                              f"{error}); the file is damaged or truncated") from error
    return flat_tensors(state, path, what)


def unsafe_pickle_message(path: Path, what: str) -> str:
    return (f"{what} {path} is not a plain tensor file: its pickle needs Python objects beyond tensors, "
            "refused for safety (unpickling them can run arbitrary code; weights-only load). If you trust the "
            "file's source, convert it once in a separate Python session: `state = torch.load(PATH, "
            "weights_only=False)` (take `.state_dict()` if it holds a module), then "
            "`torch.save({name: tensor for name, tensor in state.items()}, NEW.pth)` or "
            "`safetensors.torch.save_file(state, NEW.safetensors)`, and point nextgpt-bench at the new file")


def flat_tensors(state: Any, path: Path, what: str) -> dict[str, torch.Tensor]:
    if not isinstance(state, Mapping) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                 for k, v in state.items()):
        raise CheckpointError(f"{what} {path}: expected a flat dict of named tensors (a state dict), got "
                              f"{type(state).__name__}")
    return dict(state)


def fit_state_dict(module: torch.nn.Module, state: dict[str, torch.Tensor], *, source: str) -> None:
    """``module.load_state_dict(state)`` (strict), with missing, unexpected and mis-shaped names listed in a
    CheckpointError instead of torch's RuntimeError."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [f"{name}: file {tuple(state[name].shape)} vs model {tuple(own[name].shape)}"
                  for name in sorted(set(own) & set(state)) if state[name].shape != own[name].shape]
    if missing or unexpected or mismatched:
        raise CheckpointError(describe_key_problems(source, missing, unexpected, mismatched))
    module.load_state_dict(state)


def describe_key_problems(source: str, missing: list[str], unexpected: list[str], mismatched: list[str],
                          limit: int = 12) -> str:
    lines = [f"{source} does not fit the model:"]
    for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", mismatched)):
        if items:
            shown = "\n    ".join(items[:limit])
            more = f"\n    ... and {len(items) - limit} more" if len(items) > limit else ""
            lines.append(f"  {title} ({len(items)}):\n    {shown}{more}")
    return "\n".join(lines)
