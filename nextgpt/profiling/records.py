"""Typed results of stage profiling: ``Latency``, ``Memory``, ``Throughput`` and the ``StageRecord`` that joins
them, in the manner of optimum-benchmark's trackers (small frozen records with ``from_values`` / ``aggregate``).

``StageRecord.to_dict`` is the JSON stored with a run (``ResultsStore.save_stage_timings``) and read back with
``StageRecord.from_dict``; its keys are the contract the reports read: ``seconds``, ``calls``, the latency
summary, ``units``/``unit``/``throughput``, and the memory fields.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of already sorted values (numpy's default method)."""
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Latency:
    """Seconds per call of one stage (exclusive time: time spent in nested stages is not included)."""

    values: tuple[float, ...] = ()

    @classmethod
    def from_values(cls, values: Iterable[float]) -> Latency:
        checked = tuple(float(v) for v in values)
        if any(v < 0 or math.isnan(v) for v in checked):
            raise ValueError(f"Latency: durations must be non-negative numbers, got {checked}")
        return cls(checked)

    @classmethod
    def aggregate(cls, latencies: Iterable[Latency]) -> Latency:
        return cls(tuple(v for latency in latencies for v in latency.values))

    @property
    def calls(self) -> int:
        return len(self.values)

    @property
    def total(self) -> float:
        return math.fsum(self.values)

    @property
    def mean(self) -> float:
        return self.total / len(self.values) if self.values else 0.0

    @property
    def stdev(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    def percentile(self, q: float) -> float:
        return _percentile(sorted(self.values), q)

    def summary(self) -> dict[str, float | int]:
        ordered = sorted(self.values)
        return {"seconds": self.total, "calls": self.calls, "mean_s": self.mean, "stdev_s": self.stdev,
                "p50_s": _percentile(ordered, 0.5), "p90_s": _percentile(ordered, 0.9),
                "min_s": ordered[0] if ordered else 0.0, "max_s": ordered[-1] if ordered else 0.0}


def _max_or_none(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


@dataclass(frozen=True)
class Memory:
    """Peak memory while a stage ran.

    On CUDA ``peak_allocated_bytes`` / ``peak_reserved_bytes`` are ``torch.cuda.max_memory_allocated`` /
    ``max_memory_reserved`` with the peak reset at every stage boundary, so they are true peaks.  On CPU there is
    no resettable allocator peak: ``peak_allocated_bytes`` is glibc's malloc bytes in use (torch's CPU allocator
    goes through malloc) sampled at the stage's boundaries (read at most every 50 ms, see
    ``clock.MALLINFO_INTERVAL_S``), and ``peak_reserved_bytes`` is None.
    ``peak_rss_bytes`` is the process resident set: the new high-water mark when the stage raised the process
    peak (a true peak), else the larger of the samples at its boundaries.
    """

    device: str
    peak_allocated_bytes: int | None = None
    peak_reserved_bytes: int | None = None
    peak_rss_bytes: int | None = None

    @classmethod
    def aggregate(cls, memories: Iterable[Memory]) -> Memory:
        items = list(memories)
        if not items:
            raise ValueError("Memory.aggregate needs at least one record")
        devices = sorted({m.device for m in items})
        return cls(device="+".join(devices),
                   peak_allocated_bytes=_max_or_none(m.peak_allocated_bytes for m in items),
                   peak_reserved_bytes=_max_or_none(m.peak_reserved_bytes for m in items),
                   peak_rss_bytes=_max_or_none(m.peak_rss_bytes for m in items))

    def to_dict(self) -> dict[str, Any]:
        return {"memory_device": self.device, "peak_allocated_bytes": self.peak_allocated_bytes,
                "peak_reserved_bytes": self.peak_reserved_bytes, "peak_rss_bytes": self.peak_rss_bytes}


@dataclass(frozen=True)
class Throughput:
    """``units`` of work per second of the stage's own time (tokens/s, steps/s, samples/s)."""

    units: int
    unit: str
    seconds: float

    @property
    def per_second(self) -> float | None:
        return self.units / self.seconds if self.seconds > 0 else None

    @classmethod
    def aggregate(cls, items: Iterable[Throughput]) -> Throughput:
        listed = list(items)
        units = {t.unit for t in listed}
        if len(units) != 1:
            raise ValueError(f"Throughput.aggregate: cannot add different units {sorted(units)}")
        return cls(sum(t.units for t in listed), units.pop(), math.fsum(t.seconds for t in listed))


@dataclass(frozen=True)
class StageRecord:
    """Everything measured about one stage over one or more generations."""

    stage: str
    latency: Latency
    memory: Memory
    throughput: Throughput | None = None
    #: "stage" for a part of the wall time, "total" for the end-to-end record the stages add up to.
    kind: str = "stage"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.latency.total

    @property
    def calls(self) -> int:
        return self.latency.calls

    @classmethod
    def aggregate(cls, records: Iterable[StageRecord]) -> StageRecord:
        items = list(records)
        names = {r.stage for r in items}
        if len(names) != 1:
            raise ValueError(f"StageRecord.aggregate: records of different stages {sorted(names)}")
        throughputs = [r.throughput for r in items if r.throughput is not None]
        return cls(stage=items[0].stage, latency=Latency.aggregate(r.latency for r in items),
                   memory=Memory.aggregate(r.memory for r in items),
                   throughput=Throughput.aggregate(throughputs) if throughputs else None, kind=items[0].kind,
                   extra={k: v for r in items for k, v in r.extra.items()})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"stage": self.stage, "kind": self.kind, **self.latency.summary(),
                               **self.memory.to_dict(), "durations_s": list(self.latency.values)}
        if self.throughput is not None:
            out.update(units=self.throughput.units, unit=self.throughput.unit,
                       throughput=self.throughput.per_second, throughput_unit=f"{self.throughput.unit}/s")
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageRecord:
        throughput = None
        if data.get("unit") is not None:
            throughput = Throughput(int(data["units"]), str(data["unit"]), float(data["seconds"]))
        known = {"stage", "kind", "seconds", "calls", "mean_s", "stdev_s", "p50_s", "p90_s", "min_s", "max_s",
                 "memory_device", "peak_allocated_bytes", "peak_reserved_bytes", "peak_rss_bytes", "durations_s",
                 "units", "unit", "throughput", "throughput_unit"}
        return cls(stage=str(data["stage"]), latency=Latency.from_values(data["durations_s"]),
                   memory=Memory(str(data["memory_device"]), data.get("peak_allocated_bytes"),
                                 data.get("peak_reserved_bytes"), data.get("peak_rss_bytes")),
                   throughput=throughput, kind=str(data.get("kind", "stage")),
                   extra={k: v for k, v in data.items() if k not in known})
