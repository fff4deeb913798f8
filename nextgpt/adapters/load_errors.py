"""What ``from_pretrained`` of diffusers and transformers raises on a damaged local folder: the one list both
adapter families catch to turn it into a :class:`~nextgpt.core.errors.CheckpointError` naming the folder."""

from __future__ import annotations

import pickle


def folder_read_errors() -> tuple[type[BaseException], ...]:
    """Most problems arrive wrapped in OSError; a truncated or foreign weight file raises the others (a config
    without a required field: KeyError). Imported late: safetensors is only needed once a folder loads."""
    from safetensors import SafetensorError

    return (OSError, SafetensorError, pickle.UnpicklingError, EOFError, ValueError, KeyError)
