"""A local transformers captioner (image, video or audio in, a caption out) as an
:class:`~nextgpt.core.interface.AnyToAnyModel`: the paper's specialist X-to-text baselines measured under the
suite's own protocol.

Which folders it reads (ViT/TimeSformer + GPT-2, BLIP, GIT, Whisper) is in ``transformers_captioner_families``;
how a request's medium becomes pixels or a waveform (frame sampling, resampling) in
``transformers_captioner_media``. The folder is read with ``local_files_only=True``: nothing is downloaded.

* **The request's text is not used.** Captioners are trained to caption, not to follow instructions: given the
  suite's "Describe this image in one sentence." as a decoder prefix, BLIP or GIT would continue that sentence
  instead of captioning. Every request is captioned unconditionally, as the published captioners are evaluated.
  BLIP and GIT may start from a fixed ``prefix`` (e.g. "a picture of", as BLIP's model card does); it is an
  adapter setting, part of the fingerprint, and stays at the start of every caption.
* **Decoding** is deterministic (greedy, or beam search when the folder's generation config sets ``num_beams``),
  so the seed decides nothing and a caption does not depend on the rest of its batch. Token budget: the request's
  ``max_new_tokens``, the settings', else the folder's generation config (its ``max_length``).
* **What it answers:** exactly one medium of its modality, text out, no conversation history. Anything else is
  refused with a ConfigError naming the request's index and what is unsupported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from nextgpt.adapters.folder_fingerprint import folder_sha256
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.adapters.transformers_captioner_families import ADAPTER_NAME, CaptionerFamily, captioner_family
from nextgpt.adapters.transformers_captioner_media import read_audio_input, read_image_input, read_video_input
from nextgpt.adapters.transformers_decoding import length_arguments, make_deterministic, token_budget, until_end
from nextgpt.adapters.transformers_folders import (
    FolderModelIdentity,
    first_parameter_dtype,
    load_pretrained,
    model_kwargs,
    read_model_config,
)
from nextgpt.core.errors import ConfigError, MissingWeightsError
from nextgpt.core.interface import Capabilities, JSONValue, ProfiledStage
from nextgpt.core.requests import GenerationRequest, GenerationResult, MediaInput

#: The version of this adapter's own code (media reading, frame rule and decoding): bump it when the same
#: folder and settings would give other outputs, so cached outputs of the old code are not reused
#: (``nextgpt.adapters.identity``).
IMPLEMENTATION = 1

#: Files one of which a saved image processor, video processor or feature extractor writes.
PROCESSOR_FILES = ("preprocessor_config.json", "video_preprocessor_config.json")
#: How a video's frames are picked, recorded with every run of a video captioner.
FRAME_RULE = "linspace(0, frames_in_clip - 1, frames) rounded half to even, each frame through the image processor"
_EXPECTED = "an image, video or audio captioner (with its tokenizer and processor)"


def _family_of_folder(folder: Path) -> CaptionerFamily:
    config = read_model_config(folder, adapter=ADAPTER_NAME, expected=_EXPECTED)
    family = captioner_family(config, folder / "config.json")
    if not any((folder / name).is_file() for name in PROCESSOR_FILES):
        raise MissingWeightsError(f"{ADAPTER_NAME}: {folder} has no {' or '.join(PROCESSOR_FILES)}; save the "
                                  "captioner's image processor or feature extractor into the same folder "
                                  "(processor.save_pretrained)")
    return family


def check_captioner_folder(folder: Path) -> str:
    """The modality the captioner in ``folder`` reads ("image", "video" or "audio"), from its ``config.json``
    alone (no weights are loaded). A missing folder, config, weights, tokenizer or processor, or an architecture
    this adapter does not read, is refused naming the path (the error lists what is supported)."""
    return _family_of_folder(Path(folder)).modality


#: The options a captioner takes besides AdapterSettings (its keyword arguments).
CAPTIONER_OPTIONS = ("prefix",)


def accepted_options(folder: Path) -> tuple[str, ...]:
    """The options ``load_captioner`` takes for ``folder`` (a prefix only where the family decodes from one)."""
    return CAPTIONER_OPTIONS if _family_of_folder(Path(folder)).takes_prefix else ()


def check_option_values(folder: Path, options: Mapping[str, Any], *, where: str) -> None:
    """Refuse an option value ``load_captioner`` would refuse, naming it (reads only the folder's config)."""
    accepted = accepted_options(folder)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = f"it takes {', '.join(accepted)}" if accepted else "it takes none (only blip and git take a prefix)"
        raise ConfigError(f"{where}: option(s) {', '.join(unknown)} do not apply to the {ADAPTER_NAME} of {folder}; "
                          f"{takes}")
    prefix = options.get("prefix")
    if prefix is not None and (not isinstance(prefix, str) or not prefix.strip()):
        raise ConfigError(f"{where}.prefix: expected the words a caption starts with (a non-empty string, e.g. "
                          f"\"a picture of\"), got {prefix!r}")


def load_captioner(folder: Path, settings: AdapterSettings, *,
                   options: Mapping[str, Any] | None = None) -> TransformersCaptioner:
    """The registry's loader: :class:`TransformersCaptioner` with the options of an adapter config (checked by
    :func:`check_option_values` first)."""
    given = dict(options or {})
    check_option_values(folder, given, where=f"{ADAPTER_NAME} {folder} options")
    return TransformersCaptioner(folder, settings, prefix=given.get("prefix"))


class TransformersCaptioner(FolderModelIdentity):
    """One medium in, its caption out, from a local captioner folder (see the module docstring)."""

    adapter_name = ADAPTER_NAME
    implementation = IMPLEMENTATION

    def __init__(self, folder: str | Path, settings: AdapterSettings | None = None, *,
                 prefix: str | None = None) -> None:
        import transformers

        self.folder = Path(folder)
        self.settings = settings or AdapterSettings()
        self.family = _family_of_folder(self.folder)
        if prefix is not None and not self.family.takes_prefix:
            raise ConfigError(f"{ADAPTER_NAME}: prefix {prefix!r} given, but a {self.family.model_type} captioner "
                              "decodes without a text prefix (only blip and git take one)")
        if prefix is not None:
            check_option_values(self.folder, {"prefix": prefix}, where=ADAPTER_NAME)
        self.prefix = prefix
        self.capabilities = Capabilities(inputs=frozenset({self.family.modality}), outputs=frozenset(),
                                         conversations=False)
        self.folder_sha256 = folder_sha256(self.folder)
        self.tokenizer = load_pretrained(transformers.AutoTokenizer.from_pretrained, self.folder, "tokenizer",
                                         adapter=ADAPTER_NAME)
        processor_class = (transformers.AutoFeatureExtractor if self.family.modality == "audio"
                           else transformers.AutoImageProcessor)
        self.processor = load_pretrained(processor_class.from_pretrained, self.folder, "processor",
                                         adapter=ADAPTER_NAME)
        model_class = getattr(transformers, self.family.model_class)
        model = load_pretrained(model_class.from_pretrained, self.folder, self.family.model_class,
                                adapter=ADAPTER_NAME, **model_kwargs(self.settings))
        self.model = model.to(torch.device(self.settings.device)).eval()
        self.folder_max_length = make_deterministic(self.model)
        self.dtype = next(self.model.parameters()).dtype

    @property
    def device(self) -> torch.device:
        return torch.device(self.model.device)

    @property
    def modality(self) -> str:
        return self.family.modality

    def describe_settings(self) -> dict[str, JSONValue]:
        """What, besides the folder's content, decides the captions."""
        settings: dict[str, JSONValue] = {
            "model_type": self.family.model_type, "modality": self.family.modality, "prefix": self.prefix,
            "max_new_tokens": self.settings.max_new_tokens, "folder_max_length": self.folder_max_length,
            "request_text": "ignored",
            "decoding": "greedy (beam search where the folder's generation config sets num_beams)",
            "dtype": first_parameter_dtype(self.model)}
        if self.family.frames is not None:
            settings.update(frames=self.family.frames, frame_rule=FRAME_RULE)
        if self.family.modality == "audio":
            settings["sample_rate"] = self._sample_rate()
        return settings

    def profiled_stages(self) -> list[ProfiledStage]:
        """The medium's encoder (one item per image, clip or frame) and the text decoder's forward (one token per
        row and call)."""
        model, unit = self.model, {"image": "images", "video": "clips", "audio": "clips"}[self.family.modality]
        if self.family.model_type == "vision-encoder-decoder":
            encoder, decoder = model.encoder, model.decoder
        elif self.family.model_type == "blip":
            encoder, decoder = model.vision_model, model.text_decoder
        elif self.family.model_type == "git":
            encoder, decoder = model.git.image_encoder, model
            unit = "frames" if self.family.modality == "video" else unit  # GIT encodes a clip frame by frame
        else:  # whisper
            encoder, decoder = model.model.encoder, model.model.decoder
        return [ProfiledStage("encoder", encoder, unit=unit, per_item=True),
                ProfiledStage("decoder", decoder, unit="tokens", per_item=True)]

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        media = [self._medium(request, index) for index, request in enumerate(requests)]
        groups: dict[int | None, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(token_budget(request, self.settings.max_new_tokens, None), []).append(index)
        results: dict[int, GenerationResult] = {}
        for budget, indices in groups.items():
            inputs = self._model_inputs([media[i] for i in indices], indices)
            results.update(zip(indices, self._caption(inputs, budget)))
        return [results[i] for i in range(len(requests))]

    def _medium(self, request: GenerationRequest, index: int) -> MediaInput:
        """The request's one medium, after refusing what a captioner cannot answer."""
        where = f"{ADAPTER_NAME}: request {index}"
        modality = self.family.modality
        if not request.media:
            raise ConfigError(f"{where} gives no {modality}; this adapter captions exactly one {modality} per "
                              "request")
        if len(request.media) > 1:
            given = ", ".join(item.describe() for item in request.media)
            raise ConfigError(f"{where} gives {len(request.media)} media ({given}); this adapter captions exactly "
                              f"one {modality} per request")
        medium = request.media[0]
        if medium.modality != modality:
            raise ConfigError(f"{where} gives {medium.describe()}; this adapter reads {modality} only")
        if request.want:
            raise ConfigError(f"{where} asks for {', '.join(sorted(request.want))} output; this adapter writes text "
                              "only")
        if request.history:
            raise ConfigError(f"{where} continues a conversation of {len(request.history)} turn(s); this adapter "
                              "captions one medium, without history")
        return medium

    def _model_inputs(self, media: list[MediaInput], indices: list[int]) -> dict[str, torch.Tensor]:
        wheres = [f"{ADAPTER_NAME}: request {index}" for index in indices]
        if self.family.modality == "audio":
            rate = self._sample_rate()
            waves = [read_audio_input(medium, where, rate) for medium, where in zip(media, wheres)]
            features = self.processor(waves, sampling_rate=rate, return_tensors="pt").input_features
            return {"input_features": features.to(self.device, self.dtype)}
        if self.family.modality == "image":
            images = [read_image_input(medium, where) for medium, where in zip(media, wheres)]
            pixels = self.processor(images, return_tensors="pt").pixel_values
        else:
            frames = self.family.frames or 1
            clips = [read_video_input(medium, where, frames) for medium, where in zip(media, wheres)]
            flat = self.processor([frame for clip in clips for frame in clip], return_tensors="pt").pixel_values
            pixels = flat.reshape(len(clips), frames, *flat.shape[-3:])  # processors may add a leading video axis
        inputs = {"pixel_values": pixels.to(self.device, self.dtype)}
        inputs.update(self._prefix_inputs(len(media)))
        return inputs

    def _prefix_inputs(self, rows: int) -> dict[str, torch.Tensor]:
        """The decoder's start for BLIP and GIT with a prefix: the start token, then the prefix's tokens (without
        the tokenizer's own special tokens). BLIP's generate drops a row's last token (the SEP its tokenizer
        appends), so a SEP is appended for it to drop."""
        if self.prefix is None:
            return {}
        prefix_ids = self.tokenizer(self.prefix, add_special_tokens=False)["input_ids"]
        if self.family.model_type == "blip":
            text_config = self.model.config.text_config
            ids = [int(text_config.bos_token_id), *prefix_ids, int(text_config.sep_token_id)]
        else:
            ids = [int(self.model.config.bos_token_id), *prefix_ids]
        return {"input_ids": torch.tensor([ids] * rows, device=self.device)}

    def _sample_rate(self) -> int:
        return int(self.processor.sampling_rate)

    @torch.no_grad()
    def _caption(self, inputs: dict[str, torch.Tensor], max_new_tokens: int | None) -> list[GenerationResult]:
        output = self.model.generate(**inputs, **length_arguments(max_new_tokens, self.folder_max_length))
        start = self._decoder_start_length(inputs)
        special = set(self.tokenizer.all_special_ids)
        results = []
        for row in output.tolist():
            answer = [token for token in until_end(row[start:], self._end_ids()) if token not in special]
            text = self.tokenizer.decode(row, skip_special_tokens=True).strip()
            results.append(GenerationResult(text=text, answer_token_ids=answer))
        return results

    def _decoder_start_length(self, inputs: dict[str, Any]) -> int:
        """How many leading ids of a generated row were given, not generated (the start token and any prefix;
        BLIP drops the prefix's closing SEP before decoding)."""
        if "input_ids" not in inputs:
            return 1
        given = int(inputs["input_ids"].shape[1])
        return given - 1 if self.family.model_type == "blip" else given

    def _end_ids(self) -> int | list[int] | None:
        if self.family.model_type == "blip":
            return int(self.model.config.text_config.sep_token_id)  # what BLIP's generate stops on
        ends: int | list[int] | None = self.model.generation_config.eos_token_id
        return ends
