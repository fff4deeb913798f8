"""KID as a Hugging Face ``evaluate`` module, computed by the library's ``KernelInceptionDistance``."""

from __future__ import annotations

from typing import Any, ClassVar

import datasets
import evaluate

from metrics.hf_evaluate.arguments import integer_at_least, optional_text
from metrics.hf_evaluate.base import SuiteMetric
from metrics.hf_evaluate.media_inputs import IMAGE_FEATURE, decoded_images, image_batches, png_records, stored_images
from metrics.hf_evaluate.results import RESULT_KEYS_DESCRIPTION, module_result
from metrics.kid import KernelInceptionDistance
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

_DESCRIPTION = """Kernel Inception Distance (KID): the unbiased MMD^2 between the Inception-v3 pool3 features of the
generated and the reference images with the cubic polynomial kernel, averaged over random subsets (torch-fidelity's
estimator: 100 subsets of 1000, seed 2020). Lower is better. Computed by nextgpt-bench's
metrics.KernelInceptionDistance; a subset size larger than the smaller set is clamped to it, with a warning, and
such a KID is not comparable with KID at the requested size."""

_CITATION = """@inproceedings{binkowski2018demystifying,
  title={Demystifying {MMD} {GANs}},
  author={Bi{\\'n}kowski, Miko{\\l}aj and Sutherland, Danica J. and Arbel, Michael and Gretton, Arthur},
  booktitle={International Conference on Learning Representations},
  year={2018}
}"""

_KWARGS_DESCRIPTION = f"""
Args:
    predictions, references / reference_images, feature_network, weights, resize, batch_size: as the fid
        module (sets of any sizes; reference_images is the keyword to use in evaluate.combine).
    kid_subsets (int): number of random subsets (default 100).
    kid_subset_size (int): images per subset (default 1000, clamped to the smaller set with a warning).
Returns:
    kid_mean (float): the KID.
    kid_std (float): the spread of single subsets (ddof 0), not an interval of the mean.
{RESULT_KEYS_DESCRIPTION}
Examples:
    >>> from metrics import hf_evaluate
    >>> kid = hf_evaluate.load("kid")
    >>> kid.compute(predictions=generated, references=real, feature_network="toy", kid_subset_size=20)["kid_mean"]
"""


class Kid(SuiteMetric):
    """KID of generated against reference images (sets of any sizes)."""

    ARGUMENTS: ClassVar[dict[str, object]] = {
        "reference_images": None, "feature_network": "inception-2015-12-05", "weights": None, "resize": None,
        "batch_size": 32, "kid_subsets": 100, "kid_subset_size": 1000}
    REFERENCE_SET = "reference_images"

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": IMAGE_FEATURE}),
            reference_urls=["https://arxiv.org/abs/1801.01401"],
            codebase_urls=["https://github.com/toshas/torch-fidelity"],
            license="Apache-2.0",
        )

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        return png_records(stored_images(values, f"{self.name} {column}"))

    def _compute(self, *, predictions: list[Any], reference_images: Any, feature_network: str, weights: Any,
                 resize: Any, batch_size: Any, kid_subsets: Any, kid_subset_size: Any) -> dict[str, Any]:
        batch_size = integer_at_least(self.name, "batch_size", batch_size, 1)
        subsets = integer_at_least(self.name, "kid_subsets", kid_subsets, 1)
        subset_size = integer_at_least(self.name, "kid_subset_size", kid_subset_size, 2)
        extractor = self.networks.extractor("image", feature_network, weights,
                                            optional_text(self.name, "resize", resize))
        references = stored_images(reference_images, f"{self.name} {self.REFERENCE_SET}")
        kid = KernelInceptionDistance(extractor=extractor, subsets=subsets, subset_size=subset_size)
        for real, images in ((False, decoded_images(predictions)), (True, references)):
            side = "reference" if real else "generated"
            with progress_task(f"{extractor.name} features ({side})", len(images), unit="images",
                               show_after=SLOW_WORK_SECONDS) as progress:
                for batch in image_batches(images, batch_size):
                    kid.update(batch, real=real)
                    progress.advance(len(batch))
        return module_result(self.name, kid.compute())
