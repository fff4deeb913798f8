"""NExT-GPT: ImageBind -> input projection -> LLM (+LoRA) -> signal tokens -> output projections -> decoders.

``generate`` follows the paper's data flow (docs/model.md): encode every input with ImageBind, project it into LLM
tokens between ``<Img>`` markers, let the LLM answer, normalise the signal-token runs it emitted
(``nextgpt.model.signal_tokens``), read the LLM's hidden states at each run, project them into each decoder's
conditioning space and run the decoders.  A text-only answer calls no decoder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, overload

import torch
from PIL import Image
from torch import nn

from nextgpt.core.errors import MediaError
from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import GenerationRequest, GenerationResult, MediaInput
from nextgpt.model.config import NextGPTConfig
from nextgpt.model.decoders import DiffusionDecoder
from nextgpt.model.decoding import DecodingRow, decode_batch
from nextgpt.model.encoder import ImageBindEncoder
from nextgpt.model.encoder import media as media_io
from nextgpt.model.fingerprint import content_fingerprint
from nextgpt.model.parameters import ComponentCount, Stage, parameter_table, set_trainable_stage, trainable_parameters
from nextgpt.model.signal_tokens import INPUT_MARKERS, NormalisedAnswer, SignalVocabulary, normalise_answer

HUMAN_PREFIX = "### Human: "
ASSISTANT_PREFIX = "\n### Assistant:"
STOP_STRING = "###"
#: Decoder seeds are the request seed plus these offsets, so image, video and audio draw independent noise.
_DECODER_SEED_OFFSET: dict[Modality, int] = {"image": 0, "video": 1, "audio": 2}
_RESULT_FIELD: dict[Modality, str] = {"image": "images", "video": "videos", "audio": "audios"}


class NextGPT(nn.Module):
    """NExT-GPT as an ``nextgpt.core.interface.AnyToAnyModel``: any mix of image, video and audio in and out.
    Build it with ``nextgpt.model.loading.load_model`` (presets, checkpoints, local weights)."""

    capabilities = Capabilities.any_to_any()

    def __init__(self, config: NextGPTConfig, *, tokenizer: Any, signal_vocab: SignalVocabulary,
                 encoder: ImageBindEncoder, input_projection: nn.Module, llm: nn.Module,
                 output_projections: nn.ModuleDict, decoders: nn.ModuleDict) -> None:
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer
        self.signal_vocab = signal_vocab
        self.encoder = encoder
        self.input_projection = input_projection
        self.llm = llm
        self.output_projections = output_projections
        self.decoders = decoders
        #: The checkpoint folder the trainable weights were loaded from (set by ``load_checkpoint``); None when
        #: the model was built from its config alone.
        self.loaded_from: Path | None = None

    # ----------------------------------------------------------------------------- the model interface
    def fingerprint(self) -> str:
        """The content hash that keys the generation cache (``nextgpt.model.fingerprint.content_fingerprint``)."""
        return content_fingerprint(self.config, self)

    def describe(self) -> dict[str, JSONValue]:
        """Provenance stored with a benchmark run: preset, the checkpoint folder it was loaded from (None for a
        preset built from its seed), device and dtype."""
        return {"preset": self.config.preset,
                "checkpoint": str(self.loaded_from) if self.loaded_from is not None else None,
                "device": str(self.device), "dtype": str(self.dtype).removeprefix("torch.")}

    # -------------------------------------------------------------------------------------- parameters
    def set_trainable_stage(self, stage: Stage) -> None:
        """Freeze all but what training stage 1, 2 or 3 trains ("all": every adapter, "none": nothing)."""
        set_trainable_stage(self, stage)

    def trainable_parameters(self) -> dict[str, nn.Parameter]:
        return trainable_parameters(self)

    def parameter_table(self) -> list[ComponentCount]:
        return parameter_table(self)

    @property
    def device(self) -> torch.device:
        return next(self.llm.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.llm.parameters()).dtype

    def decoder(self, modality: Modality) -> DiffusionDecoder:
        return self.decoders[modality]  # type: ignore[return-value]

    # ------------------------------------------------------------------------------------------ inputs
    def embed_ids(self, ids: torch.Tensor) -> torch.Tensor:
        return self.llm.get_input_embeddings()(ids.to(self.device))

    def embed_text(self, text: str) -> torch.Tensor:
        ids = self.tokenizer(text, add_special_tokens=False).input_ids
        return self.embed_ids(torch.tensor([ids], dtype=torch.long))

    def load_media(self, item: MediaInput) -> torch.Tensor:
        """A media input -> the preprocessed tensor ImageBind takes (no batch axis)."""
        source, encoder = item.source, self.config.encoder
        if isinstance(source, torch.Tensor):
            return media_io.check_media_tensor(item.modality, source, name=item.describe())
        if isinstance(source, Image.Image):
            return media_io.image_to_tensor(source)
        if item.modality == "image":
            return media_io.load_image(source)
        if item.modality == "video":
            return media_io.load_video(source, encoder.video_clips, encoder.video_spatial_crops)
        if item.modality == "audio":
            return media_io.load_audio(source, encoder.audio_clips)
        raise MediaError(f"{item.describe()}: unknown modality")

    def encode_media(self, item: MediaInput, encoded: Any = None) -> torch.Tensor:
        """A media input -> (1, tokens_per_input, llm_hidden) LLM input embeddings.  ``encoded``: the frozen
        ImageBind output for ``item`` when the caller already has it (training reuses it across epochs)."""
        if encoded is None:
            encoded = self.encoder.encode(item.modality, self.load_media(item).unsqueeze(0))
        return self.input_projection(encoded)

    def prompt_embeddings(self, request: GenerationRequest,
                          encodings: Callable[[MediaInput], Any] | None = None) -> torch.Tensor:
        """``<s>[history]### Human: <Img>{media}</Img> ... {text}\\n### Assistant:`` as (1, L, hidden) embeddings;
        earlier turns (``request.history``) are rendered as text in the same format before the current one.
        ``encodings(item)`` may return a media input's ImageBind output computed earlier (see encode_media)."""
        bos = torch.tensor([[self.tokenizer.bos_token_id]], dtype=torch.long)
        parts = [self.embed_ids(bos)]
        for user, assistant in request.history:
            parts.append(self.embed_text(f"{HUMAN_PREFIX}{user}{ASSISTANT_PREFIX} {assistant}\n"))
        parts.append(self.embed_text(HUMAN_PREFIX))
        for item in request.media:
            encoded = encodings(item) if encodings is not None else None
            parts += [self.embed_text(INPUT_MARKERS[0]), self.encode_media(item, encoded).to(parts[0].dtype),
                      self.embed_text(INPUT_MARKERS[1] + " ")]
        parts.append(self.embed_text(request.text + ASSISTANT_PREFIX))
        return torch.cat(parts, dim=1)

    # ---------------------------------------------------------------------------------------- generate
    @overload
    def generate(self, requests: GenerationRequest) -> GenerationResult: ...

    @overload
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]: ...

    @torch.no_grad()
    def generate(self, requests: GenerationRequest | Sequence[GenerationRequest]
                 ) -> GenerationResult | list[GenerationResult]:
        """Answer a sequence of requests as one batch: the LLM decodes them together (left-padded) and each
        decoder denoises all its outputs in one batch.  Every request keeps its own seeds, so results do not
        depend on how requests are grouped (up to float rounding of batched matmuls).  A single request (not in a
        sequence) gets its single result."""
        if isinstance(requests, GenerationRequest):
            return self._generate_batch([requests])[0]
        return self._generate_batch(list(requests)) if requests else []

    def _generate_batch(self, requests: list[GenerationRequest]) -> list[GenerationResult]:
        prompts = [self.prompt_embeddings(r) for r in requests]
        raw = self.decode_answers(prompts, requests)
        results = []
        for request, prompt, raw_ids in zip(requests, prompts, raw, strict=True):
            answer = normalise_answer(raw_ids, self.signal_vocab, want=[m for m in MODALITIES if m in request.want])
            results.append(GenerationResult(
                text=self.answer_text(answer.token_ids), signal_runs=answer.runs, raw_token_ids=raw_ids,
                answer_token_ids=answer.token_ids, conditions=self.signal_conditions(prompt, answer)))
        for modality in MODALITIES:
            self._decode_outputs(modality, requests, results)
        return results

    def _decode_outputs(self, modality: Modality, requests: list[GenerationRequest],
                        results: list[GenerationResult]) -> None:
        """Run ``modality``'s decoder once per group of requests that share diffusion settings."""
        groups: dict[tuple[int | None, float | None], list[int]] = {}
        for index, (request, result) in enumerate(zip(requests, results, strict=True)):
            if modality in result.conditions:
                groups.setdefault((request.num_inference_steps, request.guidance_scale), []).append(index)
        for (steps, guidance), members in groups.items():
            condition = torch.cat([results[i].conditions[modality] for i in members])
            seeds = [requests[i].seed + _DECODER_SEED_OFFSET[modality] for i in members]
            decoded = self.decoder(modality).decode(condition, seed=seeds, num_inference_steps=steps,
                                                    guidance_scale=guidance)
            for index, output in zip(members, decoded, strict=True):
                getattr(results[index], _RESULT_FIELD[modality]).append(output)
                if modality == "audio":
                    results[index].audio_sample_rate = self.decoders["audio"].sample_rate  # type: ignore[union-attr]

    def decode_answers(self, prompts: list[torch.Tensor], requests: list[GenerationRequest]) -> list[list[int]]:
        """The LLM's answer token ids per request, cut at end-of-sequence and before a new ``###`` turn."""
        settings = self.config.text_generation
        rows = [DecodingRow(max_new_tokens=settings.max_new_tokens if r.max_new_tokens is None else r.max_new_tokens,
                            seed=r.seed, suppressed_ids=tuple(self.suppressed_token_ids(r))) for r in requests]
        texts = [""] * len(requests)

        def holds_stop_string(row: int, token: int) -> bool:
            texts[row] += self.tokenizer.decode([token])
            return STOP_STRING in texts[row]

        eos = self.tokenizer.eos_token_id
        answers = decode_batch(self.llm, prompts, rows, settings=settings, eos_token_id=eos,
                               use_cache=bool(self.llm.get_base_model().generation_config.use_cache),
                               row_finished=holds_stop_string)
        return [self._cut_at_stop_string(ids[:ids.index(eos)] if eos in ids else ids) for ids in answers]

    def suppressed_token_ids(self, request: GenerationRequest) -> list[int]:
        """Signal tokens of the modalities ``request.allowed_outputs`` excludes."""
        if request.allowed_outputs is None:
            return []
        return [token for modality, ids in self.signal_vocab.run_ids.items()
                if modality not in request.allowed_outputs for token in ids]

    def _cut_at_stop_string(self, ids: list[int]) -> list[int]:
        text = ""
        for index, token in enumerate(ids):
            text += self.tokenizer.decode([token])
            if STOP_STRING in text:
                return ids[:index]
        return ids

    def answer_text(self, ids: list[int]) -> str:
        plain = [token for token in ids if token not in self.signal_vocab.all_ids]
        return self.tokenizer.decode(plain, skip_special_tokens=True).strip()

    def signal_conditions(self, prompt: torch.Tensor, answer: NormalisedAnswer) -> dict[Modality, torch.Tensor]:
        """Teacher-force prompt + normalised answer once and project the hidden states at each signal run."""
        if not answer.runs:
            return {}
        answer_ids = torch.tensor([answer.token_ids], dtype=torch.long, device=prompt.device)
        inputs = torch.cat([prompt, self.embed_ids(answer_ids).to(prompt.dtype)], dim=1)
        hidden_states = self.llm(inputs_embeds=inputs, output_hidden_states=True).hidden_states
        conditions: dict[Modality, torch.Tensor] = {}
        for run in answer.runs:
            projection = self.output_projections[run.modality]
            start = prompt.shape[1] + run.start
            states = hidden_states[projection.config.hidden_layer][:, start:start + run.length]
            run_ids = torch.tensor([self.signal_vocab.run_ids[run.modality]], device=prompt.device)
            conditions[run.modality] = projection(states, self.embed_ids(run_ids))
        return conditions

    def project_signal_states(self, modality: Modality, states: torch.Tensor) -> torch.Tensor:
        """Project (B, N, hidden) signal-token states of ``modality`` into its decoder's conditioning space."""
        run_ids = torch.tensor([self.signal_vocab.run_ids[modality]], device=states.device)
        embeddings = self.embed_ids(run_ids).expand(states.shape[0], -1, -1)
        return self.output_projections[modality](states, embeddings)
