"""``attribute_accuracy``: does a caption name its input's scene attributes (colour, shape, pitch...)?

Per sample, the share of its attributes whose value appears as a word of the answer.  A caption that ignores its
input scores about chance (1 / number of values per attribute) however fluent it is, which BLEU and CIDEr on
templated references do not show.  Samples without the attributes in their metadata (every public dataset) are
not scored; with none, the metric is unavailable."""

from __future__ import annotations

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import MetricSpec

#: The scene attributes a caption of the synthetic world should name, per input modality
#: (benchmarks/datasets/synthetic.py writes them into each sample's metadata).
CAPTION_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "image": ("colour", "shape", "size", "background"), "video": ("colour", "shape", "motion"),
    "audio": ("pitch", "pattern")}


def named_attribute_share(sample: Sample, answer: str) -> float | None:
    """Share of ``sample``'s attributes named as whole words of ``answer``; None without the attributes."""
    keys = CAPTION_ATTRIBUTES.get(sample.inputs[0].modality, ()) if sample.inputs else ()
    if not keys or not all(k in sample.metadata for k in keys):
        return None
    words = f" {' '.join(answer.lower().replace(',', ' ').split())} "
    return float(np.mean([f" {str(sample.metadata[k]).lower()} " in words for k in keys]))


def attribute_accuracy(item: ScoredItem) -> float | None:
    return named_attribute_share(item.sample, item.generation.text)


ATTRIBUTE_ACCURACY = MetricSpec(
    "attribute_accuracy", True, frozenset({"text"}), "per-sample", "per-sample",
    "share of the input's scene attributes (synthetic world) named in the caption",
    PerSampleMetric(attribute_accuracy, "mean share of the input's scene attributes (synthetic world metadata) "
                                        "named in the answer; synthetic data only, no published counterpart"))
