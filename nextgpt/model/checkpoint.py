"""Save and load the trainable part of a NextGPT (safetensors), with its config and a manifest.

A checkpoint folder holds:

* ``config.json``: the full NextGPTConfig (preset name included) and the format version;
* ``trainable.safetensors``: every parameter of the trainable components (input projection, LoRA, signal-token
  rows, output projections), whatever the current freezing state;
* ``manifest.json``: tensor names and shapes, the sha256 and size of every file of the folder but itself and
  ``config.json`` (``files``; verified on every load, see ``nextgpt.model.checkpoint_files``) and a fingerprint of the
  frozen weights when they are cheap to hash (tiny models), so loading onto different frozen weights is detected;
* ``tokenizer/``: for the built-in tiny tokenizer, the exact tokenizer the model was built with.

Frozen parts are not stored: they come from the preset's seed (tiny) or from local folders (paper scale).  A
small checkpoint may bundle the frozen parts it was trained on (the shipped tiny checkpoint carries its pre-trained
tiny LLM in ``llm/``, its pre-trained tiny ImageBind in ``encoder/`` and its pre-trained tiny decoders as diffusers
pipeline folders in ``decoders/<modality>/``): a *relative* ``llm.path``, ``encoder.checkpoint`` or
``decoders.<m>.path`` in ``config.json`` is read relative to the checkpoint folder.
Folders are written to a temporary sibling and renamed into place, so a crash never leaves half a checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors.torch import save_file

from nextgpt.core.errors import CheckpointError, ConfigError
from nextgpt.core.file_hashes import sha256_file
from nextgpt.model.checkpoint_files import (
    CONFIG_FILE,
    MANIFEST_FILE,
    TENSORS_FILE,
    TOKENIZER_DIR,
    describe_files,
    read_json_file,
    read_manifest,
    rewrite_hint,
    verify_checkpoint_files,
)
from nextgpt.model.config import NextGPTConfig
from nextgpt.model.fingerprint import frozen_fingerprint, trainable_state
from nextgpt.model.parameters import TRAINABLE_COMPONENTS, component_of
from nextgpt.model.presets import check_preset_label
from nextgpt.model.pretrained import SHIPPED_CHECKPOINTS
from nextgpt.model.weights_io import describe_key_problems, load_safetensors

if TYPE_CHECKING:
    from nextgpt.model.nextgpt_model import NextGPT

FORMAT_VERSION = 1


def write_checkpoint_folder(out_dir: str | Path, config: NextGPTConfig, state: dict[str, torch.Tensor], *,
                            fingerprint: str | None = None, tokenizer: Any = None,
                            extra_manifest: dict[str, Any] | None = None,
                            bundle: dict[str, Path] | None = None) -> Path:
    """Write a checkpoint folder atomically (temporary sibling, then rename).  ``bundle``: folders copied in
    under the given names (frozen parts small enough to ship with the checkpoint)."""
    out_dir = Path(out_dir)
    check_preset_label(config, where="NextGPTConfig.preset")
    check_checkpoint_target(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (staging / CONFIG_FILE).write_text(json.dumps(
            {"format_version": FORMAT_VERSION, "config": config.to_dict()}, indent=2), encoding="utf-8")
        save_file({k: v.contiguous() for k, v in state.items()}, str(staging / TENSORS_FILE))
        if tokenizer is not None and config.tokenizer.kind == "built-in-tiny":
            tokenizer.save_pretrained(str(staging / TOKENIZER_DIR))
        for name, source in (bundle or {}).items():
            shutil.copytree(source, staging / name)
        manifest = {"tensors": {k: list(v.shape) for k, v in sorted(state.items())},
                    "tensors_sha256": sha256_file(staging / TENSORS_FILE),
                    "files": describe_files(staging),
                    "frozen_fingerprint": fingerprint, **(extra_manifest or {})}
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _install(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def copy_checkpoint_folder(source: Path, target: Path) -> Path:
    """Copy a checkpoint folder to ``target`` through a temporary sibling (never half a checkpoint there)."""
    check_checkpoint_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        _install(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def check_checkpoint_target(out_dir: Path) -> None:
    """Refuse a target that writing would destroy: a file, or a non-empty folder that is not a checkpoint (the
    new checkpoint replaces the whole folder)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise CheckpointError(f"checkpoint target {out_dir} is a file; expected a folder to write the checkpoint "
                              "into (a new path, or an existing checkpoint to replace)")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / CONFIG_FILE).is_file():
        raise CheckpointError(f"checkpoint target {out_dir} is a non-empty folder that is not a checkpoint (no "
                              f"{CONFIG_FILE}); writing would replace everything in it. Choose a new folder")


