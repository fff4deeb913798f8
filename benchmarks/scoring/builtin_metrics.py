"""The metrics the harness ships, one line per metric (or family), registered by benchmarks/scoring/registry.py
when it is first read.  Their order is the order a task's results are reported and stored in."""

from __future__ import annotations

from benchmarks.scoring.attribute_accuracy import ATTRIBUTE_ACCURACY
from benchmarks.scoring.caption_metrics import CAPTION_METRICS
from benchmarks.scoring.clip_metrics import CLIP_I_SPEC, CLIP_SCORE_SPEC, CLIP_T_SPEC, CLIPSIM_SPEC
from benchmarks.scoring.dialogue_metrics import MODALITY_ACCURACY, TURN_ACCURACIES
from benchmarks.scoring.edit_success import EDIT_SUCCESS
from benchmarks.scoring.frechet_metrics import FAD, FID, KID
from benchmarks.scoring.mel_distance import MEL_DISTANCE
from benchmarks.scoring.metric_spec import MetricSpec
from benchmarks.scoring.per_attribute_accuracy import PER_ATTRIBUTE_METRICS
from benchmarks.scoring.signal_metrics import SIGNAL_EXACT, SIGNAL_RATE

BUILTIN_METRICS: tuple[MetricSpec, ...] = (
    *CAPTION_METRICS,
    SIGNAL_RATE,
    SIGNAL_EXACT,
    FID,
    KID,
    FAD,
    MEL_DISTANCE,
    CLIP_SCORE_SPEC,
    CLIP_T_SPEC,
    CLIPSIM_SPEC,
    CLIP_I_SPEC,
    MODALITY_ACCURACY,
    *TURN_ACCURACIES,
    ATTRIBUTE_ACCURACY,
    *PER_ATTRIBUTE_METRICS,
    EDIT_SUCCESS,
)
