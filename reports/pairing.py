"""Can two runs' scores be put side by side, and what is the paired interval of their difference?

Refusals reuse the metric library's comparability fields (metrics.provenance.COMPARABILITY_FIELDS) and add what
the store knows beyond one score: the dataset a task read, the run seed every request's seed derives from, and
the set of samples it scored.  The model is deliberately not among them: runs of different models (a checkpoint
against a diffusers pipeline or a cascade) are compared as long as their scores were computed the same way.

How a metric is paired is its registry entry's ``pairing`` (benchmarks/scoring/registry.py):

* ``per-sample``: the task's value is the mean of its per-sample scores (CLIP score, CLIPSIM, CLIP-I/T, ROUGE-L,
  CIDEr-D, signal_rate, mel_distance, turn accuracies), so the difference of the means is the mean of per-sample
  differences on the shared samples, resampled together (checked: a stored value that is not that mean gets no
  interval);
* ``set-jackknife``: a set statistic (FID, FAD) recomputed with whole samples deleted from both runs
  (reports/set_pairing.py);
* ``none``: no per-sample decomposition (corpus BLEU, METEOR, KID): no paired interval is reported -- never one
  made up from the two independent intervals.

A metric that no code in this process registers (a run of an extension that is not installed) gets its
difference without an interval, as ``none``: how it would pair is unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from benchmarks.scoring.registry import metric_spec
from benchmarks.store import StoredMetric
from metrics.defaults import JACKKNIFE_GROUPS
from metrics.provenance import COMPARABILITY_FIELDS, Scalar
from nextgpt.core.errors import TaskError
from reports.rundata import RunData

#: default jackknife groups of the recomputed set-statistic interval (see reports.set_pairing)
SET_GROUPS = JACKKNIFE_GROUPS


@dataclass(frozen=True)
class PairedDifference:
    #: B - A on the task values (None when either is missing)
    difference: float | None
    ci: tuple[float, float] | None
    #: None when no paired interval exists
    significant: bool | None
    n_pairs: int
    note: str = ""


def comparability(record: StoredMetric) -> dict[str, Scalar]:
    """The provenance fields that change this metric's value for the same outputs; each setting is its own
    field (``settings.definition``), so a refusal names the setting."""
    provenance = record.result.provenance
    fields: dict[str, Scalar] = {name: getattr(provenance, name) for name in COMPARABILITY_FIELDS
                                 if name != "settings"}
    fields.update({f"settings.{name}": value for name, value in provenance.settings})
    return fields


def comparability_problem(a: RunData, b: RunData, task: str, metric: str) -> str | None:
    """Why ``task/metric`` of A and B must not be compared, naming the field; None when they may."""
    ra, rb = a.metrics[(task, metric)], b.metrics[(task, metric)]
    fa, fb = comparability(ra), comparability(rb)
    for name in dict.fromkeys([*fa, *fb]):
        if fa.get(name) != fb.get(name):
            return f"provenance field {name!r} differs ({fa.get(name)!r} vs {fb.get(name)!r})"
    family = _family(task)
    data_a, data_b = a.settings.get("data"), b.settings.get("data")
    if family and data_a is not None and data_b is not None:
        spec_a, spec_b = data_a.get(family, "synthetic"), data_b.get(family, "synthetic")
        if spec_a != spec_b:
            return f"dataset for {family} differs ({spec_a!r} vs {spec_b!r})"
    seed_a, seed_b = a.settings.get("seed"), b.settings.get("seed")
    if seed_a is not None and seed_b is not None and seed_a != seed_b:
        return (f"run seed differs ({seed_a!r} vs {seed_b!r}): every request's seed derives from it, so the two "
                "runs did not draw their outputs with the same seeds")
    ids_a, ids_b = a.sample_ids.get(task), b.sample_ids.get(task)
    if ids_a is not None and ids_b is not None and ids_a != ids_b:
        only_a, only_b = sorted(ids_a - ids_b), sorted(ids_b - ids_a)
        return (f"sample set differs ({len(ids_a)} vs {len(ids_b)} samples; only in A: {_few(only_a)}; "
                f"only in B: {_few(only_b)})")
    if ra.n != rb.n:
        return f"sample count n differs ({ra.n} vs {rb.n})"
    return None


def paired_difference(a: RunData, b: RunData, task: str, metric: str, *, bootstrap: int = 1000,
                      seed: int = 0, confidence: float = 0.95, set_groups: int = SET_GROUPS) -> PairedDifference:
    """B - A with its paired interval, as the metric's registered ``pairing`` says.  ``set_groups``: jackknife
    groups for set statistics (1 + 3G pairs of Frechet distances, slow at 2048-d); 0 reports no interval for
    them."""
    from metrics.bootstrap import bootstrap_mean

    va, vb = a.metrics[(task, metric)].value, b.metrics[(task, metric)].value
    difference = None if va is None or vb is None else vb - va
    try:
        pairing = metric_spec(metric).pairing
    except TaskError:  # a metric of an extension that is not installed here
        return PairedDifference(difference, None, None, 0, f"no paired CI: {metric} is not registered in this "
                                "process, so how it pairs is unknown (is its extension installed?)")
    if pairing == "set-jackknife":
        from reports.set_pairing import paired_set_difference

        if difference is None:
            return PairedDifference(None, None, None, 0, f"no paired CI: {metric} is missing from a run")
        set_ci, pairs, note = paired_set_difference(a, b, task, metric, groups=set_groups, seed=seed,
                                                    confidence=confidence)
        if set_ci is None:
            return PairedDifference(difference, None, None, pairs, note + "; compare the two runs' own intervals")
        return PairedDifference(difference, set_ci, not (set_ci[0] <= 0.0 <= set_ci[1]), pairs, note)
    if pairing == "none":
        return PairedDifference(difference, None, None, 0, f"no paired CI: {metric} is a set statistic, not the "
                                "mean of per-sample scores")
    per_a = a.sample_scores.get(task, {}).get(metric)
    per_b = b.sample_scores.get(task, {}).get(metric)
    if not per_a or not per_b:
        return PairedDifference(difference, None, None, 0, "no paired CI: per-sample scores not stored "
                                f"({'A' if not per_a else 'B'} has none)")
    if not (_is_mean_of(per_a, va) and _is_mean_of(per_b, vb)):
        return PairedDifference(difference, None, None, 0, f"no paired CI: {metric} is a corpus statistic, "
                                "not the mean of its per-sample scores")
    shared = sorted(sid for sid in set(per_a) & set(per_b) if per_a[sid] is not None and per_b[sid] is not None)
    if len(shared) < 2:
        return PairedDifference(difference, None, None, len(shared), "no paired CI: fewer than 2 shared samples")
    diffs = np.array([float(per_b[s]) - float(per_a[s]) for s in shared])  # type: ignore[arg-type]
    interval = bootstrap_mean(diffs, n_resamples=bootstrap, confidence=confidence, seed=seed)
    ci = (float(interval.low), float(interval.high))
    significant = not (ci[0] <= 0.0 <= ci[1])
    return PairedDifference(difference, ci, significant, len(shared),
                            f"paired bootstrap, {len(shared)} shared samples, {bootstrap} resamples, seed {seed}")


def _is_mean_of(per_sample: dict[str, float | None], value: float | None) -> bool:
    values = [v for v in per_sample.values() if v is not None]
    if value is None or not values:
        return False
    return math.isclose(float(np.mean(values)), value, rel_tol=1e-6, abs_tol=0.0)


def _family(task: str) -> str | None:
    from benchmarks.tasks import get_task
    from nextgpt.core.errors import NextGPTError

    try:
        return get_task(task).family
    except NextGPTError:
        return None


def _few(items: list[str], limit: int = 5) -> str:
    if not items:
        return "none"
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")
