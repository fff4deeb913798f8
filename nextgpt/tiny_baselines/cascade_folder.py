"""The tiny cascade folder: every component of the cascade baseline as a tiny saved folder, plus its ``model.json``.

::

    FOLDER/
      model.json                      the cascade config (paths relative to FOLDER)
      captioner-image/ captioner-video/ captioner-audio/     transformers captioner folders
      llm/                            a transformers causal LM folder
      generator-image/ generator-video/ generator-audio/     diffusers pipeline folders (the tiny preset's decoders)

The generators draw with the tiny NExT-GPT preset's own decoder settings (steps, frames, clip length), so the tiny
cascade and the tiny NExT-GPT generate through the same networks at the same cost. The whole folder is written
beside its target and renamed into place, so it is never half written; an existing tiny cascade folder there is
replaced, anything else is refused. ``nextgpt-bench run --model cascade:FOLDER`` then runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import MODALITIES
from nextgpt.model.presets import tiny
from nextgpt.tiny_baselines.captioner_folders import write_tiny_captioner
from nextgpt.tiny_baselines.causal_lm_folder import write_tiny_causal_lm
from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

CONFIG_NAME = "model.json"
LLM_FOLDER = "llm"


def captioner_folder(modality: str) -> str:
    return f"captioner-{modality}"


def generator_folder(modality: str) -> str:
    return f"generator-{modality}"


def tiny_cascade_config() -> dict[str, Any]:
    """The ``model.json`` of the tiny cascade: its folders, and the tiny preset's decoder settings."""
    decoders = tiny().decoders
    steps = {decoders.image.num_inference_steps, decoders.video.num_inference_steps,
             decoders.audio.num_inference_steps}
    if len(steps) != 1:  # one cascade setting serves every generator
        raise ConfigError(f"the tiny preset's decoders draw with different step counts {sorted(steps)}; the tiny "
                          "cascade needs one num_inference_steps")
    return {
        "adapter": "cascade",
        "captioners": {m: captioner_folder(m) for m in MODALITIES},
        "llm": LLM_FOLDER,
        "generators": {
            "image": {"path": generator_folder("image"), "height": decoders.image.height,
                      "width": decoders.image.width},
            "video": {"path": generator_folder("video"), "num_frames": decoders.video.num_frames,
                      "height": decoders.video.height, "width": decoders.video.width},
            "audio": {"path": generator_folder("audio"), "audio_length_in_s": decoders.audio.audio_length_s},
        },
        "generator_prompt": "llm",
        "settings": {"num_inference_steps": steps.pop()},
    }


def write_tiny_cascade(folder: Path) -> Path:
    """Write the tiny cascade (every component folder and ``model.json``) at ``folder``; return the model.json."""
    folder = Path(folder)
    _check_target(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
    try:
        for modality in MODALITIES:
            write_tiny_captioner(modality, staging / captioner_folder(modality))
            write_tiny_pipeline(modality, staging / generator_folder(modality))
        write_tiny_causal_lm(staging / LLM_FOLDER)
        (staging / CONFIG_NAME).write_text(json.dumps(tiny_cascade_config(), indent=2) + "\n", encoding="utf-8")
        _install(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / CONFIG_NAME


def _check_target(folder: Path) -> None:
    """Refuse a target that writing would destroy: a file, or a non-empty folder that is not a cascade folder."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"tiny cascade target {folder} is a file; expected a folder to write the cascade into "
                          "(a new path, or an existing cascade folder to replace)")
    if folder.is_dir() and any(folder.iterdir()) and not _is_cascade_folder(folder):
        raise ConfigError(f"tiny cascade target {folder} is a non-empty folder without a cascade {CONFIG_NAME}; "
                          "writing would replace everything in it. Choose a new folder")


def _is_cascade_folder(folder: Path) -> bool:
    try:
        config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("adapter") == "cascade"


def _install(staging: Path, folder: Path) -> None:
    """Move the finished ``staging`` folder to ``folder``, replacing what is there with two renames."""
    if not folder.exists():
        os.replace(staging, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
    old.rmdir()
    os.replace(folder, old)
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)