def _install(staging: Path, out_dir: Path) -> None:
    """Move a finished ``staging`` folder to ``out_dir``, replacing what was there by renames only."""
    if out_dir.exists():
        backup = out_dir.with_name(f".{out_dir.name}.old")
        shutil.rmtree(backup, ignore_errors=True)
        os.replace(out_dir, backup)
        os.replace(staging, out_dir)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.replace(staging, out_dir)


def save_checkpoint(model: NextGPT, out_dir: str | Path) -> Path:
    """Save ``model``'s trainable part (see module docstring)."""
    return write_checkpoint_folder(out_dir, model.config, trainable_state(model),
                                   fingerprint=frozen_fingerprint(model), tokenizer=model.tokenizer)


def read_checkpoint_config(path: str | Path) -> NextGPTConfig:
    """The config a checkpoint folder was saved with: schema-checked, its preset label checked against the
    architecture, and bundled relative paths resolved."""
    path = Path(path)
    _require_checkpoint_folder(path)
    config_file = path / CONFIG_FILE
    if not config_file.exists():
        raise CheckpointError(f"{path} is not a nextgpt-bench checkpoint: {config_file} is missing "
                              f"(expected {CONFIG_FILE}, {TENSORS_FILE} and {MANIFEST_FILE})")
    data = read_json_file(config_file, what="checkpoint config")
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else type(data).__name__
        raise CheckpointError(f"{config_file}: format_version {found!r} is not supported "
                              f"(expected {FORMAT_VERSION})")
    try:
        config = NextGPTConfig.from_dict(data["config"])
    except (ConfigError, KeyError) as error:
        raise CheckpointError(f"{config_file}: invalid config: {error}") from error
    try:
        check_preset_label(config, where=str(config_file))
    except ConfigError as error:
        raise CheckpointError(str(error)) from error
    return _bundled_paths_resolved(config, path)


def _require_checkpoint_folder(path: Path) -> None:
    """A missing folder is named as such (not as a missing config.json), with the shipped names it could be."""
    shipped = ", ".join(SHIPPED_CHECKPOINTS)
    if not path.exists():
        raise CheckpointError(f"checkpoint folder {path} does not exist; give a folder saved by nextgpt-bench "
                              f"or the name of a shipped checkpoint ({shipped})")
    if not path.is_dir():
        raise CheckpointError(f"checkpoint {path} is a file; expected a checkpoint folder (with {CONFIG_FILE}, "
                              f"{TENSORS_FILE} and {MANIFEST_FILE}) or a shipped checkpoint's name ({shipped})")


def _bundled_paths_resolved(config: NextGPTConfig, folder: Path) -> NextGPTConfig:
    """Relative ``llm.path`` / ``encoder.checkpoint`` name a folder / file bundled inside the checkpoint."""
    llm_path, encoder_path = config.llm.path, config.encoder.checkpoint
    if llm_path is not None and not Path(llm_path).is_absolute():
        bundled = folder / llm_path
        if not (bundled / "config.json").is_file():
            raise CheckpointError(f"{folder / CONFIG_FILE}: llm.path {llm_path!r} names a bundled folder, but "
                                  f"{bundled} has no config.json")
        config = config.replace(llm=dataclasses.replace(config.llm, path=str(bundled.resolve())))
    if encoder_path is not None and not Path(encoder_path).is_absolute():
        bundled = folder / encoder_path
        if not bundled.is_file():
            raise CheckpointError(f"{folder / CONFIG_FILE}: encoder.checkpoint {encoder_path!r} names a bundled "
                                  f"file, but {bundled} does not exist")
        config = config.replace(encoder=dataclasses.replace(config.encoder, checkpoint=str(bundled.resolve())))
    return _bundled_decoders_resolved(config, folder)


