"""``attribute_accuracy``: does the output show its sample's scene attributes (colour, shape, pitch...)?

* text output (captioning): the share of the input's attributes whose value appears as a word of the answer.  A
  caption that ignores its input scores about chance (1 / number of values per attribute) however fluent it is,
  which BLEU and CIDEr on templated references do not show;
* image, video or audio output (text -> X, editing): the share of the produced modality's verified attributes
  (benchmarks/datasets/verifiers) that the synthetic world's verifier reads off the output as the sample's
  metadata says (the prompt's scene; an edit's target scene, so the asked-for change and everything that should
  stay).  No produced medium scores 0.

Samples without the attributes in their metadata (every public dataset) are not scored; with none, the metric
is unavailable.  Synthetic world only: there is no published counterpart."""

from __future__ import annotations

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.attribute_verification import verified_matches
from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import MetricSpec

#: The scene attributes a caption of the synthetic world should name, per input modality
#: (benchmarks/datasets/synthetic.py writes them into each sample's metadata).
CAPTION_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "image": ("colour", "shape", "size", "background"), "video": ("colour", "shape", "motion"),
    "audio": ("pitch", "pattern")}


def caption_words(answer: str) -> str:
    """The answer lower-cased, commas dropped, one space between words and at both ends (for whole-word search)."""
    return f" {' '.join(answer.lower().replace(',', ' ').split())} "


def names_value(words: str, value: object) -> bool:
    """Whether ``value`` (e.g. ``red``, ``top left``) appears as whole words of ``caption_words`` output."""
    return f" {str(value).lower()} " in words


def named_attribute_share(sample: Sample, answer: str) -> float | None:
    """Share of ``sample``'s attributes named as whole words of ``answer``; None without the attributes."""
    keys = CAPTION_ATTRIBUTES.get(sample.inputs[0].modality, ()) if sample.inputs else ()
    if not keys or not all(k in sample.metadata for k in keys):
        return None
    words = caption_words(answer)
    return float(np.mean([names_value(words, sample.metadata[k]) for k in keys]))


def attribute_accuracy(item: ScoredItem) -> float | None:
    if item.context.task.output == "text":
        return named_attribute_share(item.sample, item.generation.text)
    matches = verified_matches(item)
    return None if matches is None else float(np.mean(list(matches.values())))


ATTRIBUTE_ACCURACY = MetricSpec(
    "attribute_accuracy", True, frozenset({"text", "image", "video", "audio"}), "per-sample", "per-sample",
    "share of the scene attributes (synthetic world) named in the caption, or read off the produced image, video "
    "or sound by the world's verifiers",
    PerSampleMetric(attribute_accuracy, "mean share of the sample's scene attributes (synthetic world metadata) "
                                        "named in the answer, or read off the produced medium by the synthetic "
                                        "world's verifiers (no medium: 0); synthetic data only, no published "
                                        "counterpart"))
