"""What goes into a model's ``generate`` and what comes out: the request and result types of the model interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

from nextgpt.core import validation
from nextgpt.core.errors import ConfigError, MediaError
from nextgpt.core.modalities import MODALITIES, Modality, check_modality

#: A media input: a file path, a PIL image (images only) or an already preprocessed tensor
#: (shapes in ``nextgpt.model.encoder.media.EXPECTED_SHAPES``).
MediaSource = str | Path | Image.Image | torch.Tensor


@dataclass(frozen=True)
class SignalRun:
    """How the model signalled one output modality in its answer (NExT-GPT: its run of signal tokens; see
    ``nextgpt.model.signal_tokens``): ``complete``, ``repaired``, or ``forced`` (the model emitted none, so the
    output was forced by the request's ``want``).

    ``unsignalled`` is the harness's record of an output produced by a model that has no signal tokens at all (a
    diffusers pipeline, a cascade): such a model leaves ``signal_runs`` empty, and the runner records each medium
    it returned as ``unsignalled`` (start 0, length 0, nothing dropped). The signal metrics then read "not
    applicable" instead of a 0 that would compare as worse."""

    modality: Modality
    status: Literal["complete", "repaired", "forced", "unsignalled"]
    #: Position of the run's first token in the normalised answer ids.
    start: int
    length: int
    #: Signal tokens of this modality removed from the raw answer (stray, shuffled or repeated ones).
    dropped: int


@dataclass(frozen=True)
class MediaInput:
    modality: Modality
    source: MediaSource

    def __post_init__(self) -> None:
        check_modality(self.modality, where="MediaInput.modality")
        if isinstance(self.source, Image.Image) and self.modality != "image":
            raise MediaError(f"a PIL image was given as {self.modality} input; PIL images are image inputs")

    def describe(self) -> str:
        if isinstance(self.source, (str, Path)):
            return f"{self.modality} file {self.source}"
        return f"{self.modality} input ({type(self.source).__name__})"


@dataclass(frozen=True)
class GenerationRequest:
    """One user turn: text plus any mix of media, and the output modalities to force (``want``)."""

    text: str
    media: tuple[MediaInput, ...] = ()
    want: frozenset[Modality] = frozenset()
    #: Output modalities the model may produce; the signal tokens of all others are suppressed while decoding.
    #: None lets the model choose freely.
    allowed_outputs: frozenset[Modality] | None = None
    seed: int = 0
    #: Earlier turns of the conversation as (user message, assistant answer) text pairs.
    history: tuple[tuple[str, str], ...] = ()
    max_new_tokens: int | None = None
    num_inference_steps: int | None = None
    guidance_scale: float | None = None

    def __post_init__(self) -> None:
        self._check_settings()
        for modality in self.want:
            check_modality(modality, where="GenerationRequest.want")
        for modality in self.allowed_outputs or ():
            check_modality(modality, where="GenerationRequest.allowed_outputs")
        if self.allowed_outputs is not None and not self.want <= self.allowed_outputs:
            raise ConfigError(f"GenerationRequest: want {sorted(self.want)} is not within allowed_outputs "
                              f"{sorted(self.allowed_outputs)}")

    def _check_settings(self) -> None:
        """Refuse settings that would generate something else than asked (0 steps read as the default, a
        negative token limit read as an empty answer) with the field's name and value."""
        if not isinstance(self.text, str):
            raise ConfigError(f"GenerationRequest.text: expected a string, got {type(self.text).__name__}")
        validation.seed(self.seed, name="GenerationRequest.seed")
        validation.optional_positive_int(self.max_new_tokens, name="GenerationRequest.max_new_tokens",
                                         default_means="the model's text_generation.max_new_tokens")
        validation.optional_positive_int(self.num_inference_steps, name="GenerationRequest.num_inference_steps",
                                         default_means="each decoder's num_inference_steps")
        if self.guidance_scale is not None:
            validation.non_negative_float(self.guidance_scale, name="GenerationRequest.guidance_scale")
        if not all(isinstance(turn, tuple) and len(turn) == 2 and all(isinstance(t, str) for t in turn)
                   for turn in self.history):
            raise ConfigError("GenerationRequest.history: expected (user message, assistant answer) string pairs, "
                              f"got {self.history!r}")

    @classmethod
    def build(cls, text: str, *, images: Sequence[MediaSource] = (), videos: Sequence[MediaSource] = (),
              audios: Sequence[MediaSource] = (), want: Sequence[str] = (),
              allowed_outputs: Sequence[str] | None = None, **settings: Any) -> GenerationRequest:
        media = ([MediaInput("image", s) for s in images] + [MediaInput("video", s) for s in videos]
                 + [MediaInput("audio", s) for s in audios])
        wanted = frozenset(check_modality(m, where="want") for m in want)
        allowed = None if allowed_outputs is None else frozenset(
            check_modality(m, where="allowed_outputs") for m in allowed_outputs)
        return cls(text=text, media=tuple(media), want=wanted, allowed_outputs=allowed, **settings)


@dataclass
class GenerationResult:
    text: str
    images: list[Image.Image] = field(default_factory=list)
    #: (frames, H, W, 3) uint8 arrays
    videos: list[np.ndarray] = field(default_factory=list)
    #: mono float32 waveforms at ``audio_sample_rate``
    audios: list[np.ndarray] = field(default_factory=list)
    audio_sample_rate: int = 16000
    #: What happened to each modality's signal-token run (see ``nextgpt.model.signal_tokens``).
    signal_runs: list[SignalRun] = field(default_factory=list)
    raw_token_ids: list[int] = field(default_factory=list)
    answer_token_ids: list[int] = field(default_factory=list)
    #: The projected decoder conditions, per produced modality.
    conditions: dict[Modality, torch.Tensor] = field(default_factory=dict)

    @property
    def produced(self) -> list[Modality]:
        """The output modalities: those of the signal runs, in their order, then any modality the result holds
        media of without a run (a model without signal tokens reports none)."""
        signalled = [run.modality for run in self.signal_runs]
        held = {"image": self.images, "video": self.videos, "audio": self.audios}
        return signalled + [m for m in MODALITIES if held[m] and m not in signalled]
