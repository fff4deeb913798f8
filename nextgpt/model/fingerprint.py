"""What a NextGPT's weights are, as hashes: the trainable tensors (what a checkpoint stores), a fingerprint of the
frozen weights (what a checkpoint's manifest pins) and the content fingerprint that keys the generation cache.

The content fingerprint is a cache-compatibility contract: every generation a results store holds is keyed by it,
so its formula (config JSON, trainable tensors in name order as float32 bytes, then the frozen fingerprint or
"None") must not change, or every existing cache entry silently stops matching.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import torch

from nextgpt.model.parameters import TRAINABLE_COMPONENTS, component_of

if TYPE_CHECKING:
    from nextgpt.model.config import NextGPTConfig

#: Frozen weights are fingerprinted when they hold fewer values than this (the tiny preset: ~8M).
FINGERPRINT_LIMIT = 50_000_000


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter of the trainable components, detached on the CPU (whatever the current freezing)."""
    return {name: param.detach().cpu().contiguous() for name, param in model.named_parameters()
            if component_of(name) in TRAINABLE_COMPONENTS}


def frozen_fingerprint(model: torch.nn.Module) -> str | None:
    """sha256 over the frozen parameters (names, shapes, float32 bytes), or None for large models."""
    frozen = [(n, p) for n, p in model.named_parameters() if component_of(n) not in TRAINABLE_COMPONENTS]
    if sum(p.numel() for _, p in frozen) > FINGERPRINT_LIMIT or any(p.is_meta for _, p in frozen):
        return None
    digest = hashlib.sha256()
    for name, param in frozen:
        digest.update(f"{name}:{tuple(param.shape)}".encode())
        digest.update(param.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


def content_fingerprint(config: NextGPTConfig, model: torch.nn.Module) -> str:
    """sha256 over the model's config, its trainable tensors and (small models) its frozen weights; paper-scale
    frozen parts are identified by their configured local paths, which are part of the config."""
    digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode())
    for name, tensor in sorted(trainable_state(model).items()):
        digest.update(name.encode())
        digest.update(tensor.to(torch.float32).numpy().tobytes())
    digest.update(str(frozen_fingerprint(model)).encode())
    return digest.hexdigest()
