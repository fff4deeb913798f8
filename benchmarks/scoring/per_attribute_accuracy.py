"""One accuracy per scene attribute of the synthetic world (``colour_accuracy``, ``shape_accuracy``, ...): where
``attribute_accuracy`` averages over a sample's attributes, these say which attribute a model gets right.

Per sample, 1 when the output shows the sample's value of the attribute, else 0: a caption names it as whole
words (text output), or the world's verifier reads it off the produced image, video or sound (no medium: 0).  A
sample whose metadata lacks the attribute, or whose output kind the attribute is not verified on (a video's
size), is not scored.  Synthetic world only: there is no published counterpart."""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.datasets.verifiers import VERIFIED_ATTRIBUTES
from benchmarks.scoring.attribute_accuracy import CAPTION_ATTRIBUTES, caption_words, names_value
from benchmarks.scoring.attribute_verification import verified_matches
from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import MetricSpec, OutputKind

#: the attributes with a metric, in report order
ATTRIBUTES: tuple[str, ...] = ("colour", "shape", "size", "position", "background", "motion", "pitch", "pattern")


def attribute_match(attribute: str) -> Callable[[ScoredItem], float | None]:
    """The per-sample score of ``attribute`` (see the module docstring)."""
    def score(item: ScoredItem) -> float | None:
        if attribute not in item.sample.metadata:
            return None
        if item.context.task.output == "text":
            return float(names_value(caption_words(item.generation.text), item.sample.metadata[attribute]))
        matches = verified_matches(item)
        if matches is None or attribute not in matches:
            return None
        return float(matches[attribute])

    score.__name__ = f"{attribute}_match"
    return score


def _outputs(attribute: str) -> frozenset[OutputKind]:
    """Text wherever a caption task names it, and each modality whose verifier reads it."""
    kinds: set[OutputKind] = {"text"}
    kinds.update(modality for modality, keys in VERIFIED_ATTRIBUTES.items()  # type: ignore[misc]
                 if attribute in keys)
    return frozenset(kinds)


def _spec(attribute: str) -> MetricSpec:
    media = sorted(_outputs(attribute) - {"text"})
    return MetricSpec(
        f"{attribute}_accuracy", True, _outputs(attribute), "per-sample", "per-sample",
        f"share of samples whose {attribute} (synthetic world) is named in the caption or read off the produced "
        f"{' / '.join(media)} by the world's verifier",
        PerSampleMetric(attribute_match(attribute),
                        f"share of samples whose {attribute} (synthetic world metadata) is named as whole words in "
                        f"the answer, or read off the produced {' / '.join(media)} by the synthetic world's verifier "
                        "(no medium: 0); synthetic data only, no published counterpart",
                        when_none_scored=f"no sample has a {attribute} in its metadata (synthetic world only)"))


PER_ATTRIBUTE_METRICS: tuple[MetricSpec, ...] = tuple(_spec(attribute) for attribute in ATTRIBUTES)
#: per input modality of a caption task, the per-attribute metrics it declares (the attributes it names)
CAPTION_ATTRIBUTE_METRICS: dict[str, tuple[str, ...]] = {
    modality: tuple(f"{a}_accuracy" for a in keys) for modality, keys in CAPTION_ATTRIBUTES.items()}
#: per produced modality, the per-attribute metrics of its text -> X and editing tasks
VERIFIED_ATTRIBUTE_METRICS: dict[str, tuple[str, ...]] = {
    modality: tuple(f"{a}_accuracy" for a in keys) for modality, keys in VERIFIED_ATTRIBUTES.items()}
