"""``edit_success``: did an edit change what was asked, and only that?  (GenEval / MMMG style, synthetic world.)

Per edit sample, 1 when the world's verifier reads the edited attribute (metadata ``edited``: the colour of an
image or video, the pitch of a tone) as the target's value AND every other verified attribute as the source's
value (metadata ``source``), else 0.  Returning the input unchanged scores 0 (the edited attribute still shows
the source's value); so does changing something else as well, which ``attribute_accuracy`` only partly
penalises.  No produced medium scores 0.  Samples without ``edited`` / ``source`` metadata (every public
dataset) are not scored.  Synthetic world only: there is no published counterpart."""

from __future__ import annotations

from collections.abc import Mapping

from benchmarks.datasets.verifiers import VERIFIED_ATTRIBUTES
from benchmarks.scoring.attribute_verification import expected_attributes, output_reading
from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import MetricSpec


def edit_success(item: ScoredItem) -> float | None:
    modality = item.context.task.produced_modality
    metadata = item.sample.metadata
    edited, source = metadata.get("edited"), metadata.get("source")
    if modality is None or modality not in VERIFIED_ATTRIBUTES or not isinstance(source, Mapping):
        return None
    keys = VERIFIED_ATTRIBUTES[modality]
    target = expected_attributes(item.sample, modality)
    if target is None or edited not in keys or not all(k in source for k in keys):
        return None
    reading = output_reading(item)
    if reading is None:
        return 0.0
    changed = reading[str(edited)] == target[str(edited)]
    kept = all(reading[k] == str(source[k]) for k in keys if k != edited)
    return float(changed and kept)


EDIT_SUCCESS = MetricSpec(
    "edit_success", True, frozenset({"image", "video", "audio"}), "per-sample", "per-sample",
    "share of edits (synthetic world) whose edited attribute reads as the target's and every other verified "
    "attribute as the source's, by the world's verifiers",
    PerSampleMetric(edit_success, "share of edit samples whose produced medium shows the asked-for change (the "
                                  "edited attribute read as the target's value) and nothing else (every other "
                                  "verified attribute read as the source's value) by the synthetic world's "
                                  "verifiers (no medium: 0); synthetic data only, no published counterpart",
                    when_none_scored="no sample has edit metadata (edited, source: synthetic world only)"))
