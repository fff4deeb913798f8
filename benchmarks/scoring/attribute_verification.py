"""What a produced image, video or sound shows, read by the synthetic world's verifiers
(benchmarks/datasets/verifiers), for the attribute metrics of text -> X and editing tasks.

Valid on the synthetic world only: the verifiers know its palette, shapes, positions, motions and tones, and
read anything else as the nearest of them.  A sample is scored against its metadata (the attributes its output
should have: the scene of a text -> X prompt, the target scene of an edit)."""

from __future__ import annotations

import logging

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.datasets.verifiers import VERIFIED_ATTRIBUTES, read_audio, read_image, read_video
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.media_inputs import SCORED_SAMPLE_RATE
from nextgpt.core.errors import MediaError

logger = logging.getLogger(__name__)


def read_medium(modality: str, medium: np.ndarray) -> dict[str, str]:
    """The verifier's reading of one scored medium (image (H, W, 3), video (F, H, W, 3), 16 kHz audio); raises
    MediaError for a medium the verifiers cannot read (too small, too few frames, too short)."""
    if modality == "image":
        return read_image(medium)
    if modality == "video":
        return read_video(medium)
    if modality == "audio":
        return read_audio(medium, SCORED_SAMPLE_RATE)
    raise ValueError(f"no verifier reads {modality!r} output; verified modalities: {', '.join(VERIFIED_ATTRIBUTES)}")


def _reading_or_none(task: str, sample: Sample, modality: str, medium: np.ndarray) -> dict[str, str]:
    """The reading, or every attribute "none" (matching no expected value) for a medium the verifiers cannot
    read: a model's too-small image or too-short sound is a failed sample, not a failed run."""
    try:
        return read_medium(modality, medium)
    except MediaError as error:
        logger.warning("[%s] sample %s: the produced %s cannot be verified, so every attribute of it counts as "
                       "wrong: %s", task, sample.id, modality, error)
        return {key: "none" for key in VERIFIED_ATTRIBUTES[modality]}


def expected_attributes(sample: Sample, modality: str) -> dict[str, str] | None:
    """The verified attributes ``sample``'s output of ``modality`` should have (from its metadata); None when
    the metadata lacks any of them (every public dataset: not scored)."""
    keys = VERIFIED_ATTRIBUTES.get(modality, ())
    if not keys or not all(k in sample.metadata for k in keys):
        return None
    return {k: str(sample.metadata[k]) for k in keys}


def output_reading(item: ScoredItem) -> dict[str, str] | None:
    """The verifiers' reading of the item's produced medium (read once per scoring context; every attribute
    "none" when unreadable); None when the task produces no verified medium or the model produced none."""
    modality = item.context.task.produced_modality
    if modality is None or modality not in VERIFIED_ATTRIBUTES:
        return None
    return item.context.reading(item.sample, modality,
                                lambda medium: _reading_or_none(item.context.task.name, item.sample, modality, medium))


def verified_matches(item: ScoredItem) -> dict[str, bool] | None:
    """Per verified attribute of the item's produced modality: does the output show the expected value?  None
    when the task produces no medium or the sample has no attributes; every attribute False when the model
    produced no medium (it failed to produce what was asked)."""
    modality = item.context.task.produced_modality
    expected = None if modality is None else expected_attributes(item.sample, modality)
    if modality is None or expected is None:
        return None
    reading = output_reading(item)
    if reading is None:
        return {key: False for key in expected}
    return {key: reading[key] == value for key, value in expected.items()}
