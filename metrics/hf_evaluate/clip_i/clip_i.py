"""CLIP-I as a Hugging Face ``evaluate`` module, computed by the library's ``CLIPImageSimilarity``."""

from __future__ import annotations

from typing import Any, ClassVar

import datasets
import evaluate

from metrics.clip_metrics import CLIPImageSimilarity
from metrics.hf_evaluate.arguments import integer_at_least
from metrics.hf_evaluate.base import SuiteMetric
from metrics.hf_evaluate.media_inputs import IMAGE_FEATURE, decoded_images, png_records, stored_images
from metrics.hf_evaluate.results import (
    CLIP_ARGUMENTS_DESCRIPTION,
    CLIP_CITATION,
    RESULT_KEYS_DESCRIPTION,
    module_result,
)

_DESCRIPTION = """CLIP-I: the mean cosine similarity between the CLIP image embeddings of paired images (an edited
image and its reference edit, a generated image and its real counterpart), not scaled by 100 and not clamped.
Higher is better. Images get exactly open_clip's eval preprocessing. Computed by nextgpt-bench's
metrics.CLIPImageSimilarity; comparable only between results of the same backbone."""

_CITATION = """@inproceedings{ruiz2023dreambooth,
  title={{DreamBooth}: Fine Tuning Text-to-Image Diffusion Models for Subject-Driven Generation},
  author={Ruiz, Nataniel and Li, Yuanzhen and Jampani, Varun and Pritch, Yael and Rubinstein, Michael and
          Aberman, Kfir},
  booktitle={Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition},
  year={2023}
}
""" + CLIP_CITATION

_KWARGS_DESCRIPTION = f"""
Args:
    predictions: images: numpy arrays (H, W, 3), torch tensors (3, H, W), PIL images or file paths (any mix and
        sizes, also within a pair; uint8 as is, floats in [0, 1] quantised round-half-even(x * 255)).
    references: the paired images, in the same forms, one per prediction.
{CLIP_ARGUMENTS_DESCRIPTION}
Returns:
    clip_i (float): the mean cosine (-1 to 1).
{RESULT_KEYS_DESCRIPTION}
Examples:
    >>> from metrics import hf_evaluate
    >>> clip_i = hf_evaluate.load("clip_i")
    >>> clip_i.compute(predictions=edited, references=targets, clip_model="toy-clip")["clip_i"]
"""


class ClipI(SuiteMetric):
    """CLIP-I of images against their paired images."""

    ARGUMENTS: ClassVar[dict[str, object]] = {
        "clip_model": "clip-vit-b-32", "weights": None, "batch_size": 32, "bootstrap": 0, "seed": 0}

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": IMAGE_FEATURE, "references": IMAGE_FEATURE}),
            reference_urls=["https://arxiv.org/abs/2208.12242", "https://arxiv.org/abs/2103.00020"],
            codebase_urls=["https://github.com/mlfoundations/open_clip"],
            license="MIT",
        )

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        return png_records(stored_images(values, f"{self.name} {column}"))

    def _compute(self, *, predictions: list[Any], references: list[Any], clip_model: Any, weights: Any,
                 batch_size: Any, bootstrap: Any, seed: Any) -> dict[str, Any]:
        batch_size = integer_at_least(self.name, "batch_size", batch_size, 1)
        bootstrap = integer_at_least(self.name, "bootstrap", bootstrap, 0)
        seed = integer_at_least(self.name, "seed", seed, 0)
        metric = CLIPImageSimilarity(model=self.networks.clip(clip_model, weights), keep_per_sample=bool(bootstrap))
        images, paired = decoded_images(predictions), decoded_images(references)
        for start in range(0, len(images), batch_size):
            metric.update(images[start:start + batch_size], paired[start:start + batch_size])
        return module_result(self.name, [metric.compute(bootstrap=bootstrap, seed=seed)])
