"""A diffusers ``TextToVideoSDPipeline`` folder (Zeroscope's class) as an
:class:`~nextgpt.core.interface.AnyToAnyModel`: the paper's text-to-video baseline under the suite's protocol.

Shared behaviour is in :mod:`nextgpt.adapters.diffusers_base`; here are the frame size and count and the output:
one ``(frames, H, W, 3)`` uint8 array per request, what NExT-GPT's video decoder returns and the store encodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Unpack

import numpy as np

from nextgpt.adapters.diffusers_base import DiffusersPipelineAdapter, SettingKeywords
from nextgpt.adapters.diffusers_options import frame_size
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core import validation
from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.requests import GenerationResult

ADAPTER_NAME = "diffusers-text-to-video"
PIPELINE_CLASS = "TextToVideoSDPipeline"
#: NExT-GPT's Zeroscope decoder draws 24 frames (the paper preset's ``num_frames``).
DEFAULT_NUM_FRAMES = 24


class DiffusersTextToVideo(DiffusersPipelineAdapter):
    """Text in, one video out per request, from a local text-to-video pipeline folder (e.g. Zeroscope v2).

    ``num_frames`` defaults to NExT-GPT's 24; ``height`` and ``width`` (None: the pipeline's native size, the
    UNet's sample size times the VAE's factor -- Zeroscope 576w was trained at height 320, width 576, which the
    paper's decoder uses) are fixed for the adapter. All are in the fingerprint and in ``describe()``.
    """

    adapter_name = ADAPTER_NAME
    pipeline_class = PIPELINE_CLASS
    output = "video"
    capabilities = Capabilities(inputs=frozenset(), outputs=frozenset({"video"}), conversations=False)

    def __init__(self, folder: str | Path, settings: AdapterSettings | None = None, *,
                 num_frames: int = DEFAULT_NUM_FRAMES, height: int | None = None, width: int | None = None,
                 **keywords: Unpack[SettingKeywords]) -> None:
        super().__init__(folder, settings, {"num_frames": num_frames, "height": height, "width": width}, **keywords)
        self.num_frames = self.options["num_frames"]
        self.height, self.width = self.options["height"], self.options["width"]

    @classmethod
    def checked_options(cls, folder: Path, options: Mapping[str, Any], *, where: str) -> dict[str, Any]:
        frames = options.get("num_frames")
        num_frames = DEFAULT_NUM_FRAMES if frames is None else validation.positive_int(frames,
                                                                                       name=f"{where}.num_frames")
        return {"num_frames": num_frames,
                **frame_size(folder, options.get("height"), options.get("width"), where=where)}

    def output_settings(self) -> dict[str, JSONValue]:
        return {"num_frames": self.num_frames, "height": self.height, "width": self.width}

    def pipeline_arguments(self) -> dict[str, Any]:
        return {"num_frames": self.num_frames, "height": self.height, "width": self.width, "output_type": "np"}

    def results(self, output: Any) -> list[GenerationResult]:
        frames = np.asarray(output.frames)  # (batch, frames, H, W, 3) floats in [0, 1]
        return [self._result(videos=[np.clip(np.rint(video * 255.0), 0, 255).astype(np.uint8)])
                for video in frames]
