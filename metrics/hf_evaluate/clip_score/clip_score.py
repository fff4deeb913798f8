"""CLIP score as a Hugging Face ``evaluate`` module, computed by the library's ``CLIPScore``."""

from __future__ import annotations

from typing import Any, ClassVar

import datasets
import evaluate

from metrics.clip_metrics import CLIPScore
from metrics.hf_evaluate.arguments import integer_at_least
from metrics.hf_evaluate.base import SuiteMetric
from metrics.hf_evaluate.media_inputs import IMAGE_FEATURE, decoded_images, png_records, stored_images, stored_texts
from metrics.hf_evaluate.results import (
    CLIP_ARGUMENTS_DESCRIPTION,
    CLIP_CITATION,
    RESULT_KEYS_DESCRIPTION,
    module_result,
)

_DESCRIPTION = """CLIP score: the mean over images of max(100 * cos(image embedding, prompt embedding), 0), the clamp
applied per sample (as in CLIPScore and most text-to-image papers; torchmetrics clamps the mean instead). Higher
is better. Images get exactly open_clip's eval preprocessing; prompts longer than CLIP's 77 tokens are truncated
and counted. Computed by nextgpt-bench's metrics.CLIPScore; comparable only between results of the same backbone."""

_CITATION = """@inproceedings{hessel2021clipscore,
  title={{CLIPScore}: A Reference-free Evaluation Metric for Image Captioning},
  author={Hessel, Jack and Holtzman, Ari and Forbes, Maxwell and Le Bras, Ronan and Choi, Yejin},
  booktitle={Proceedings of the 2021 Conference on Empirical Methods in Natural Language Processing},
  year={2021}
}
""" + CLIP_CITATION

_KWARGS_DESCRIPTION = f"""
Args:
    predictions: the generated images: numpy arrays (H, W, 3), torch tensors (3, H, W), PIL images or file paths
        (any mix and sizes; uint8 as is, floats in [0, 1] quantised round-half-even(x * 255)).
    references (list of str): one prompt per image.
{CLIP_ARGUMENTS_DESCRIPTION}
Returns:
    clip_score (float): the score (0-100 scale).
{RESULT_KEYS_DESCRIPTION}
Examples:
    >>> from metrics import hf_evaluate
    >>> clip_score = hf_evaluate.load("clip_score")
    >>> clip_score.compute(predictions=images, references=prompts, clip_model="toy-clip")["clip_score"]
"""


class ClipScore(SuiteMetric):
    """CLIP score of images against their prompts."""

    ARGUMENTS: ClassVar[dict[str, object]] = {
        "clip_model": "clip-vit-b-32", "weights": None, "batch_size": 32, "bootstrap": 0, "seed": 0}

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": IMAGE_FEATURE, "references": datasets.Value("string")}),
            reference_urls=["https://arxiv.org/abs/2104.08718", "https://arxiv.org/abs/2103.00020"],
            codebase_urls=["https://github.com/jmhessel/clipscore", "https://github.com/mlfoundations/open_clip"],
            license="MIT",
        )

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        if column == "predictions":
            return png_records(stored_images(values, f"{self.name} {column}"))
        return stored_texts(values, f"{self.name} {column}", "prompts (strings)")

    def _compute(self, *, predictions: list[Any], references: list[str], clip_model: Any, weights: Any,
                 batch_size: Any, bootstrap: Any, seed: Any) -> dict[str, Any]:
        batch_size = integer_at_least(self.name, "batch_size", batch_size, 1)
        bootstrap = integer_at_least(self.name, "bootstrap", bootstrap, 0)
        seed = integer_at_least(self.name, "seed", seed, 0)
        metric = CLIPScore(model=self.networks.clip(clip_model, weights), keep_per_sample=bool(bootstrap))
        images = decoded_images(predictions)
        for start in range(0, len(images), batch_size):
            metric.update(images[start:start + batch_size], list(references[start:start + batch_size]))
        return module_result(self.name, [metric.compute(bootstrap=bootstrap, seed=seed)])
