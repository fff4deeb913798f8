"""A per-sample metric's task value: the mean of its item scores, with a seeded bootstrap interval."""

from __future__ import annotations

import numpy as np

from metrics.provenance import MetricResult, Provenance


def mean_result(name: str, values: dict[str, float], definition: str, *, bootstrap: int, seed: int,
                when_empty: str = "no item of the task could be scored") -> MetricResult:
    """``name``'s mean over ``values`` (item key -> score); unavailable when no item was scored.  The
    provenance records the definition as the setting ``definition`` (there is no library metric to name)."""
    from metrics.bootstrap import bootstrap_mean

    array = np.array(list(values.values()), dtype=np.float64)
    provenance = Provenance(metric=name, n_samples=len(array), seed=seed if bootstrap else None,
                            settings=(("definition", definition),))
    if not len(array):
        return MetricResult.unavailable(name, when_empty, provenance)
    ci = bootstrap_mean(array, n_resamples=bootstrap, seed=seed) if bootstrap and len(array) > 1 else None
    return MetricResult(name, float(array.mean()), provenance, ci)
