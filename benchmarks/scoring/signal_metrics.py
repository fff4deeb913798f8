"""Did the model ask for the output: ``signal_rate`` (some of its signal tokens, maybe garbled) and
``signal_exact`` (exactly the canonical run and nothing else; an untrained model's random signal tokens count
for the first, almost never for the second)."""

from __future__ import annotations

from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import MetricSpec

_MEDIA = frozenset({"image", "video", "audio"})


def signal_rate(item: ScoredItem) -> float:
    own = [r for r in item.generation.signal_runs if r["modality"] == item.context.task.produced_modality]
    return float(bool(own) and own[0]["status"] != "forced")


def signal_exact(item: ScoredItem) -> float:
    runs = item.generation.signal_runs
    own = [r for r in runs if r["modality"] == item.context.task.produced_modality]
    return float(len(runs) == 1 and bool(own) and own[0]["status"] == "complete" and not own[0].get("dropped"))


SIGNAL_RATE = MetricSpec(
    "signal_rate", True, _MEDIA, "per-sample", "per-sample",
    "fraction of samples whose answer asked for the output with its signal tokens",
    PerSampleMetric(signal_rate, "fraction of samples whose answer contained the output's signal tokens without "
                                 "forcing"))
SIGNAL_EXACT = MetricSpec(
    "signal_exact", True, _MEDIA, "per-sample", "per-sample",
    "fraction of samples whose answer contained exactly the output's signal-token run",
    PerSampleMetric(signal_exact, "fraction of samples whose answer contained the output's complete signal-token "
                                  "run, in order and unrepaired, and no other modality's signal tokens"))
