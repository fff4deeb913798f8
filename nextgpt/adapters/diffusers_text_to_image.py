"""A diffusers ``StableDiffusionPipeline`` folder as an :class:`~nextgpt.core.interface.AnyToAnyModel`.

This is the paper's text-to-image baseline (SD-1.5) measured under the suite's own protocol. What every pipeline
adapter shares -- local loading, a generator per request from its seed, per-request steps and guidance, refusals,
fingerprint -- is in :mod:`nextgpt.adapters.diffusers_base`; here are only the image size and the output (one PIL
image per request, as NExT-GPT's image decoder returns it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Unpack

from nextgpt.adapters.diffusers_base import DiffusersPipelineAdapter, SettingKeywords
from nextgpt.adapters.diffusers_options import frame_size
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.requests import GenerationResult

ADAPTER_NAME = "diffusers-text-to-image"
PIPELINE_CLASS = "StableDiffusionPipeline"


class DiffusersTextToImage(DiffusersPipelineAdapter):
    """Text in, one image out per request, from a local Stable Diffusion pipeline folder.

    ``settings`` (or the same-named keywords, which take precedence) give steps, guidance, device and dtype;
    ``height`` and ``width`` (None: the pipeline's native size, the UNet's sample size times the VAE's factor)
    are fixed for the adapter. All are part of the fingerprint and of ``describe()``, with the folder's content
    hash (see ``folder_fingerprint``).
    """

    adapter_name = ADAPTER_NAME
    pipeline_class = PIPELINE_CLASS
    output = "image"
    capabilities = Capabilities(inputs=frozenset(), outputs=frozenset({"image"}), conversations=False)
    load_arguments: ClassVar[Mapping[str, Any]] = {"safety_checker": None, "requires_safety_checker": False}

    def __init__(self, folder: str | Path, settings: AdapterSettings | None = None, *, height: int | None = None,
                 width: int | None = None, **keywords: Unpack[SettingKeywords]) -> None:
        super().__init__(folder, settings, {"height": height, "width": width}, **keywords)
        self.height, self.width = self.options["height"], self.options["width"]

    @classmethod
    def checked_options(cls, folder: Path, options: Mapping[str, Any], *, where: str) -> dict[str, Any]:
        return frame_size(folder, options.get("height"), options.get("width"), where=where)

    def output_settings(self) -> dict[str, JSONValue]:
        return {"height": self.height, "width": self.width}

    def pipeline_arguments(self) -> dict[str, Any]:
        return {"height": self.height, "width": self.width, "output_type": "pil"}

    def results(self, output: Any) -> list[GenerationResult]:
        return [self._result(images=[image]) for image in output.images]
