"""What the harness knows about one metric: its direction, the task outputs it applies to, how compare/gate pair
two runs on it, and how it is computed.  The registry of these declarations is benchmarks/scoring/registry.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from benchmarks.scoring.computation import MetricComputation

#: what a task produces (benchmarks.tasks.Task.output): text (captioning), one medium, or a dialogue
OutputKind = Literal["text", "image", "video", "audio", "dialogue"]
OUTPUT_KINDS: tuple[OutputKind, ...] = ("text", "image", "video", "audio", "dialogue")

Granularity = Literal["per-sample", "per-set"]
Pairing = Literal["per-sample", "set-jackknife", "none"]
GRANULARITIES: tuple[Granularity, ...] = ("per-sample", "per-set")
PAIRINGS: tuple[Pairing, ...] = ("per-sample", "set-jackknife", "none")


@dataclass(frozen=True)
class MetricSpec:
    """One harness metric.  Every field but the last two is required: a metric whose direction nobody
    declared would be drawn the wrong way round in every report without an error."""

    #: e.g. ``"fid"``; a stored result may carry it qualified (``"fid[toy]"``)
    name: str
    higher_is_better: bool
    #: the task output kinds it can be declared for
    outputs: frozenset[OutputKind]
    #: ``per-sample``: the value is the mean of one score per sample (or turn); ``per-set``: a statistic of
    #: the whole set (FID, corpus BLEU) that no per-sample score averages to
    granularity: Granularity
    #: how compare/gate pair two runs on it: bootstrap of per-sample differences, jackknife over samples of
    #: the stored feature rows (set statistics), or no paired interval at all
    pairing: Pairing
    description: str
    #: a per-sample function or a set scorer (benchmarks/scoring/computation.py)
    compute: MetricComputation
    #: metrics sharing a group are computed in one slot (CLIP text similarity: clip_score, clip_t, clipsim);
    #: a task declares at most one of a group
    exclusive_group: str | None = None
    #: the names its stored results carry when they are not ``name`` (KID stores ``kid_mean`` and ``kid_std``)
    result_names: tuple[str, ...] = ()

    @property
    def stored_names(self) -> tuple[str, ...]:
        """Every name a stored result of this metric may have before its ``[extractor]`` qualifier."""
        return self.result_names or (self.name,)
