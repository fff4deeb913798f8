"""The tiny cascade folder: every component of the cascade baseline as a tiny saved folder, plus its ``model.json``.

::

    FOLDER/
      model.json                      the cascade config (paths relative to FOLDER)
      captioner-image/ captioner-video/ captioner-audio/     transformers captioner folders
      llm/                            a transformers causal LM folder
      generator-image/ generator-video/ generator-audio/     diffusers pipeline folders (the tiny preset's decoders)

The generators draw with the tiny NExT-GPT preset's own decoder settings (steps, frames, clip length), so the tiny
cascade and the tiny NExT-GPT generate through the same networks at the same cost. The whole folder is written
beside its target and renamed into place, so it is never half written; the target must be new or empty
(``nextgpt.tiny_baselines.atomic_folder``), so nothing there is ever replaced. ``nextgpt-bench run --model
cascade:FOLDER`` then runs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import MODALITIES
from nextgpt.model.presets import tiny
from nextgpt.tiny_baselines.atomic_folder import write_folder_atomically
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
    def write(target: Path) -> None:
        for modality in MODALITIES:
            write_tiny_captioner(modality, target / captioner_folder(modality))
            write_tiny_pipeline(modality, target / generator_folder(modality))
        write_tiny_causal_lm(target / LLM_FOLDER)
        (target / CONFIG_NAME).write_text(json.dumps(tiny_cascade_config(), indent=2) + "\n", encoding="utf-8")

    return write_folder_atomically(Path(folder), write, what="the tiny cascade") / CONFIG_NAME
