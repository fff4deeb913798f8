"""Reading the per-stage records of ``ResultsStore.stage_timings`` (written by nextgpt.profiling's
``StageRecord.to_dict``: ``seconds``, ``calls``, latency summary, ``peak_allocated_bytes`` on CUDA or
``peak_rss_bytes`` on CPU...).  Only what is present is used; an absent key is "not measured"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: first present wins: device memory when measured, else process RSS
MEMORY_KEYS = ("peak_memory_bytes", "peak_allocated_bytes", "peak_rss_bytes")
#: shown in their own columns, or not worth a table cell (every duration, the other memory figures)
SHOWN_KEYS = frozenset({"stage", "kind", "seconds", "calls", "durations_s", "mean_s", "stdev_s", "min_s", "max_s",
                        "p50_s", "p90_s", "position",
                        "units", "unit", "throughput", "throughput_unit", "peak_reserved_bytes", *MEMORY_KEYS})


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


#: the profiler's record of a generation's time that no named stage covers
OTHER_STAGE = "other"


def stage_order(stages: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Stage names in display order, for any stage names (NExT-GPT's or an adapter's own): the stages in the
    order the profiler first ran them (their ``position``; records without one follow, in the order given --
    alphabetical from the results store), ``other`` after them, then the totals (kind "total": ``end_to_end``)."""
    def key(item: tuple[int, str]) -> tuple[bool, bool, float, int]:
        index, name = item
        record = stages[name]
        position = number(record.get("position"))
        return (record.get("kind") == "total", name == OTHER_STAGE,
                position if position is not None else float("inf"), index)

    return [name for _, name in sorted(enumerate(stages), key=key)]


def seconds_per_call(record: dict[str, Any]) -> float | None:
    seconds, calls = number(record.get("seconds")), number(record.get("calls"))
    if seconds is None:
        return None
    return seconds / calls if calls else seconds


def peak_memory(record: dict[str, Any]) -> tuple[str, float] | None:
    """-> (which key, bytes) of the first memory figure present."""
    for key in MEMORY_KEYS:
        value = number(record.get(key))
        if value is not None:
            return key, value
    return None


def other_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in SHOWN_KEYS}


def latency_summary(record: dict[str, Any]) -> str:
    """``p50 0.03 s, p90 0.04 s`` from the profiler's summary keys (empty when absent)."""
    parts = [f"{name} {number(record.get(key)):.3g} s" for name, key in (("p50", "p50_s"), ("p90", "p90_s"))
             if number(record.get(key)) is not None]
    return ", ".join(parts)


def throughput(record: dict[str, Any]) -> str:
    value = number(record.get("throughput"))
    return "" if value is None else f"{value:.3g} {record.get('throughput_unit') or '/s'}"
