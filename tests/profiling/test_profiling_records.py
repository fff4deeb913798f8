"""Typed records: aggregation, summaries and the JSON round trip the results store keeps."""

from __future__ import annotations

import pytest

from nextgpt.profiling.records import Latency, Memory, StageRecord, Throughput


def test_latency_summary_and_aggregate() -> None:
    latency = Latency.from_values([0.1, 0.3, 0.2])
    assert latency.calls == 3 and latency.total == pytest.approx(0.6) and latency.mean == pytest.approx(0.2)
    assert latency.percentile(0.5) == pytest.approx(0.2) and latency.percentile(0.9) == pytest.approx(0.28)
    merged = Latency.aggregate([latency, Latency.from_values([1.0])])
    assert merged.calls == 4 and merged.summary()["max_s"] == 1.0
    with pytest.raises(ValueError):
        Latency.from_values([-1.0])


def test_memory_aggregate_keeps_the_largest_of_each_figure() -> None:
    merged = Memory.aggregate([Memory("cpu", 10, None, 100), Memory("cpu", 5, None, 300)])
    assert merged == Memory("cpu", 10, None, 300)


def test_throughput_aggregates_units_over_seconds() -> None:
    total = Throughput.aggregate([Throughput(10, "tokens", 1.0), Throughput(30, "tokens", 1.0)])
    assert total.per_second == 20.0
    with pytest.raises(ValueError):
        Throughput.aggregate([Throughput(1, "tokens", 1.0), Throughput(1, "steps", 1.0)])


def test_stage_record_round_trips_through_json() -> None:
    record = StageRecord("llm_decode", Latency.from_values([0.01, 0.02]), Memory("cpu", 1, None, 2),
                         Throughput(2, "tokens", 0.03), extra={"note": "x"})
    data = record.to_dict()
    assert {"seconds", "calls", "peak_allocated_bytes", "peak_rss_bytes", "throughput", "throughput_unit"} <= set(data)
    assert data["throughput_unit"] == "tokens/s" and data["calls"] == 2
    assert StageRecord.from_dict(data) == record
