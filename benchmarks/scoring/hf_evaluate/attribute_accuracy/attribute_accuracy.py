"""attribute_accuracy as a Hugging Face ``evaluate`` module, computed as the benchmark harness computes it.

Each caption is scored by the harness's own :func:`benchmarks.scoring.attribute_accuracy.named_attribute_share`
on a :class:`~benchmarks.datasets.samples.Sample` built from the given attributes (the medium itself is never
read: only its modality matters), and the task value is :func:`benchmarks.scoring.mean_metric.mean_result`, the
harness's mean with its bootstrap -- the same two calls a run makes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, cast

import datasets
import evaluate

from benchmarks.datasets.samples import MediaFile, Sample
from benchmarks.scoring.attribute_accuracy import ATTRIBUTE_ACCURACY, CAPTION_ATTRIBUTES, named_attribute_share
from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.mean_metric import mean_result
from metrics.errors import ConfigError
from metrics.hf_evaluate.arguments import integer_at_least
from metrics.hf_evaluate.base import SuiteMetric
from metrics.hf_evaluate.media_inputs import check_batch, stored_texts
from metrics.hf_evaluate.results import RESULT_KEYS_DESCRIPTION, module_result
from nextgpt.core.modalities import Modality

if not isinstance(ATTRIBUTE_ACCURACY.compute, PerSampleMetric):  # the harness changed how it computes the metric
    raise TypeError("benchmarks.scoring.attribute_accuracy.ATTRIBUTE_ACCURACY is no longer a PerSampleMetric; "
                    "update this module to compute it as the harness now does")
_DEFINITION = ATTRIBUTE_ACCURACY.compute.definition
_NO_PUBLISHED_NUMBER = ("attribute_accuracy is defined on nextgpt-bench's synthetic world only; there is no "
                        "published number to compare it with")

_DESCRIPTION = f"""attribute_accuracy: per caption, the share of its input's scene attributes (synthetic world:
colour, shape, size and background of an image; colour, shape and motion of a video; pitch and pattern of a sound)
whose value appears as a whole word of the caption; the value is the mean over the captions whose attributes are
all given. A caption that ignores its input scores about chance however fluent it is, which BLEU and CIDEr on
templated references do not show. Higher is better. Computed as nextgpt-bench's harness computes it ({_DEFINITION})."""

_CITATION = """@misc{nextgptbench,
  title={nextgpt-bench: an evaluation suite for any-to-any multimodal language models},
  note={attribute\\_accuracy, benchmarks/scoring/attribute_accuracy.py}
}"""

_KWARGS_DESCRIPTION = f"""
Args:
    predictions (list of str): one caption per input medium.
    attributes (list of dict): the scene attributes of each input, e.g. {{"colour": "red", "shape": "circle",
        "size": "small", "background": "white"}} (a synthetic-world sample's metadata; other keys are ignored;
        values are strings, numbers or booleans). A caption whose input lacks one of its modality's attributes
        is not scored. A keyword of its own, not references=, so that evaluate.combine with coco_captions can
        pass the reference captions as references= beside it.
    input_modality (str): the modality of the captioned inputs: 'image' (default), 'video' or 'audio'; it selects
        the attributes ({", ".join(f"{m}: {', '.join(keys)}" for m, keys in CAPTION_ATTRIBUTES.items())}).
    bootstrap (int): seeded percentile bootstrap resamples for an interval (default 0: none).
    seed (int): the bootstrap seed (default 0).
Returns:
    attribute_accuracy (float, or None when no caption could be scored): the mean share (0-1).
{RESULT_KEYS_DESCRIPTION}
    (attribute_accuracy is never comparable: no published number exists.)
Examples:
    >>> from benchmarks.scoring.hf_evaluate import nextgpt_bench_evaluate
    >>> accuracy = nextgpt_bench_evaluate("attribute_accuracy")
    >>> accuracy.compute(predictions=["a small red circle on white"],
    ...                  attributes=[{{"colour": "red", "shape": "circle", "size": "small", "background": "white"}}])
"""


def _stored_attributes(attributes: Any, what: str) -> str:
    """One input's attributes as the JSON text evaluate stores (any keys; JSON scalars as values)."""
    if not isinstance(attributes, dict) or not all(isinstance(key, str) for key in attributes):
        raise ConfigError(f"{what}: expected a dict of scene attributes with string keys (e.g. {{'colour': 'red', "
                          f"'shape': 'circle'}}), got {type(attributes).__name__} {attributes!r}")
    for key, value in attributes.items():
        if not isinstance(value, str | int | float | bool):
            raise ConfigError(f"{what}[{key!r}]: an attribute value must be a string, number or boolean, got "
                              f"{type(value).__name__} {value!r}")
    return json.dumps(attributes, sort_keys=True)


class AttributeAccuracy(SuiteMetric):
    """attribute_accuracy of captions against their inputs' scene attributes."""

    ARGUMENTS: ClassVar[dict[str, object]] = {"input_modality": "image", "bootstrap": 0, "seed": 0}

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "attributes": datasets.Value("string")}),
            reference_urls=[],
            codebase_urls=[],
            license="Apache-2.0",
        )

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        what = f"{self.name} {column}"
        if column == "predictions":
            return stored_texts(values, what, "captions (strings)")
        check_batch(values, what, "dicts of scene attributes")
        return [_stored_attributes(item, f"{what}[{index}]") for index, item in enumerate(values)]

    def _compute(self, *, predictions: list[str], attributes: list[str], input_modality: Any, bootstrap: Any,
                 seed: Any) -> dict[str, Any]:
        bootstrap = integer_at_least(self.name, "bootstrap", bootstrap, 0)
        seed = integer_at_least(self.name, "seed", seed, 0)
        if input_modality not in CAPTION_ATTRIBUTES:
            raise ConfigError(f"{self.name}: input_modality must be one of {', '.join(CAPTION_ATTRIBUTES)}, got "
                              f"{input_modality!r}")
        scores = {}
        for index, (caption, stored) in enumerate(zip(predictions, attributes, strict=True)):
            sample = Sample(id=str(index), inputs=(MediaFile(cast(Modality, input_modality), Path(f"input-{index}")),),
                            metadata=json.loads(stored))
            share = named_attribute_share(sample, caption)
            if share is not None:
                scores[str(index)] = share
        result = mean_result(self.name, scores, _DEFINITION, bootstrap=bootstrap, seed=seed)
        return module_result(self.name, [result], extra_notes=[_NO_PUBLISHED_NUMBER])
