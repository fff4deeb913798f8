"""A diffusers ``StableDiffusionPipeline`` folder as an :class:`~nextgpt.core.interface.AnyToAnyModel`.

This is the paper's text-to-image baseline (SD-1.5) measured under the suite's own protocol: the request's text is
the prompt, its seed seeds one ``torch.Generator`` per request (so a request's image does not depend on the rest of
its batch), and its ``num_inference_steps`` / ``guidance_scale``, when given, override the adapter's settings.
The folder is read with ``local_files_only=True``: nothing is downloaded.

The pipeline reads text and writes images, nothing else. The harness refuses a task the capabilities exclude
before a run starts; a request that still asks for more (media inputs, another output, a conversation history)
is refused here with a :class:`ConfigError` naming what is unsupported, never answered with something else.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from nextgpt.adapters.folder_fingerprint import folder_sha256
from nextgpt.core import validation
from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.requests import GenerationRequest, GenerationResult, SignalRun

ADAPTER_NAME = "diffusers-text-to-image"
PIPELINE_CLASS = "StableDiffusionPipeline"


def _read_errors() -> tuple[type[BaseException], ...]:
    """What ``from_pretrained`` raises on a damaged folder (most problems arrive wrapped in OSError)."""
    from safetensors import SafetensorError

    return (OSError, SafetensorError, pickle.UnpicklingError, EOFError, ValueError)


def check_pipeline_folder(folder: Path) -> None:
    """Refuse, naming the path, a folder that is missing or is not a saved ``StableDiffusionPipeline``."""
    if not folder.is_dir():
        raise MissingWeightsError(f"{ADAPTER_NAME}: {folder} is not a folder; expected a local "
                                  f"{PIPELINE_CLASS} saved with save_pretrained (nothing is downloaded)")
    index = folder / "model_index.json"
    if not index.is_file():
        raise MissingWeightsError(f"{ADAPTER_NAME}: {folder} has no model_index.json, so it is not a diffusers "
                                  f"pipeline folder; expected a local {PIPELINE_CLASS} saved with save_pretrained")
    try:
        class_name = json.loads(index.read_text(encoding="utf-8")).get("_class_name")
    except (OSError, ValueError, AttributeError) as error:
        raise CheckpointError(f"{index}: not a readable JSON object ({error})") from error
    if class_name != PIPELINE_CLASS:
        raise ConfigError(f"{index}: _class_name is {class_name!r}; the {ADAPTER_NAME} adapter reads "
                          f"{PIPELINE_CLASS} folders only")


class DiffusersTextToImage:
    """Text in, one image out per request, from a local Stable Diffusion pipeline folder.

    ``num_inference_steps`` and ``guidance_scale`` are the defaults a request without its own uses; ``height`` and
    ``width`` (None: the pipeline's native size) are fixed for the adapter. All four are part of the fingerprint
    and of ``describe()``, with the folder's content hash (see ``folder_fingerprint``).
    """

    capabilities = Capabilities(inputs=frozenset(), outputs=frozenset({"image"}))

    def __init__(self, folder: str | Path, *, num_inference_steps: int = 50, guidance_scale: float = 7.5,
                 height: int | None = None, width: int | None = None, device: str | torch.device = "cpu",
                 dtype: torch.dtype | None = None) -> None:
        self.folder = Path(folder)
        self.num_inference_steps = validation.positive_int(num_inference_steps,
                                                           name=f"{ADAPTER_NAME}.num_inference_steps")
        self.guidance_scale = validation.non_negative_float(guidance_scale, name=f"{ADAPTER_NAME}.guidance_scale")
        check_pipeline_folder(self.folder)
        self.folder_sha256 = folder_sha256(self.folder)
        self.pipeline = self._load(dtype).to(torch.device(device))
        self.pipeline.set_progress_bar_config(disable=True)
        scale = int(self.pipeline.vae_scale_factor)
        native = int(self.pipeline.unet.config.sample_size) * scale
        self.height = native if height is None else self._size(height, "height", scale)
        self.width = native if width is None else self._size(width, "width", scale)

    def _load(self, dtype: torch.dtype | None) -> Any:
        from diffusers import StableDiffusionPipeline

        kwargs: dict[str, Any] = {"local_files_only": True, "safety_checker": None,
                                  "requires_safety_checker": False}
        if dtype is not None:
            kwargs["dtype"] = dtype
        try:
            return StableDiffusionPipeline.from_pretrained(str(self.folder), **kwargs)
        except _read_errors() as error:
            raise CheckpointError(f"{ADAPTER_NAME}: the {PIPELINE_CLASS} in {self.folder} cannot be read "
                                  f"({error}); a file of the folder is missing, damaged or not in diffusers "
                                  "format") from error

    @staticmethod
    def _size(value: int, name: str, multiple: int) -> int:
        size = validation.positive_int(value, name=f"{ADAPTER_NAME}.{name}")
        if size % multiple:
            raise ConfigError(f"{ADAPTER_NAME}.{name}: must be a multiple of {multiple} (the VAE's downscale "
                              f"factor), got {size}")
        return size

    @property
    def device(self) -> torch.device:
        return torch.device(self.pipeline.device)

    def settings(self) -> dict[str, JSONValue]:
        """What, besides the folder's content, decides the images."""
        return {"num_inference_steps": self.num_inference_steps, "guidance_scale": self.guidance_scale,
                "height": self.height, "width": self.width, "dtype": str(self.pipeline.unet.dtype)}

    def fingerprint(self) -> str:
        identity = {"adapter": ADAPTER_NAME, "folder_sha256": self.folder_sha256, **self.settings()}
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": ADAPTER_NAME, "source": str(self.folder), "folder_sha256": self.folder_sha256,
                **self.settings(), "device": str(self.device)}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        for index, request in enumerate(requests):
            refuse_unsupported(request, index)
        # requests sharing steps and guidance go through the pipeline together, each with its own generator
        groups: dict[tuple[int, float], list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(self._request_settings(request), []).append(index)
        images: dict[int, Image.Image] = {}
        for (steps, guidance), indices in groups.items():
            for index, image in zip(indices, self._draw([requests[i] for i in indices], steps, guidance)):
                images[index] = image
        return [GenerationResult(text="", images=[images[i]], signal_runs=[SignalRun("image", "forced", 0, 0, 0)])
                for i in range(len(requests))]

    def _request_settings(self, request: GenerationRequest) -> tuple[int, float]:
        steps = self.num_inference_steps if request.num_inference_steps is None else request.num_inference_steps
        guidance = self.guidance_scale if request.guidance_scale is None else request.guidance_scale
        return steps, float(guidance)

    @torch.no_grad()
    def _draw(self, requests: Sequence[GenerationRequest], steps: int, guidance: float) -> list[Image.Image]:
        generators = [torch.Generator(device=self.device).manual_seed(r.seed) for r in requests]
        out = self.pipeline(prompt=[r.text for r in requests], num_inference_steps=steps, guidance_scale=guidance,
                            height=self.height, width=self.width, generator=generators, output_type="pil")
        return list(out.images)


def refuse_unsupported(request: GenerationRequest, index: int) -> None:
    """A text-to-image pipeline answers a prompt with an image; say exactly which part of a request it cannot."""
    where = f"{ADAPTER_NAME}: request {index}"
    if request.media:
        inputs = ", ".join(item.describe() for item in request.media)
        raise ConfigError(f"{where} gives {inputs}; this adapter reads text prompts only")
    other = sorted(request.want - {"image"})
    if other:
        raise ConfigError(f"{where} asks for {', '.join(other)} output; this adapter writes images only")
    if request.allowed_outputs is not None and "image" not in request.allowed_outputs:
        raise ConfigError(f"{where} allows only {sorted(request.allowed_outputs) or 'text'} output; this adapter "
                          "answers every prompt with an image")
    if request.history:
        raise ConfigError(f"{where} continues a conversation of {len(request.history)} turn(s); this adapter "
                          "reads one prompt, without history")
