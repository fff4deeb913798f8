"""FAD as a Hugging Face ``evaluate`` module, computed by the library's ``FrechetAudioDistance``."""

from __future__ import annotations

from typing import Any, ClassVar

import datasets
import evaluate
import torch

from metrics.errors import ConfigError
from metrics.frechet_metrics import FrechetAudioDistance
from metrics.hf_evaluate.arguments import integer_at_least
from metrics.hf_evaluate.base import SuiteMetric
from metrics.hf_evaluate.media_inputs import AUDIO_FEATURE, audio_examples, stored_audio
from metrics.hf_evaluate.results import RESULT_KEYS_DESCRIPTION, module_result
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

_DESCRIPTION = """Frechet Audio Distance (FAD): the Frechet distance between Gaussians fitted to the VGGish embeddings
(128-d, taken before the final ReLU, no PCA) of every 0.96 s example of 16 kHz mono audio, generated against
reference. Lower is better. Computed by nextgpt-bench's metrics.FrechetAudioDistance, as `nextgpt-bench score
audio` computes it; comparable only with the canonical VGGish weights and the same resampling and downmix."""

_CITATION = """@inproceedings{kilgour2019frechet,
  title={Fr{\\'e}chet Audio Distance: A Reference-Free Metric for Evaluating Music Enhancement Algorithms},
  author={Kilgour, Kevin and Zuluaga, Mauricio and Roblek, Dominik and Sharifi, Matthew},
  booktitle={Interspeech},
  year={2019}
}"""

_KWARGS_DESCRIPTION = f"""
Args:
    predictions: the generated clips: 1-D float waveforms (numpy arrays or tensors, 16 kHz mono),
        {{"array": waveform, "sampling_rate": rate}} dicts (the datasets.Audio form) or audio file paths (WAV, FLAC,
        OGG; stereo is averaged to mono, as the CLI reads them). A waveform becomes float32 before framing, as a
        file does. Clips shorter than 0.96 s are errors.
    references / reference_audio: the reference clips, in the same forms; any number. Alone, pass
        references=...; in evaluate.combine pass reference_audio=....
    feature_network (str): 'vggish' (default, canonical; its weights file must be local) or 'toy-audio' (seeded
        random, offline, never comparable).
    weights (str or Path): the weights file, or a folder holding it (default: $NEXTGPT_BENCH_WEIGHTS, then the
        cache folder). Nothing is ever downloaded here.
    resample (bool): resample audio that is not at 16 kHz with the project's resampler, recorded in the
        provenance (default False: such audio is an error).
    batch_size (int): clips per network call (default 32).
Returns:
    fad (float): the distance (every 0.96 s example of every clip is one sample).
{RESULT_KEYS_DESCRIPTION}
Examples:
    >>> from metrics import hf_evaluate
    >>> fad = hf_evaluate.load("fad")
    >>> fad.compute(predictions=generated_waveforms, references=real_files, feature_network="toy-audio")["fad"]
"""


class Fad(SuiteMetric):
    """FAD of generated against reference audio (sets of any sizes)."""

    ARGUMENTS: ClassVar[dict[str, object]] = {
        "reference_audio": None, "feature_network": "vggish", "weights": None, "resample": False, "batch_size": 32}
    REFERENCE_SET = "reference_audio"

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": AUDIO_FEATURE}),
            reference_urls=["https://arxiv.org/abs/1812.08466"],
            codebase_urls=["https://github.com/google-research/google-research/tree/master/frechet_audio_distance",
                           "https://github.com/harritaylor/torchvggish"],
            license="Apache-2.0",
        )

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        return stored_audio(values, f"{self.name} {column}")

    def _compute(self, *, predictions: list[Any], reference_audio: Any, feature_network: str, weights: Any,
                 resample: Any, batch_size: Any) -> dict[str, Any]:
        batch_size = integer_at_least(self.name, "batch_size", batch_size, 1)
        if not isinstance(resample, bool):
            raise ConfigError(f"{self.name}: resample must be True or False, got {resample!r}")
        fad = FrechetAudioDistance(extractor=self.networks.extractor("audio", feature_network, weights))
        notes: list[str] = []
        sets = ((False, predictions, "predictions"),
                (True, stored_audio(reference_audio, f"{self.name} {self.REFERENCE_SET}"), self.REFERENCE_SET))
        for real, clips, column in sets:
            side = "reference" if real else "generated"
            with progress_task(f"{fad.extractor.name} features ({side})", len(clips), unit="clips",
                               show_after=SLOW_WORK_SECONDS) as progress:
                for start in range(0, len(clips), batch_size):
                    examples = [audio_examples(clip, resample, notes, f"{self.name} {column}[{start + offset}]")
                                for offset, clip in enumerate(clips[start:start + batch_size])]
                    fad.update_features(fad.extractor.extract(torch.cat(examples)), real=real)
                    progress.advance(len(examples))
        fad.add_notes(notes)
        return module_result(self.name, [fad.compute()])
