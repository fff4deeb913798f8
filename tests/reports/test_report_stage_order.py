"""The report's stage table and latency bars list an adapter's stages in the order the profiler ran them
(``position``), ``other`` after them and ``end_to_end`` last -- not alphabetically, which put ``end_to_end`` first
and an adapter's ``vae_decode`` before its ``unet``."""

from __future__ import annotations

import re

from leaderboard_runs import default_suite_run

from reports.run_report import _latency_bars, _timings


def _stages() -> dict[str, dict[str, object]]:
    def record(position: int | None, seconds: float, kind: str = "stage") -> dict[str, object]:
        fields: dict[str, object] = {"seconds": seconds, "calls": 2, "kind": kind}
        if position is not None:
            fields["position"] = position
        return fields

    return {"end_to_end": record(None, 3.0, kind="total"), "other": record(3, 0.1), "text_encoder": record(0, 0.2),
            "unet": record(1, 2.0), "vae_decode": record(2, 0.7)}


def test_stages_are_listed_in_the_order_they_ran() -> None:
    run = default_suite_run()
    run.stage_timings.update({"t2i": _stages()})
    table = _timings(run)
    shown = re.findall(r"<td>t2i</td><td>([a-z_]+)</td>", table)
    assert shown == ["text_encoder", "unet", "vae_decode", "other", "end_to_end"]
    bars = _latency_bars(run, store=None)  # type: ignore[arg-type]  # profiled runs never read the store
    assert bars is not None
    assert [label for label, _, _ in bars[1]] == [f"t2i {stage}" for stage in shown]
