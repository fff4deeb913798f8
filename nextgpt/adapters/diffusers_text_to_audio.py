"""A diffusers ``AudioLDMPipeline`` folder as an :class:`~nextgpt.core.interface.AnyToAnyModel`: the paper's
text-to-audio baseline (AudioLDM) under the suite's protocol.

Shared behaviour is in :mod:`nextgpt.adapters.diffusers_base`; here are the clip length, the vocoder's stage and
the output: one mono float32 waveform per request at 16 kHz, the rate NExT-GPT's audio decoder writes and the
suite scores (FAD and mel distance read 16 kHz audio, never resampled silently). A pipeline whose vocoder writes
another rate is refused when it loads, not halfway through a suite.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Unpack

import numpy as np

from nextgpt.adapters.diffusers_base import DiffusersPipelineAdapter, SettingKeywords
from nextgpt.adapters.diffusers_options import audio_length
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import Capabilities, JSONValue, ProfiledStage
from nextgpt.core.requests import GenerationResult

ADAPTER_NAME = "diffusers-text-to-audio"
PIPELINE_CLASS = "AudioLDMPipeline"
#: NExT-GPT's AudioLDM decoder draws 5.12 s clips (the paper preset's ``audio_length_s``, AudioLDM's default).
DEFAULT_AUDIO_LENGTH_S = 5.12
#: The rate the suite stores and scores generated audio at.
SAMPLE_RATE = 16000


class DiffusersTextToAudio(DiffusersPipelineAdapter):
    """Text in, one waveform out per request, from a local AudioLDM pipeline folder.

    ``audio_length_in_s`` (default 5.12 s, as NExT-GPT's decoder) is fixed for the adapter and is part of the
    fingerprint and of ``describe()``.
    """

    adapter_name = ADAPTER_NAME
    pipeline_class = PIPELINE_CLASS
    output = "audio"
    capabilities = Capabilities(inputs=frozenset(), outputs=frozenset({"audio"}), conversations=False)

    def __init__(self, folder: str | Path, settings: AdapterSettings | None = None, *,
                 audio_length_in_s: float = DEFAULT_AUDIO_LENGTH_S, **keywords: Unpack[SettingKeywords]) -> None:
        super().__init__(folder, settings, {"audio_length_in_s": audio_length_in_s}, **keywords)
        self.audio_length_in_s = self.options["audio_length_in_s"]
        rate = int(self.pipeline.vocoder.config.sampling_rate)
        if rate != SAMPLE_RATE:
            raise ConfigError(f"{self.folder / 'vocoder' / 'config.json'}: sampling_rate is {rate}; the suite "
                              f"stores and scores audio at {SAMPLE_RATE} Hz, so the {ADAPTER_NAME} adapter reads "
                              f"{SAMPLE_RATE} Hz AudioLDM pipelines only")

    @classmethod
    def checked_options(cls, folder: Path, options: Mapping[str, Any], *, where: str) -> dict[str, Any]:
        seconds = options.get("audio_length_in_s")
        return {"audio_length_in_s": audio_length(folder, DEFAULT_AUDIO_LENGTH_S if seconds is None else seconds,
                                                  where=where)}

    def output_settings(self) -> dict[str, JSONValue]:
        return {"audio_length_in_s": self.audio_length_in_s, "sample_rate": SAMPLE_RATE}

    def pipeline_arguments(self) -> dict[str, Any]:
        return {"audio_length_in_s": self.audio_length_in_s, "output_type": "np"}

    def results(self, output: Any) -> list[GenerationResult]:
        return [self._result(audios=[np.asarray(wave, dtype=np.float32).reshape(-1)],
                             audio_sample_rate=SAMPLE_RATE) for wave in output.audios]

    def profiled_stages(self) -> list[ProfiledStage]:
        """The shared stages plus the HiFi-GAN vocoder (mel spectrogram -> waveform, one call per batch)."""
        return [*super().profiled_stages(),
                ProfiledStage("vocoder", self.pipeline.vocoder, unit="samples", per_item=True)]
