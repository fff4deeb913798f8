"""What the results store holds, as typed records: a cached model output (:class:`Generation`, its
:class:`StoredMedia`), a task metric (:class:`StoredMetric`), the feature rows of a set metric
(:class:`FeatureRows`); how a result is written (:func:`result_json`) and how one stored before results were typed
is read (:func:`legacy_result`).  Independent of the SQL engine that keeps them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np

from metrics.defaults import BOOTSTRAP_CONFIDENCE
from metrics.provenance import ConfidenceInterval, MetricResult, Provenance
from nextgpt.core.errors import StoreError


@dataclass(frozen=True, slots=True)
class StoredMedia:
    modality: str
    sha256: str
    #: path relative to the store folder
    path: str


@dataclass(frozen=True, slots=True)
class Generation:
    """One cached model output.  ``signal_runs`` read back by ``ResultsStore.recorded`` may be one tuple shared by
    several generations (parsed once per distinct value): never mutate its dicts."""

    cache_key: str
    task: str
    sample_id: str
    turn: int
    seed: int
    text: str
    media: tuple[StoredMedia, ...]
    signal_runs: tuple[dict[str, Any], ...]
    seconds: float


@dataclass(frozen=True)
class StoredMetric:
    """One task metric as the store keeps it: the metric library's typed result, named by the task's metric key
    (``clip_t`` even when the CLIP score metric computed it), and ``n``, the count the value is over (samples;
    frames for FID over videos; clips for FAD), as ``save_scores`` was given it."""

    task: str
    result: MetricResult
    n: int

    @property
    def metric(self) -> str:
        return self.result.name

    @property
    def value(self) -> float | None:
        """None when the metric could not be computed (never the NaN an unavailable result carries)."""
        return self.result.value if self.result.available else None

    @property
    def ci(self) -> tuple[float, float] | None:
        interval = self.result.ci
        return None if interval is None else (interval.low, interval.high)


#: the fields of the harness's own mean-metric provenance record before results were typed
_MEAN_METRIC_FIELDS = ("metric", "n_samples", "definition", "seed")


def legacy_result(metric: str, value: float | None, ci: tuple[float, float] | None, record: Mapping[str, Any],
                  *, resamples: int | None, where: str) -> MetricResult:
    """The typed result of a metric stored before results were typed (schema-2 stores, snapshot-1 files,
    pytest-benchmark JSON).  Its provenance record came in two shapes: a metric library result
    (``MetricResult.to_dict()``, the provenance nested under ``"provenance"``) or the harness's own mean metrics
    (``signal_rate``, ``mel_distance``...: ``{"metric", "n_samples", "definition", "seed"}``, fields may be
    missing).  This is the one place that tells them apart.  A mean metric's ``definition`` becomes the
    provenance setting ``definition``; its interval's resample count is ``resamples`` (the run's bootstrap
    setting; 0 when the source does not record it).  The result is named ``metric`` (the task's key).  A record
    that fits neither raises a NextGPTError (StoreError, or the metric library's FeatureError) naming ``where``."""
    nested = record.get("provenance")
    if isinstance(nested, Mapping):
        return dataclasses.replace(MetricResult.from_dict(dict(record), where), name=metric)
    unknown = sorted(set(record) - set(_MEAN_METRIC_FIELDS))
    if unknown:
        raise StoreError(f"{where}: neither a metric library result (no \"provenance\" object) nor a mean-metric "
                         f"record (unknown field(s) {', '.join(unknown)}; expected {', '.join(_MEAN_METRIC_FIELDS)})")
    seed = record.get("seed")
    definition = record.get("definition")
    n_samples = record.get("n_samples")
    provenance = Provenance(metric=str(record.get("metric") or metric),
                            n_samples=n_samples if isinstance(n_samples, int) else None,
                            seed=seed if isinstance(seed, int) else None,
                            settings=(("definition", str(definition)),) if definition is not None else ())
    if value is None:
        return MetricResult(metric, math.nan, provenance, available=False,
                            unavailable_reason="stored without a value")
    interval = None if ci is None else ConfidenceInterval(
        float(ci[0]), float(ci[1]), BOOTSTRAP_CONFIDENCE, resamples or 0, provenance.seed or 0)
    return MetricResult(metric, float(value), provenance, interval)



def result_json(result: MetricResult) -> str:
    """Keys in ``to_dict`` order: a provenance's settings are ordered, and ``from_dict`` must read them back
    exactly."""
    return json.dumps(result.to_dict(), allow_nan=False)


FeatureSide = Literal["generated", "reference"]
FEATURE_SIDES: tuple[FeatureSide, ...] = ("generated", "reference")


@dataclass(frozen=True, eq=False)
class FeatureRows:
    """The feature rows one side of a set metric (FID, FAD) was computed from, grouped by sample: sample
    ``sample_ids[i]`` owns the next ``counts[i]`` rows (one per image, per video frame, per 0.96 s audio
    example), in the order the extractor saw them."""

    extractor: str
    #: sha256 of the extractor's weights (None for seeded toy networks)
    weights_sha256: str | None
    sample_ids: tuple[str, ...]
    counts: tuple[int, ...]
    #: (sum(counts), feature dimension), as the extractor returned them
    rows: np.ndarray

    def __post_init__(self) -> None:
        if len(self.sample_ids) != len(self.counts) or sum(self.counts) != len(self.rows):
            raise StoreError(f"feature rows of {self.extractor}: {len(self.sample_ids)} sample ids, "
                             f"{len(self.counts)} counts summing to {sum(self.counts)} and {len(self.rows)} rows; "
                             "expected one count per sample id and one row per counted item")

    def by_sample(self) -> dict[str, np.ndarray]:
        """sample id -> its rows"""
        parts = np.split(self.rows, np.cumsum(self.counts)[:-1]) if self.counts else []
        return dict(zip(self.sample_ids, parts, strict=True))


def feature_path(run_id: str, task: str, extractor: str, side: str) -> Path:
    for what, name in (("run id", run_id), ("task", task), ("extractor", extractor)):
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise StoreError(f"cannot name a feature file after {what} {name!r}: expected a non-empty name "
                             "without path separators or a leading dot")
    return Path("features") / run_id / task / f"{extractor}-{side}.npz"


def write_atomically(target: Path, data: bytes) -> None:
    write_atomically_with(target, lambda out: out.write(data))


def write_atomically_with(target: Path, write: Callable[[BinaryIO], object]) -> str:
    """``write`` the file's content into a temporary file beside ``target``, then rename it into place (a crash
    leaves the old file or the new one, never half of one) -> the sha256 of what was written.  The content goes
    straight to the disk: a large feature file is never also a bytes object in memory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "w+b") as out:
            write(out)
            out.flush()
            out.seek(0)
            digest = hashlib.file_digest(out, "sha256").hexdigest()
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest



def generation_from_row(row: Any, runs_read: dict[str, tuple[dict[str, Any], ...]] | None = None) -> Generation:
    """The generation of a ``generations`` row.  Strings that repeat from row to row (the task, a modality, an
    answer such as "here it is") are interned, and ``runs_read`` -- the signal runs already parsed while reading
    many rows, by their JSON text -- lets identical runs share one (read-only) tuple: a run of 30,000 samples then
    holds each once."""
    runs_text = row["signal_runs"]
    runs = None if runs_read is None else runs_read.get(runs_text)
    if runs is None:
        runs = tuple(json.loads(runs_text))
        if runs_read is not None:
            runs_read[runs_text] = runs
    return Generation(
        cache_key=row["cache_key"], task=sys.intern(row["task"]), sample_id=row["sample_id"], turn=int(row["turn"]),
        seed=int(row["seed"]), text=sys.intern(row["text"]),
        media=tuple(StoredMedia(sys.intern(m["modality"]), m["sha256"], m["path"]) for m in json.loads(row["media"])),
        signal_runs=runs, seconds=float(row["seconds"]))
