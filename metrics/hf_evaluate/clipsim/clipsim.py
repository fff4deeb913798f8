"""CLIPSIM as a Hugging Face ``evaluate`` module, computed by the library's ``CLIPSIM``."""

from __future__ import annotations

from typing import Any, ClassVar

import datasets
import evaluate

from metrics.clip_metrics import CLIPSIM
from metrics.hf_evaluate.arguments import integer_at_least
from metrics.hf_evaluate.base import SuiteMetric
from metrics.hf_evaluate.media_inputs import VIDEO_FEATURE, picked_frames, stored_texts, stored_videos
from metrics.hf_evaluate.results import (
    CLIP_ARGUMENTS_DESCRIPTION,
    CLIP_CITATION,
    RESULT_KEYS_DESCRIPTION,
    module_result,
)

_DESCRIPTION = """CLIPSIM: per video, the mean over its frames of the per-frame clamped CLIP score
max(100 * cos(frame, prompt), 0); then the mean over videos. Higher is better. At most max_frames evenly spaced
frames of each video are scored (first and last included), as `nextgpt-bench score video` does. Computed by
nextgpt-bench's metrics.CLIPSIM; comparable only between results of the same backbone and frame sampling."""

_CITATION = """@article{wu2021godiva,
  title={{GODIVA}: Generating Open-{DomaIn} Videos from {nAtural} Descriptions},
  author={Wu, Chenfei and Huang, Lun and Zhang, Qianxi and Li, Binyang and Ji, Lei and Yang, Fan and Sapiro,
          Guillermo and Duan, Nan},
  journal={arXiv preprint arXiv:2104.14806},
  year={2021}
}
""" + CLIP_CITATION

_KWARGS_DESCRIPTION = f"""
Args:
    predictions: the generated videos, each a (F, H, W, 3) array, a (F, 3, H, W) tensor, a list of frames
        (arrays, tensors, PIL images or file paths), a video file or a folder of frame images.
    references (list of str): one prompt per video.
    max_frames (int): evenly spaced frames scored per video (default 16, as the CLI); shorter videos are kept
        whole.
{CLIP_ARGUMENTS_DESCRIPTION}
Returns:
    clipsim (float): the score (0-100 scale).
{RESULT_KEYS_DESCRIPTION}
Examples:
    >>> from metrics import hf_evaluate
    >>> clipsim = hf_evaluate.load("clipsim")
    >>> clipsim.compute(predictions=videos, references=prompts, clip_model="toy-clip")["clipsim"]
"""


class Clipsim(SuiteMetric):
    """CLIPSIM of videos against their prompts."""

    ARGUMENTS: ClassVar[dict[str, object]] = {
        "clip_model": "clip-vit-b-32", "weights": None, "batch_size": 32, "bootstrap": 0, "seed": 0,
        "max_frames": 16}

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": VIDEO_FEATURE, "references": datasets.Value("string")}),
            reference_urls=["https://arxiv.org/abs/2104.14806", "https://arxiv.org/abs/2103.00020"],
            codebase_urls=["https://github.com/mlfoundations/open_clip"],
            license="MIT",
        )

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        if column == "predictions":
            return stored_videos(values, f"{self.name} {column}")
        return stored_texts(values, f"{self.name} {column}", "prompts (strings)")

    def _compute(self, *, predictions: list[Any], references: list[str], clip_model: Any, weights: Any,
                 batch_size: Any, bootstrap: Any, seed: Any, max_frames: Any) -> dict[str, Any]:
        batch_size = integer_at_least(self.name, "batch_size", batch_size, 1)
        bootstrap = integer_at_least(self.name, "bootstrap", bootstrap, 0)
        seed = integer_at_least(self.name, "seed", seed, 0)
        max_frames = integer_at_least(self.name, "max_frames", max_frames, 1)
        metric = CLIPSIM(model=self.networks.clip(clip_model, weights), keep_per_sample=bool(bootstrap))
        videos = [picked_frames(video, max_frames) for video in predictions]
        for start in range(0, len(videos), batch_size):
            metric.update(videos[start:start + batch_size], list(references[start:start + batch_size]))
        return module_result(self.name, [metric.compute(bootstrap=bootstrap, seed=seed)])
