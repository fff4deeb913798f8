"""What a produced image, video or sound shows, read by the synthetic world's verifiers
(benchmarks/datasets/verifiers), for the attribute metrics of text -> X and editing tasks.

Valid on the synthetic world only: the verifiers know its palette, shapes, positions, motions and tones, and
read anything else as the nearest of them.  A sample is scored against its metadata (the attributes its output
should have: the scene of a text -> X prompt, the target scene of an edit)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.datasets.verifiers import VERIFIED_ATTRIBUTES, read_audio, read_image, read_video
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.media_inputs import SCORED_SAMPLE_RATE

#: readings kept, keyed by the identity of the medium array (the array is kept with its reading, so that its
#: id cannot be reused while cached): every attribute metric of a sample reads its medium once
_CACHE_SIZE = 512
_readings: OrderedDict[int, tuple[np.ndarray, dict[str, str]]] = OrderedDict()


def read_medium(modality: str, medium: np.ndarray) -> dict[str, str]:
    """The verifier's reading of one scored medium (image (H, W, 3), video (F, H, W, 3), 16 kHz audio)."""
    cached = _readings.get(id(medium))
    if cached is not None and cached[0] is medium:
        _readings.move_to_end(id(medium))
        return cached[1]
    if modality == "image":
        reading = read_image(medium)
    elif modality == "video":
        reading = read_video(medium)
    elif modality == "audio":
        reading = read_audio(medium, SCORED_SAMPLE_RATE)
    else:
        raise ValueError(f"no verifier reads {modality!r} output; verified modalities: "
                         f"{', '.join(VERIFIED_ATTRIBUTES)}")
    _readings[id(medium)] = (medium, reading)
    if len(_readings) > _CACHE_SIZE:
        _readings.popitem(last=False)
    return reading


def expected_attributes(sample: Sample, modality: str) -> dict[str, str] | None:
    """The verified attributes ``sample``'s output of ``modality`` should have (from its metadata); None when
    the metadata lacks any of them (every public dataset: not scored)."""
    keys = VERIFIED_ATTRIBUTES.get(modality, ())
    if not keys or not all(k in sample.metadata for k in keys):
        return None
    return {k: str(sample.metadata[k]) for k in keys}


def verified_matches(item: ScoredItem) -> dict[str, bool] | None:
    """Per verified attribute of the item's produced modality: does the output show the expected value?  None
    when the task produces no medium or the sample has no attributes; every attribute False when the model
    produced no medium (it failed to produce what was asked)."""
    modality = item.context.task.produced_modality
    expected = None if modality is None else expected_attributes(item.sample, modality)
    if modality is None or expected is None:
        return None
    medium = item.output_media()
    if medium is None:
        return {key: False for key in expected}
    reading = read_medium(modality, medium)
    return {key: reading[key] == value for key, value in expected.items()}
