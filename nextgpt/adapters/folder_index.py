"""Reading a saved model folder's index file (diffusers' ``model_index.json``, transformers' ``config.json``)
without loading any weights: the one check both adapter families run before anything loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nextgpt.core.errors import CheckpointError, MissingWeightsError


def read_folder_index(folder: Path, file_name: str, *, where: str, expected: str, kind: str) -> dict[str, Any]:
    """``folder/file_name`` as a JSON object. A missing folder or file is a MissingWeightsError, an unreadable or
    non-object file a CheckpointError, each naming the path. ``where`` starts the messages, ``expected`` says what
    folder was wanted ("a local StableDiffusionPipeline") and ``kind`` the library format it is not ("a diffusers
    pipeline")."""
    if not folder.is_dir():
        raise MissingWeightsError(f"{where}: {folder} is not a folder; expected {expected} saved with "
                                  "save_pretrained (nothing is downloaded)")
    index = folder / file_name
    if not index.is_file():
        raise MissingWeightsError(f"{where}: {folder} has no {file_name}, so it is not {kind} folder; expected "
                                  f"{expected} saved with save_pretrained")
    try:
        content = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{index}: not a readable JSON object ({error})") from error
    if not isinstance(content, dict):
        raise CheckpointError(f"{index}: expected a JSON object, got {type(content).__name__}")
    return content
