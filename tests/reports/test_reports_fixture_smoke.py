"""The shared runs are what the other tests assume (so a failure there points here first)."""

from __future__ import annotations

from report_helpers import TinyRuns


def test_degraded_checkpoint_really_regresses(tiny_runs: TinyRuns) -> None:
    store = tiny_runs.store()
    values = {run: {(v.task, v.metric): v.value for v in store.metric_values(run)}
              for run in (tiny_runs.base, tiny_runs.same, tiny_runs.degraded)}
    assert values[tiny_runs.base] == values[tiny_runs.same]
    assert values[tiny_runs.base][("t2v", "signal_rate")] >= 0.5
    assert values[tiny_runs.degraded][("t2v", "signal_rate")] == 0.0
