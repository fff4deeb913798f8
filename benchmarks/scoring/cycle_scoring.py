"""How a cycle task's legs are scored: each leg as if it were a task of its own over that leg's stored turn.

A cycle (benchmarks/tasks/legs.py) stores leg ``k`` as turn ``k`` of the sample.  For each leg that declares
metrics, :func:`leg_context` builds the scoring context the ordinary scorers expect: the leg's output kind and
metrics, the leg's generations as the samples' outputs, and each sample's SOURCE media as its targets.  So on a
cycle, ``clip_i`` and ``mel_distance`` compare the final medium with the medium the cycle started from (not with
an edited reference), caption metrics compare the final caption with the original captions, and the metadata
metrics (attribute accuracy) read the scene the cycle started from.
"""

from __future__ import annotations

import dataclasses

from benchmarks.datasets.samples import Dataset, Sample
from benchmarks.scoring.context import ScoredLeg, ScoredTask, ScoringContext


def source_as_target(sample: Sample) -> Sample:
    """``sample`` whose targets are its source media (its inputs), plus any target of a modality it has no input
    of (a caption -> X cycle's ground-truth render, when a dataset keeps it as a target only)."""
    sources = {f.modality for f in sample.inputs}
    return dataclasses.replace(sample, targets=(*sample.inputs,
                                                *(f for f in sample.targets if f.modality not in sources)))


def leg_context(context: ScoringContext, leg: ScoredLeg) -> ScoringContext:
    """The context that scores ``leg`` of the cycle in ``context`` (feature networks shared, built once)."""
    dataset = context.dataset
    view = ScoringContext(
        ScoredTask(context.task.name, leg.output, leg.metrics),
        Dataset(dataset.name, dataset.root, tuple(source_as_target(s) for s in dataset.samples), dataset.source),
        {(sample, 0): generation for (sample, turn), generation in context.outputs.items() if turn == leg.turn},
        context.store, context.extractors, context.bootstrap, context.seed)
    view._built = context._built  # one CLIP network for all legs (and a test's injected one)
    return view
