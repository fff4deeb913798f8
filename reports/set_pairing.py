"""Paired intervals for set statistics (FID, FAD): recomputed from the media both runs stored.

FID/FAD have no per-sample scores, but each generated item still belongs to a sample: deleting groups of
*samples* (their generated media in both runs and their reference target together) and recomputing both
distances gives a paired jackknife interval of the difference (metrics/frechet_interval.py; the bootstrap is
not used because duplicated samples inflate a Frechet distance).  Features come from the extractor named in the scores'
provenance, prepared as the harness's scoring prepares them (benchmarks.scoring.scorers), and the recomputed
full-set values must reproduce the stored ones -- otherwise no interval is reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reports.rundata import RunData

ROLES = {"fid": "image", "fad": "audio"}


def paired_set_difference(a: RunData, b: RunData, task: str, metric: str, *, groups: int, seed: int,
                          confidence: float) -> tuple[tuple[float, float] | None, int, str]:
    """-> (interval of B - A or None, number of paired samples, note saying how or why not)."""
    from metrics.frechet_interval import paired_frechet_interval
    from metrics.jackknife import check_groups
    from nextgpt.core.errors import NextGPTError

    if groups <= 0:
        return None, 0, f"no paired CI: {metric} is a set statistic and --set-groups is 0"
    if metric not in ROLES:
        return None, 0, f"no paired CI: {metric} is a set statistic"
    if a.store is None or b.store is None:
        return None, 0, f"no paired CI: {metric} is a set statistic and a run comes from a file (no stored media)"
    try:
        features = _features(a, b, task, metric)
    except (NextGPTError, OSError, KeyError, ValueError, StopIteration) as error:
        return None, 0, f"no paired CI: {metric} could not be recomputed from the stored media ({error})"
    rows_a, rows_b, rows_ref = features
    n = len(rows_ref)
    try:
        check_groups(groups, n, f"paired {metric}")
    except NextGPTError as error:
        return None, n, f"no paired CI: {error}"
    full = np.arange(n)
    for run, rows in ((a, rows_a), (b, rows_b)):
        stored = run.metrics[(task, metric)].value
        recomputed = _distance(rows, _statistics(rows_ref, full), full)
        if stored is None or not np.isclose(recomputed, stored, rtol=1e-5, atol=1e-8):
            return None, n, (f"no paired CI: recomputing {metric} of {run.run_id} from its media gave "
                             f"{recomputed:.6g}, not the stored {stored}")
    difference = float(b.metrics[(task, metric)].value) - float(a.metrics[(task, metric)].value)  # type: ignore[arg-type]
    interval = paired_frechet_interval(difference, rows_a, rows_b, rows_ref, groups=groups, confidence=confidence,
                                       seed=seed)
    extractor = a.metrics[(task, metric)].result.provenance.extractor
    return (interval.low, interval.high), n, (
        f"{interval.method} over {n} shared samples (whole samples deleted from both runs and the reference "
        f"together), {metric} recomputed from the stored media with {extractor}, seed {seed}")


def _statistics(rows: list[np.ndarray], index: np.ndarray) -> Any:
    from metrics.frechet import GaussianStatistics

    return GaussianStatistics.from_features(np.concatenate([rows[i] for i in index]))


def _distance(rows: list[np.ndarray], reference: Any, index: np.ndarray) -> float:
    from metrics.frechet import frechet_distance

    generated = _statistics(rows, index)
    return frechet_distance(generated.mu, generated.sigma, reference.mu, reference.sigma)


def _features(a: RunData, b: RunData, task_name: str, metric: str) -> tuple[list[np.ndarray], ...]:
    """Per shared sample: feature rows of A's output, B's output and the reference target."""
    from benchmarks.datasets.registry import resolve_dataset
    from benchmarks.scoring.scorers import _read_target
    from benchmarks.tasks import get_task
    from metrics.extractors.registry import build_extractor

    task = get_task(task_name)
    modality = task.produced_modality
    if modality is None:
        raise ValueError(f"task {task_name} produces no medium")
    dataset = resolve_dataset(task.family, (a.settings.get("data") or {}).get(task.family),
                              limit=a.settings.get("limit"))
    outputs_a = _outputs(a, task_name, modality)
    outputs_b = _outputs(b, task_name, modality)
    samples = [s for s in dataset.samples if s.id in outputs_a and s.id in outputs_b]
    extractor = build_extractor(str(a.metrics[(task_name, metric)].result.provenance.extractor))
    media = [[outputs_a[s.id] for s in samples], [outputs_b[s.id] for s in samples],
             [_read_target(s, modality) for s in samples]]
    return tuple(_extract(extractor, items, ROLES[metric]) for items in media)


def _outputs(run: RunData, task: str, modality: str) -> dict[str, Any]:
    from benchmarks.runner.media_codec import read_audio, read_image, read_video

    reader = {"image": read_image, "video": read_video, "audio": lambda p: read_audio(p)[0]}[modality]
    out = {}
    for (sample_id, turn), generation in run.store.recorded(run.run_id, task).items():
        stored = next((m for m in generation.media if m.modality == modality), None)
        if turn == 0 and stored is not None:
            out[sample_id] = reader(run.store.media_path(stored))
    return out


def _extract(extractor: Any, items: list[np.ndarray], role: str) -> list[np.ndarray]:
    """Features as the harness computes them for the whole set, split back per sample."""
    import torch

    from benchmarks.scoring.scorers import _images_tensor, _uniform_size

    if role == "audio":
        from metrics.extractors.vggish import waveform_to_examples

        parts = [waveform_to_examples(torch.from_numpy(w.astype(np.float64)), 16000) for w in items]
        features = extractor.extract(torch.cat(parts)).numpy()
        counts = [len(p) for p in parts]
    else:
        frames = [frame for item in items for frame in (item if item.ndim == 4 else [item])]
        features = extractor.extract(_images_tensor(_uniform_size(frames))).numpy()
        counts = [len(item) if item.ndim == 4 else 1 for item in items]
    return list(np.split(features.astype(np.float64), np.cumsum(counts)[:-1]))
