"""Helpers shared by the model tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from nextgpt.model.checkpoint_files import describe_files
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.parameters import TRAINABLE_COMPONENTS, component_of


def perturb_trainable(model: NextGPT, seed: int = 3) -> None:
    """Move every trainable tensor away from its initial value, so a load that did nothing is caught."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if component_of(name) in TRAINABLE_COMPONENTS:
                param.add_(0.05 * torch.randn(param.shape, generator=generator))


def copy_folder(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def refresh_manifest(folder: Path) -> None:
    """Rewrite a checkpoint's file hashes after a test changed its files on purpose, as a checkpoint written with
    those contents would have them (so the test reaches the check behind the integrity check)."""
    manifest_file = folder / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["files"] = describe_files(folder)
    manifest["tensors_sha256"] = manifest["files"]["trainable.safetensors"]["sha256"]
    manifest_file.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def flip_bytes(path: Path, offsets: list[int]) -> None:
    data = bytearray(path.read_bytes())
    for offset in offsets:
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
