"""Dialogue metrics: is each turn answered with exactly the expected output modalities (signal-token runs)?
``modality_accuracy`` over every turn, ``<kind>_turn_accuracy`` over the turns expecting that kind of output
(``text``: none)."""

from __future__ import annotations

from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import MetricSpec

TURN_KINDS = ("image", "video", "audio", "text")


def modality_accuracy(item: ScoredItem) -> float:
    produced = {r["modality"] for r in item.generation.signal_runs}
    return float(produced == set(item.sample.turns[item.turn].expected_outputs))


def _turn_kind(item: ScoredItem) -> str:
    expected = item.sample.turns[item.turn].expected_outputs
    return next(iter(expected)) if len(expected) == 1 else ("text" if not expected else "mixed")


def _kind_accuracy(kind: str) -> PerSampleMetric:
    def accuracy(item: ScoredItem) -> float | None:
        return modality_accuracy(item) if _turn_kind(item) == kind else None

    return PerSampleMetric(accuracy, f"modality accuracy on turns that expect {kind} output")


MODALITY_ACCURACY = MetricSpec(
    "modality_accuracy", True, frozenset({"dialogue"}), "per-sample", "per-sample",
    "fraction of turns whose produced outputs are exactly the expected modalities",
    PerSampleMetric(modality_accuracy, "fraction of turns whose produced outputs are exactly the expected "
                                       "modalities"))
TURN_ACCURACIES = tuple(
    MetricSpec(f"{kind}_turn_accuracy", True, frozenset({"dialogue"}), "per-sample", "per-sample",
               f"modality accuracy on turns that expect {kind} output", _kind_accuracy(kind))
    for kind in TURN_KINDS)
