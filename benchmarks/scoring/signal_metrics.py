"""Did the model ask for the output: ``signal_rate`` (some of its signal tokens, maybe garbled) and
``signal_exact`` (exactly the canonical run and nothing else; an untrained model's random signal tokens count
for the first, almost never for the second).

Both apply to models with signal tokens only. An output the runner recorded as ``unsignalled`` (the model has
none: a diffusers pipeline, a cascade) is not scored, so for such a model both metrics are unavailable with that
reason -- a 0 would read, in compare and the leaderboard, as a model that failed to ask."""

from __future__ import annotations

from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import MetricSpec

_MEDIA = frozenset({"image", "video", "audio"})


UNSIGNALLED = "unsignalled"
NO_SIGNAL_TOKENS = ("not applicable: no output of the task was signalled, the model has no signal tokens (it "
                    "produces what it is asked for, e.g. a diffusers pipeline or a cascade)")


def _unsignalled(item: ScoredItem) -> bool:
    return any(r["status"] == UNSIGNALLED for r in item.generation.signal_runs)


def signal_rate(item: ScoredItem) -> float | None:
    if _unsignalled(item):
        return None
    own = [r for r in item.generation.signal_runs if r["modality"] == item.context.task.produced_modality]
    return float(bool(own) and own[0]["status"] != "forced")


def signal_exact(item: ScoredItem) -> float | None:
    if _unsignalled(item):
        return None
    runs = item.generation.signal_runs
    own = [r for r in runs if r["modality"] == item.context.task.produced_modality]
    return float(len(runs) == 1 and bool(own) and own[0]["status"] == "complete" and not own[0].get("dropped"))


SIGNAL_RATE = MetricSpec(
    "signal_rate", True, _MEDIA, "per-sample", "per-sample",
    "fraction of samples whose answer asked for the output with its signal tokens",
    PerSampleMetric(signal_rate, "fraction of samples whose answer contained the output's signal tokens without "
                                 "forcing", when_none_scored=NO_SIGNAL_TOKENS))
SIGNAL_EXACT = MetricSpec(
    "signal_exact", True, _MEDIA, "per-sample", "per-sample",
    "fraction of samples whose answer contained exactly the output's signal-token run",
    PerSampleMetric(signal_exact, "fraction of samples whose answer contained the output's complete signal-token "
                                  "run, in order and unrepaired, and no other modality's signal tokens",
                    when_none_scored=NO_SIGNAL_TOKENS))
