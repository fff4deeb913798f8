"""How a registered metric is computed, and the typed outcome of computing it.

Two ways, because metrics come in two shapes:

* :class:`PerSampleMetric`: one number per scored item (a sample, or a turn of a dialogue), the task value is
  their mean (with a bootstrap interval).  A new metric of this shape is one function of a
  :class:`~benchmarks.scoring.context.ScoredItem`; the harness does the averaging, the interval, the provenance
  and the per-sample storage.
* :class:`SetMetric`: a scorer that sees the whole output set at once (corpus BLEU, FID, a batched CLIP
  network).  Every declared metric with the same scorer is computed in one call, so metrics that share work
  (BLEU-1..4 share n-gram statistics, FID and KID one feature pass) do it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.store import FeatureRows, FeatureSide
from metrics.provenance import MetricResult

if TYPE_CHECKING:
    from benchmarks.scoring.context import ScoredItem, ScoringContext


@dataclass(frozen=True)
class ScoredMetric:
    """One computed task metric.  ``result`` is named as the task declares it (``clip_t`` even when the CLIP
    score class computed it)."""

    result: MetricResult
    #: what the value is over, as stored with it: samples (turns of a dialogue; frames for FID over videos)
    n: int
    #: item key -> score, stored for paired comparisons; None when the metric has no per-item scores
    per_sample: dict[str, float] | None = None

    @property
    def metric(self) -> str:
        return self.result.name

    @property
    def value(self) -> float | None:
        """None when the metric could not be computed (never the NaN an unavailable result carries)."""
        return float(self.result.value) if self.result.available else None

    @property
    def ci(self) -> tuple[float, float] | None:
        interval = self.result.ci
        return None if interval is None else (interval.low, interval.high)


@dataclass(frozen=True)
class SetOutcome:
    """What a set scorer computed: its metrics, and the feature rows they were computed from (stored so that
    compare/gate can pair two runs on a set statistic without rebuilding the feature network)."""

    metrics: tuple[ScoredMetric, ...]
    features: tuple[tuple[FeatureSide, FeatureRows], ...] = ()


@dataclass(frozen=True)
class PerSampleMetric:
    """The task value is the mean of ``function`` over the scored items; an item it returns None for is not
    scored (no output medium, no attributes in the metadata, a turn of another kind)."""

    function: Callable[[ScoredItem], float | None]
    #: what the number means, recorded as the provenance setting ``definition``
    definition: str
    #: why the metric is unavailable when ``function`` scores no item at all
    when_none_scored: str = "no item of the task could be scored"


@dataclass(frozen=True)
class SetMetric:
    """``scorer(context, names)`` computes the declared metrics ``names`` (all of them use this scorer)."""

    scorer: Callable[[ScoringContext, tuple[str, ...]], SetOutcome]


MetricComputation = PerSampleMetric | SetMetric
