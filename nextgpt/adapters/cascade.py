"""A cascade any-to-any baseline: captioners, an LLM and text-to-X generators, composed without joint training.

This is the "no end-to-end training" system the NExT-GPT paper argues against, answering the very requests
NExT-GPT answers (captioning, text-to-X, editing, dialogue), so the suite can measure it. The cascade knows its
components only as :class:`~nextgpt.core.interface.AnyToAnyModel`\\ s, whatever library they come from:

* a **captioner** per input modality: a model that reads that medium and writes text;
* an optional **LLM**: a text-to-text model;
* a **generator** per output modality: a model that writes that medium from a text prompt.

It reads what its captioners read and writes what its generators write (``capabilities``). Each request goes
through these steps, every step batched over the requests (one ``generate`` call per component per batch):

1. Every input medium of the request goes, alone and with an empty text, to the captioner of its modality: the
   captioner describes the medium, the LLM reads the user's message (a captioner given "Describe this image."
   as a decoder prefix would continue that sentence instead of captioning).
2. The output modalities are chosen by **the rule** (``nextgpt.adapters.cascade_rule``): the request's ``want``
   forces them; otherwise a keyword rule reads the user's message (``OUTPUT_WORDS``: "image", "picture", "photo",
   "draw"... -> image; "video", "clip", "animation"... -> video; "sound", "audio", "music", "tone"... -> audio),
   limited by ``allowed_outputs`` and by the generators the cascade has. Nothing else decides. None chosen: a
   text-only answer.
3. The LLM gets the request's history as it is (its adapter writes it in the LLM's own chat format) and one user
   turn stating the captions and the user's message, asking for a one-sentence description when outputs were
   chosen (template in ``nextgpt.adapters.cascade_prompts``); its answer is the result's text. Without an LLM the
   text is the captions of the input media.
4. Each chosen modality's generator is prompted with the LLM's answer (``generator_prompt="llm"``, the default:
   the LLM writes the generator's prompt, as tool-using cascades do) or with the user's own words after the input
   captions (``"user"``; the only choice without an LLM).

Seeds: each component's request is seeded from the request's seed and the component's role (and the medium's
position for captions), so a result depends only on its request, up to the float rounding of batched computation
(a video pixel may differ by one level between a batch and a request alone, as the interface allows). The cascade
has no signal tokens, so it reports no :class:`~nextgpt.core.requests.SignalRun`, as the interface asks of such
models: the runner records each produced medium as ``unsignalled`` (dialogue's ``modality_accuracy`` counts it;
``signal_rate`` and ``signal_exact`` are not applicable).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import cast

import torch

from nextgpt.adapters.cascade_prompts import (
    GENERATOR_PROMPTS,
    GeneratorPrompt,
    captions_answer,
    llm_turn,
    user_generator_prompt,
)
from nextgpt.adapters.cascade_rule import choose_outputs
from nextgpt.adapters.identity import adapter_fingerprint
from nextgpt.core.errors import ConfigError, TaskError
from nextgpt.core.interface import AnyToAnyModel, Capabilities, HasStages, JSONValue, ProfiledStage
from nextgpt.core.modalities import MODALITIES, Modality, check_modality
from nextgpt.core.requests import GenerationRequest, GenerationResult, MediaInput
from nextgpt.core.validation import MAX_SEED

ADAPTER_NAME = "cascade"
#: The version of the cascade's own code (rule, prompts, seeds): bump it when the same components and options
#: would answer differently, so cached outputs of the old code are not reused (``nextgpt.adapters.identity``).
IMPLEMENTATION = 1
LLM_ROLE = "llm"


def captioner_role(modality: Modality) -> str:
    return f"captioner.{modality}"


def generator_role(modality: Modality) -> str:
    return f"generator.{modality}"


def component_seed(seed: int, role: str, position: int = 0) -> int:
    """The seed a component's request gets: a hash of the request's seed, the role and the medium's position, so
    the components draw independently of each other and of the batch."""
    digest = hashlib.sha256(f"{role}/{position}/{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (MAX_SEED + 1)


@dataclass(frozen=True)
class CascadeOptions:
    """The cascade's own settings (part of its fingerprint): which text prompts the generators (see the module
    docstring)."""

    generator_prompt: GeneratorPrompt = "llm"

    def __post_init__(self) -> None:
        if self.generator_prompt not in GENERATOR_PROMPTS:
            raise ConfigError(f"cascade: generator_prompt must be one of {', '.join(GENERATOR_PROMPTS)}, got "
                              f"{self.generator_prompt!r}")

    def to_json(self) -> dict[str, JSONValue]:
        return {"generator_prompt": self.generator_prompt}


@dataclass
class _Plan:
    """What the cascade does for one request: its captions (filled in step 1), outputs and answer."""

    request: GenerationRequest
    outputs: tuple[Modality, ...]
    captions: list[tuple[Modality, str]] = field(default_factory=list)
    answer: str = ""


class Cascade:
    """Captioners, an optional LLM and generators composed into one any-to-any model (see the module docstring).

    ``source`` is what the leaderboard labels the run with (the config file it came from)."""

    def __init__(self, *, captioners: Mapping[Modality, AnyToAnyModel], llm: AnyToAnyModel | None,
                 generators: Mapping[Modality, AnyToAnyModel], options: CascadeOptions | None = None,
                 source: str = ADAPTER_NAME) -> None:
        self.options = options or CascadeOptions()
        self.captioners = {check_modality(m, where="cascade captioners"): c for m, c in captioners.items()}
        self.llm = llm
        self.generators = {check_modality(m, where="cascade generators"): g for m, g in generators.items()}
        self.source = source
        self._check_components()
        self.capabilities = Capabilities(inputs=frozenset(self.captioners), outputs=frozenset(self.generators))

    def _check_components(self) -> None:
        if not self.components():
            raise ConfigError("cascade: no component; give at least a captioner, an llm or a generator")
        for role, component in self.components().items():
            if not isinstance(component, AnyToAnyModel):
                raise ConfigError(f"cascade: {role} is a {type(component).__name__}, not a model of the model "
                                  "interface (capabilities, device, generate, fingerprint, describe)")
        for modality, captioner in self.captioners.items():
            if modality not in captioner.capabilities.inputs:
                raise ConfigError(f"cascade: the {captioner_role(modality)} component reads "
                                  f"{_listed(captioner.capabilities.inputs)}, not {modality}")
        for modality, generator in self.generators.items():
            if modality not in generator.capabilities.outputs:
                raise ConfigError(f"cascade: the {generator_role(modality)} component writes "
                                  f"{_listed(generator.capabilities.outputs)}, not {modality}")
        if self.llm is None and self.options.generator_prompt == "llm":
            raise ConfigError("cascade: generator_prompt 'llm' prompts the generators with the LLM's answer, but "
                              "the cascade has no llm; give an llm or generator_prompt 'user'")

    def components(self) -> dict[str, AnyToAnyModel]:
        """Every component by role: ``captioner.<modality>``, ``llm``, ``generator.<modality>`` (modalities in
        ``MODALITIES`` order)."""
        roles = {captioner_role(m): self.captioners[m] for m in MODALITIES if m in self.captioners}
        if self.llm is not None:
            roles[LLM_ROLE] = self.llm
        roles.update({generator_role(m): self.generators[m] for m in MODALITIES if m in self.generators})
        return roles

    @property
    def device(self) -> torch.device:
        """A CUDA device of a component if any (the runner synchronises it before stopping a clock), else the
        first component's."""
        devices = [component.device for component in self.components().values()]
        return next((device for device in devices if device.type == "cuda"), devices[0])

    def fingerprint(self) -> str:
        identity: dict[str, JSONValue] = {
            "adapter": ADAPTER_NAME, "options": self.options.to_json(),
            "components": {role: c.fingerprint() for role, c in self.components().items()}}
        return adapter_fingerprint(identity, implementation=IMPLEMENTATION)

    def describe(self) -> dict[str, JSONValue]:
        components: dict[str, JSONValue] = {role: c.describe() for role, c in self.components().items()}
        return {"adapter": ADAPTER_NAME, "source": self.source, "options": self.options.to_json(),
                "components": components, "implementation": IMPLEMENTATION, "device": str(self.device)}

    def profiled_stages(self) -> list[ProfiledStage]:
        """Each component's own stages, named after its role (``llm.decoder``, ``generator.video.unet``...); a
        module shared by two roles is timed once, under the first (the profiler refuses one module in two stages,
        even through different methods)."""
        stages: list[ProfiledStage] = []
        seen: set[int] = set()
        for role, component in self.components().items():
            if not isinstance(component, HasStages):
                continue
            for stage in component.profiled_stages():
                if id(stage.module) not in seen:
                    seen.add(id(stage.module))
                    stages.append(replace(stage, name=f"{role}.{stage.name}"))
        return stages

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        plans = [self._plan(index, request) for index, request in enumerate(requests)]
        self._caption(plans)
        self._answer(plans)
        media = self._draw(plans)
        return [self._result(plan, media.get(index, {})) for index, plan in enumerate(plans)]

    def _plan(self, index: int, request: GenerationRequest) -> _Plan:
        """Refuse what the cascade cannot answer, naming the request and the missing component; choose outputs."""
        for item in request.media:
            if item.modality not in self.captioners:
                raise ConfigError(f"{ADAPTER_NAME}: request {index} gives {item.describe()}; this cascade has no "
                                  f"{item.modality} captioner (it reads {_listed(self.capabilities.inputs)})")
        missing = sorted(request.want - self.capabilities.outputs)
        if missing:
            raise ConfigError(f"{ADAPTER_NAME}: request {index} asks for {', '.join(missing)} output; this cascade "
                              f"has no generator for it (it writes {_listed(self.capabilities.outputs)})")
        chosen = choose_outputs(request, self.capabilities.outputs)
        return _Plan(request, tuple(m for m in MODALITIES if m in chosen))

    def _caption(self, plans: list[_Plan]) -> None:
        """Step 1: one captioner call per modality over every medium of the batch."""
        jobs: dict[Modality, list[tuple[int, int, GenerationRequest]]] = {}
        for index, plan in enumerate(plans):
            for position, item in enumerate(plan.request.media):
                jobs.setdefault(item.modality, []).append(
                    (index, position, self._caption_request(plan, item, position)))
        captions: dict[tuple[int, int], str] = {}
        for modality, calls in jobs.items():
            role = captioner_role(modality)
            results = _checked(role, self.captioners[modality].generate([call for *_, call in calls]), len(calls))
            for (index, position, _), result in zip(calls, results):
                captions[(index, position)] = result.text.strip()
        for index, plan in enumerate(plans):
            plan.captions = [(item.modality, captions[(index, position)])
                             for position, item in enumerate(plan.request.media)]

    def _caption_request(self, plan: _Plan, item: MediaInput, position: int) -> GenerationRequest:
        request = plan.request
        return GenerationRequest(text="", media=(item,), allowed_outputs=frozenset(),
                                 seed=component_seed(request.seed, captioner_role(item.modality), position),
                                 max_new_tokens=request.max_new_tokens)

    def _answer(self, plans: list[_Plan]) -> None:
        """Step 3: one LLM call over the batch (or the captions, without an LLM)."""
        if self.llm is None:
            for plan in plans:
                plan.answer = captions_answer([caption for _, caption in plan.captions])
            return
        calls = [GenerationRequest(text=llm_turn(plan.request.text, captions=plan.captions, outputs=plan.outputs),
                                   history=plan.request.history, allowed_outputs=frozenset(),
                                   seed=component_seed(plan.request.seed, LLM_ROLE),
                                   max_new_tokens=plan.request.max_new_tokens)
                 for plan in plans]
        for plan, result in zip(plans, _checked(LLM_ROLE, self.llm.generate(calls), len(calls))):
            plan.answer = result.text.strip()

    def _generator_prompt(self, plan: _Plan) -> str:
        if self.options.generator_prompt == "llm":
            return plan.answer
        return user_generator_prompt(plan.request.text, [caption for _, caption in plan.captions])

    def _draw(self, plans: list[_Plan]) -> dict[int, dict[Modality, GenerationResult]]:
        """Step 4: one generator call per chosen modality over the batch."""
        media: dict[int, dict[Modality, GenerationResult]] = {}
        for modality, generator in self.generators.items():
            indices = [index for index, plan in enumerate(plans) if modality in plan.outputs]
            if not indices:
                continue
            role = generator_role(modality)
            calls = [GenerationRequest(text=self._generator_prompt(plans[i]), want=frozenset({modality}),
                                       allowed_outputs=frozenset({modality}),
                                       seed=component_seed(plans[i].request.seed, role),
                                       num_inference_steps=plans[i].request.num_inference_steps,
                                       guidance_scale=plans[i].request.guidance_scale) for i in indices]
            for index, result in zip(indices, _checked(role, generator.generate(calls), len(calls))):
                if not _media_of(result, modality):
                    raise TaskError(f"{ADAPTER_NAME}: {role} answered a request for {modality} without any "
                                    f"{modality}")
                media.setdefault(index, {})[modality] = result
        return media

    @staticmethod
    def _result(plan: _Plan, media: Mapping[Modality, GenerationResult]) -> GenerationResult:
        result = GenerationResult(text=plan.answer)
        for modality in plan.outputs:
            produced = media[modality]
            _media_of(result, modality).append(_media_of(produced, modality)[0])
            if modality == "audio":
                result.audio_sample_rate = produced.audio_sample_rate
        return result


def _media_of(result: GenerationResult, modality: Modality) -> list[object]:
    lists = {"image": result.images, "video": result.videos, "audio": result.audios}
    return cast(list[object], lists[modality])


def _checked(role: str, results: list[GenerationResult], expected: int) -> list[GenerationResult]:
    if len(results) != expected:
        raise TaskError(f"{ADAPTER_NAME}: {role} returned {len(results)} result(s) for {expected} request(s)")
    return results


def _listed(modalities: frozenset[Modality]) -> str:
    return ", ".join(m for m in MODALITIES if m in modalities) or "text only"
