"""NExT-GPT, the any-to-any multimodal LLM, built from the field's libraries (imagebind, transformers, peft,
diffusers) so it can be trained, saved and benchmarked by nextgpt-bench.

The public names are imported lazily, so that ``benchmarks.cli`` and ``nextgpt.core.errors`` load without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "MODALITIES": "nextgpt.core.modalities", "Modality": "nextgpt.core.modalities",
    "NextGPTConfig": "nextgpt.model.config",
    "GenerationRequest": "nextgpt.core.requests", "GenerationResult": "nextgpt.core.requests",
    "MediaInput": "nextgpt.core.requests", "NextGPT": "nextgpt.model.nextgpt_model",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'nextgpt' has no attribute {name!r}")