def _bundled_decoders_resolved(config: NextGPTConfig, folder: Path) -> NextGPTConfig:
    """A relative ``decoders.<m>.path`` names a diffusers pipeline folder bundled inside the checkpoint (the
    shipped checkpoint carries its pre-trained tiny decoders in ``decoders/image``, ``decoders/video`` and
    ``decoders/audio``)."""
    decoders = {}
    for modality in ("image", "video", "audio"):
        decoder = config.decoders.for_modality(modality)  # type: ignore[arg-type]
        if decoder.path is not None and not Path(decoder.path).is_absolute():
            bundled = folder / decoder.path
            if not (bundled / "model_index.json").is_file():
                raise CheckpointError(f"{folder / CONFIG_FILE}: decoders.{modality}.path {decoder.path!r} names a "
                                      f"bundled diffusers pipeline folder, but {bundled} has no model_index.json")
            decoder = dataclasses.replace(decoder, path=str(bundled.resolve()))
        decoders[modality] = decoder
    return config.replace(decoders=dataclasses.replace(config.decoders, **decoders))


def load_checkpoint(path: str | Path, *, preset: str | None = None, device: str | torch.device = "cpu",
                    dtype: torch.dtype | None = None, config_override: NextGPTConfig | None = None) -> NextGPT:
    """Build the model a checkpoint was saved from and load its trainable tensors.

    ``preset``: refuse a checkpoint saved from another preset.  ``config_override``: build from this config
    instead (e.g. the same preset pointed at local weight folders); its architecture must match.
    """
    from nextgpt.model import building  # transformers and diffusers load only when a model is built

    path = Path(path)
    saved = read_checkpoint_config(path)
    if preset is not None and saved.preset != preset:
        raise CheckpointError(f"checkpoint {path} was saved from preset {saved.preset!r}, not {preset!r}; "
                              f"use --preset {saved.preset} (or a checkpoint of {preset!r})")
    manifest = read_manifest(path)
    verify_checkpoint_files(path, manifest, rewrite_hint=rewrite_hint(path, manifest, saved.preset))
    config = config_override or saved
    model = building.build_model(config, device=device, dtype=dtype)
    if config.tokenizer.kind == "built-in-tiny" and (path / TOKENIZER_DIR).is_dir():
        _check_same_tokenizer(model.tokenizer, path / TOKENIZER_DIR)
    load_trainable_state(model, _read_tensors(path), source=str(path / TENSORS_FILE),
                         absent_ok=manifest.get("absent_tensors", []))
    expected = manifest.get("frozen_fingerprint")
    if expected is not None and dtype in (None, torch.float32):
        actual = frozen_fingerprint(model)
        if actual is not None and actual != expected:
            cause = ("the local weights given for it (--imagebind, --llm-path, --image/video/audio-decoder or the "
                     "model config's weights) are not the ones it was trained on; drop them to use the weights "
                     "it was saved with" if config_override is not None and config_override != saved else
                     "the preset's init_seed or component versions changed")
            raise CheckpointError(f"checkpoint {path} was trained on different frozen weights than this build "
                                  f"produces (frozen fingerprint mismatch): {cause}")
    model.loaded_from = path
    return model


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    tensor_file = path / TENSORS_FILE
    if not tensor_file.is_file():
        raise CheckpointError(f"checkpoint {path} has no {TENSORS_FILE}")
    return load_safetensors(tensor_file, what="checkpoint tensors")


def load_trainable_state(model: torch.nn.Module, state: dict[str, torch.Tensor], *, source: str,
                         absent_ok: list[str] | tuple[str, ...] = ()) -> None:
    """Copy ``state`` into the model's trainable parameters; any missing (unless listed in ``absent_ok``),
    unexpected or mis-shaped tensor is an error that lists the names."""
    params = {name: p for name, p in model.named_parameters() if component_of(name) in TRAINABLE_COMPONENTS}
    missing = sorted(set(params) - set(state) - set(absent_ok))
    unexpected = sorted(set(state) - set(params))
    mismatched = [f"{name}: checkpoint {tuple(state[name].shape)} vs model {tuple(params[name].shape)}"
                  for name in sorted(set(params) & set(state)) if state[name].shape != params[name].shape]
    if missing or unexpected or mismatched:
        raise CheckpointError(describe_key_problems(source, missing, unexpected, mismatched))
    with torch.no_grad():
        for name, param in params.items():
            if name not in state:
                continue
            param.copy_(state[name].to(device=param.device, dtype=param.dtype))


def _check_same_tokenizer(tokenizer: Any, saved_dir: Path) -> None:
    from transformers import AutoTokenizer

    saved = AutoTokenizer.from_pretrained(str(saved_dir), local_files_only=True)
    if saved.get_vocab() != tokenizer.get_vocab():
        raise CheckpointError(f"the tokenizer saved in {saved_dir} differs from the one this build produces; "
                              "the checkpoint belongs to another tokenizer version")
