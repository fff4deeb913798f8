"""What every diffusers text-to-X adapter shares: one local pipeline folder measured through the model interface.

A pipeline adapter reads the request's text as the prompt and writes one medium of a single modality per request.
Everything but the pipeline call's own arguments and the conversion of its output is here:

* the folder check (``model_index.json`` names the expected pipeline class; every component folder it lists is
  there) and loading with ``local_files_only=True`` -- nothing is downloaded;
* one ``torch.Generator`` per request, seeded with the request's seed, so a request's output does not depend on
  the rest of its batch;
* the request's ``num_inference_steps`` / ``guidance_scale`` overriding the adapter's, requests that share both
  drawn in one pipeline call;
* refusing, with a :class:`ConfigError` naming the request and what is unsupported, anything but a prompt without
  media or history that asks for the adapter's one output;
* the fingerprint (folder content + every setting that changes outputs), ``describe()`` and the profiled stages.

The defaults, 50 steps and guidance 7.5, are the sampler settings of NExT-GPT's own diffusion decoders
(``DecoderConfig``), so a measured baseline and NExT-GPT differ in the conditioning, not in the sampler.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypedDict, Unpack

import torch

from nextgpt.adapters.folder_fingerprint import folder_sha256
from nextgpt.adapters.folder_index import read_folder_index
from nextgpt.adapters.identity import adapter_fingerprint
from nextgpt.adapters.load_errors import folder_read_errors
from nextgpt.adapters.settings import DTYPES, AdapterSettings
from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.core.interface import Capabilities, JSONValue, ProfiledStage
from nextgpt.core.modalities import Modality
from nextgpt.core.pipeline_loading import no_pipeline_loading_bar
from nextgpt.core.requests import GenerationRequest, GenerationResult

#: The version of this adapter's own code (request handling and output conversion): bump it when the same
#: folder and settings would give other outputs, so cached outputs of the old code are not reused
#: (``nextgpt.adapters.identity``).
IMPLEMENTATION = 1

#: The sampler settings of NExT-GPT's diffusion decoders (``nextgpt.model.config.DecoderConfig``).
DEFAULT_STEPS = 50
DEFAULT_GUIDANCE = 7.5

#: How refusals name one output and many outputs of a modality.
_ONE_OUTPUT = {"image": "an image", "video": "a video", "audio": "a sound"}
_OUTPUTS = {"image": "images", "video": "videos", "audio": "audio"}


class SettingKeywords(TypedDict, total=False):
    """The adapter settings a caller may also give as keyword arguments (they override ``settings``)."""

    num_inference_steps: int
    guidance_scale: float
    device: str | torch.device
    dtype: str | torch.dtype


def with_keywords(settings: AdapterSettings | None, keywords: SettingKeywords, *, where: str) -> AdapterSettings:
    """``settings`` (None: all defaults) with the given keywords in place of its fields, checked again."""
    changes: dict[str, Any] = dict(keywords)
    if isinstance(changes.get("device"), torch.device):
        changes["device"] = str(changes["device"])
    if isinstance(changes.get("dtype"), torch.dtype):
        names = {dtype: name for name, dtype in DTYPES.items()}
        if changes["dtype"] not in names:
            raise ConfigError(f"{where}.dtype: must be one of {', '.join(DTYPES)}, got {changes['dtype']}")
        changes["dtype"] = names[changes["dtype"]]
    return dataclasses.replace(settings or AdapterSettings(), **changes)


def read_pipeline_class(folder: Path, *, where: str, expected: str) -> str:
    """The ``_class_name`` of ``folder``'s ``model_index.json``, after checking -- without loading any weights --
    that the folder is a saved diffusers pipeline with every component folder its index lists. ``where`` starts
    each message; ``expected`` says what kind of folder was wanted."""
    entries = read_folder_index(folder, "model_index.json", where=where, expected=f"a local {expected}",
                                kind="a diffusers pipeline")
    index = folder / "model_index.json"
    class_name = entries.get("_class_name")
    if not isinstance(class_name, str) or not class_name:
        raise CheckpointError(f"{index}: _class_name is {class_name!r}; expected the pipeline class name, as "
                              "save_pretrained writes it")
    missing = [name for name, entry in entries.items() if not name.startswith("_") and isinstance(entry, list)
               and len(entry) == 2 and entry[0] is not None and not (folder / name).is_dir()]
    if missing:
        raise MissingWeightsError(f"{where}: {folder} lacks the component folder(s) {', '.join(missing)} that its "
                                  "model_index.json lists; the pipeline was copied incompletely")
    return class_name


class DiffusersPipelineAdapter(ABC):
    """A local diffusers text-to-X pipeline folder as an :class:`~nextgpt.core.interface.AnyToAnyModel`.

    A subclass names its adapter, pipeline class and output modality, and implements what differs: its own
    settings (:meth:`output_settings`), the pipeline call's extra arguments (:meth:`pipeline_arguments`) and the
    conversion of the call's output into one result per request (:meth:`results`).
    """

    adapter_name: ClassVar[str]
    pipeline_class: ClassVar[str]
    output: ClassVar[Modality]
    capabilities: ClassVar[Capabilities]
    #: Extra ``from_pretrained`` arguments of the pipeline class.
    load_arguments: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, folder: str | Path, settings: AdapterSettings | None = None,
                 options: Mapping[str, Any] | None = None, **keywords: Unpack[SettingKeywords]) -> None:
        """Check and hash ``folder``, check the subclass's ``options`` (:meth:`checked_options`, before any weight
        is read; ``self.options`` holds them checked), then load its pipeline. ``settings`` None means every
        adapter default; a keyword (``num_inference_steps``, ``guidance_scale``, ``device``, ``dtype``) replaces
        that field."""
        self.folder = Path(folder)
        settings = with_keywords(settings, keywords, where=self.adapter_name)
        self.num_inference_steps = (DEFAULT_STEPS if settings.num_inference_steps is None
                                    else settings.num_inference_steps)
        self.guidance_scale = DEFAULT_GUIDANCE if settings.guidance_scale is None else float(settings.guidance_scale)
        class_name = read_pipeline_class(self.folder, where=self.adapter_name, expected=self.pipeline_class)
        if class_name != self.pipeline_class:
            raise ConfigError(f"{self.folder / 'model_index.json'}: _class_name is {class_name!r}; the "
                              f"{self.adapter_name} adapter reads {self.pipeline_class} folders only")
        self.options = self.checked_options(self.folder, options or {}, where=self.adapter_name)
        self.folder_sha256 = folder_sha256(self.folder)
        self.pipeline = self._load(settings.torch_dtype).to(torch.device(settings.device))
        self.pipeline.set_progress_bar_config(disable=True)
        self._check_steps(self.num_inference_steps, f"{self.adapter_name}.num_inference_steps")

    def _load(self, dtype: torch.dtype | None) -> Any:
        import diffusers

        kwargs: dict[str, Any] = {"local_files_only": True, **self.load_arguments}
        if dtype is not None:
            kwargs["dtype"] = dtype
        try:
            with no_pipeline_loading_bar():
                return getattr(diffusers, self.pipeline_class).from_pretrained(str(self.folder), **kwargs)
        except folder_read_errors() as error:
            raise CheckpointError(f"{self.adapter_name}: the {self.pipeline_class} in {self.folder} cannot be read "
                                  f"({error}); a file of the folder is missing, damaged or not in diffusers "
                                  "format") from error

    def _check_steps(self, steps: int, where: str) -> None:
        """diffusers fails deep inside the scheduler on more steps than it was trained with; say so first."""
        limit = int(self.pipeline.scheduler.config.num_train_timesteps)
        if steps > limit:
            raise ConfigError(f"{where}: {steps} steps, but the scheduler of {self.folder} allows 1 to {limit} "
                              "(its training timesteps)")

    @property
    def device(self) -> torch.device:
        return torch.device(self.pipeline.device)

    # ------------------------------------------------------------------------------------------ what differs
    @classmethod
    @abstractmethod
    def checked_options(cls, folder: Path, options: Mapping[str, Any], *, where: str) -> dict[str, Any]:
        """The adapter's own options (a missing or None one: its default), their values checked against the
        folder's small config files without loading weights (``nextgpt.adapters.diffusers_options``); a bad value
        is a ConfigError starting ``where.OPTION``."""

    @abstractmethod
    def output_settings(self) -> dict[str, JSONValue]:
        """The subclass's settings that change outputs (size, frames, duration)."""

    @abstractmethod
    def pipeline_arguments(self) -> dict[str, Any]:
        """The pipeline call's arguments besides prompt, steps, guidance and generators."""

    @abstractmethod
    def results(self, output: Any) -> list[GenerationResult]:
        """One result per prompt of one pipeline call's output, in order."""

    # ------------------------------------------------------------------------------------------ identity
    def settings(self) -> dict[str, JSONValue]:
        """What, besides the folder's content, decides the outputs."""
        return {"num_inference_steps": self.num_inference_steps, "guidance_scale": self.guidance_scale,
                **self.output_settings(), "dtype": str(self.pipeline.unet.dtype).removeprefix("torch.")}

    def fingerprint(self) -> str:
        identity = {"adapter": self.adapter_name, "folder_sha256": self.folder_sha256, **self.settings()}
        return adapter_fingerprint(identity, implementation=IMPLEMENTATION)

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": self.adapter_name, "pipeline": self.pipeline_class, "source": str(self.folder),
                "folder_sha256": self.folder_sha256, **self.settings(), "implementation": IMPLEMENTATION,
                "device": str(self.device)}

    def profiled_stages(self) -> list[ProfiledStage]:
        """The text encoder (prompts and, with guidance, the empty negative prompts), the UNet (one call per
        denoising step: guidance runs both halves in one call) and the VAE's ``decode`` of the final latents."""
        return [ProfiledStage("text_encoder", self.pipeline.text_encoder, unit="prompts", per_item=True),
                ProfiledStage("unet", self.pipeline.unet, unit="steps"),
                ProfiledStage("vae_decode", self.pipeline.vae, unit="latents", method="decode", per_item=True)]

    # ------------------------------------------------------------------------------------------ generation
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        for index, request in enumerate(requests):
            self.refuse_unsupported(request, index)
        # requests sharing steps and guidance go through the pipeline together, each with its own generator
        groups: dict[tuple[int, float], list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(self._request_settings(request, index), []).append(index)
        answered: dict[int, GenerationResult] = {}
        for (steps, guidance), indices in groups.items():
            drawn = self._draw([requests[i] for i in indices], steps, guidance)
            answered.update(zip(indices, drawn, strict=True))
        return [answered[index] for index in range(len(requests))]

    def _request_settings(self, request: GenerationRequest, index: int) -> tuple[int, float]:
        steps = self.num_inference_steps if request.num_inference_steps is None else request.num_inference_steps
        self._check_steps(steps, f"{self.adapter_name}: request {index}")
        guidance = self.guidance_scale if request.guidance_scale is None else request.guidance_scale
        return steps, float(guidance)

    @torch.no_grad()
    def _draw(self, requests: Sequence[GenerationRequest], steps: int, guidance: float) -> list[GenerationResult]:
        generators = [torch.Generator(device=self.device).manual_seed(r.seed) for r in requests]
        output = self.pipeline(prompt=[r.text for r in requests], num_inference_steps=steps,
                               guidance_scale=guidance, generator=generators, **self.pipeline_arguments())
        return self.results(output)

    def _result(self, **media: Any) -> GenerationResult:
        """A result holding one medium of the adapter's output. A pipeline has no signal tokens, so it reports no
        signal run (the runner records the medium as ``unsignalled``)."""
        return GenerationResult(text="", **media)

    def refuse_unsupported(self, request: GenerationRequest, index: int) -> None:
        """A text-to-X pipeline answers a prompt with one medium; say exactly which part of a request it cannot."""
        where = f"{self.adapter_name}: request {index}"
        if request.media:
            inputs = ", ".join(item.describe() for item in request.media)
            raise ConfigError(f"{where} gives {inputs}; this adapter reads text prompts only")
        other = sorted(request.want - {self.output})
        if other:
            raise ConfigError(f"{where} asks for {', '.join(other)} output; this adapter writes "
                              f"{_OUTPUTS[self.output]} only")
        if request.allowed_outputs is not None and self.output not in request.allowed_outputs:
            raise ConfigError(f"{where} allows only {sorted(request.allowed_outputs) or 'text'} output; this "
                              f"adapter answers every prompt with {_ONE_OUTPUT[self.output]}")
        if request.history:
            raise ConfigError(f"{where} continues a conversation of {len(request.history)} turn(s); this adapter "
                              "reads one prompt, without history")
