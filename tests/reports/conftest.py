"""Tiny-model runs shared by the report/compare/gate/leaderboard tests (built once per session, ~1 min).

* ``base``: the tiny model, saved as a checkpoint, run on ``TASKS``;
* ``same``: that checkpoint loaded and run again (every output from the cache: identical scores);
* ``degraded``: a copy whose trainable weights were damaged -- projections noised, and the signal-token rows
  of the output layer pointed away from the LLM's hidden states, so the model stops asking for a video on its
  own.  Projection noise alone barely moves the tiny model's scores (its decoders are random and nearly ignore
  their conditioning); the signal rows make the regression measurable: t2v signal_rate 0.75 -> 0 on 4 samples.
"""

from __future__ import annotations

import pytest
from report_helpers import TinyRuns, degrade, run_tasks


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> TinyRuns:
    from benchmarks.store import ResultsStore
    from nextgpt.model.building import build_model
    from nextgpt.model.checkpoint import load_checkpoint, save_checkpoint
    from nextgpt.model.presets import tiny

    root = tmp_path_factory.mktemp("report-runs")
    model = build_model(tiny())
    checkpoint, damaged_checkpoint = root / "checkpoint", root / "degraded-checkpoint"
    save_checkpoint(model, checkpoint)
    save_checkpoint(degrade(model), damaged_checkpoint)
    store = ResultsStore(root / "store")
    base = run_tasks(model, store, checkpoint)  # the model the checkpoint was saved from
    del model
    same = run_tasks(load_checkpoint(checkpoint), store, checkpoint)
    degraded = run_tasks(load_checkpoint(damaged_checkpoint), store, damaged_checkpoint)
    store.close()
    return TinyRuns(root / "store", base, same, degraded, checkpoint, damaged_checkpoint)
