"""FID as a Hugging Face ``evaluate`` module, computed by the library's ``FrechetInceptionDistance``."""

from __future__ import annotations

from typing import Any, ClassVar

import datasets
import evaluate

from metrics.frechet_metrics import FrechetInceptionDistance
from metrics.hf_evaluate.arguments import integer_at_least, optional_text
from metrics.hf_evaluate.base import SuiteMetric
from metrics.hf_evaluate.media_inputs import IMAGE_FEATURE, decoded_images, image_batches, png_records, stored_images
from metrics.hf_evaluate.results import RESULT_KEYS_DESCRIPTION, module_result
from nextgpt.core.progress import SLOW_WORK_SECONDS, progress_task

_DESCRIPTION = """Frechet Inception Distance (FID): the Frechet distance between Gaussians fitted to the Inception-v3
pool3 features (2048-d, TensorFlow inception-2015-12-05 weights) of the generated and the reference images, in
float64 (= pytorch-fid's formula). Lower is better. Computed by nextgpt-bench's metrics.FrechetInceptionDistance,
so the number equals its Python API and `nextgpt-bench score images` on the same images. Comparable with published
FIDs only with the canonical network, the same resize (default tf-bilinear, as torch-fidelity/torchmetrics), at
least 2048 images per set (papers use 10k-50k) and the same reference set."""

_CITATION = """@inproceedings{heusel2017gans,
  title={{GANs} Trained by a Two Time-Scale Update Rule Converge to a Local {Nash} Equilibrium},
  author={Heusel, Martin and Ramsauer, Hubert and Unterthiner, Thomas and Nessler, Bernhard and Hochreiter, Sepp},
  booktitle={Advances in Neural Information Processing Systems},
  year={2017}
}"""

_KWARGS_DESCRIPTION = f"""
Args:
    predictions: the generated images: numpy arrays (H, W, 3), torch tensors (3, H, W), PIL images or file paths
        (any mix and sizes; uint8 as is, floats in [0, 1] quantised round-half-even(x * 255)).
    references / reference_images: the reference images, in the same forms; any number (50 generated against 30
        references is fine). Alone, pass references=...; in evaluate.combine pass reference_images=..., since
        references belongs to the modules whose references are aligned with predictions (CLIP score's prompts).
    feature_network (str): 'inception-2015-12-05' (default, canonical; its weights file must be local) or 'toy'
        (seeded random, offline, never comparable).
    weights (str or Path): the weights file, or a folder holding it (default: $NEXTGPT_BENCH_WEIGHTS, then the
        cache folder; `nextgpt-bench weights fetch` downloads it). Nothing is ever downloaded here.
    resize (str): 'tf-bilinear' (default for Inception), 'torch-bilinear' or 'pil-bicubic'.
    batch_size (int): images per network call (default 32, as the CLI).
Returns:
    fid (float): the distance.
{RESULT_KEYS_DESCRIPTION}
Examples:
    >>> from metrics import hf_evaluate
    >>> fid = hf_evaluate.load("fid")
    >>> result = fid.compute(predictions=generated, references=real, feature_network="toy")
    >>> result["fid"], result["comparable"]
"""


class Fid(SuiteMetric):
    """FID of generated against reference images (sets of any sizes)."""

    ARGUMENTS: ClassVar[dict[str, object]] = {
        "reference_images": None, "feature_network": "inception-2015-12-05", "weights": None, "resize": None,
        "batch_size": 32}
    REFERENCE_SET = "reference_images"

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": IMAGE_FEATURE}),
            reference_urls=["https://arxiv.org/abs/1706.08500"],
            codebase_urls=["https://github.com/mseitzer/pytorch-fid", "https://github.com/toshas/torch-fidelity"],
            license="Apache-2.0",
        )

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        return png_records(stored_images(values, f"{self.name} {column}"))

    def _compute(self, *, predictions: list[Any], reference_images: Any, feature_network: str, weights: Any,
                 resize: Any, batch_size: Any) -> dict[str, Any]:
        batch_size = integer_at_least(self.name, "batch_size", batch_size, 1)
        extractor = self.networks.extractor("image", feature_network, weights,
                                            optional_text(self.name, "resize", resize))
        references = stored_images(reference_images, f"{self.name} {self.REFERENCE_SET}")
        fid = FrechetInceptionDistance(extractor=extractor)
        for real, images in ((False, decoded_images(predictions)), (True, references)):
            side = "reference" if real else "generated"
            with progress_task(f"{extractor.name} features ({side})", len(images), unit="images",
                               show_after=SLOW_WORK_SECONDS) as progress:
                for batch in image_batches(images, batch_size):
                    fid.update(batch, real=real)
                    progress.advance(len(batch))
        return module_result(self.name, [fid.compute()])
