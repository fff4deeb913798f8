"""NExT-GPT itself: ImageBind encoder, input projection, LLM with LoRA, output projections, diffusion decoders,
checkpoints and presets. It implements the model interface of ``nextgpt.core.interface``.

``NextGPT`` is exported lazily, so that importing a light module of this package (``nextgpt.model.config``)
does not load transformers and diffusers."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["NextGPT"]


def __getattr__(name: str) -> Any:
    if name == "NextGPT":
        return importlib.import_module("nextgpt.model.nextgpt_model").NextGPT
    raise AttributeError(f"module 'nextgpt.model' has no attribute {name!r}")
