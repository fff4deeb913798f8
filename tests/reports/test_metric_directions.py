"""compare, gate, the HTML report and the leaderboard take each metric's direction and pairing from the metric
registry (benchmarks/scoring/registry.py), not from a table of their own: flipping a registered direction flips
every verdict and arrow.  Runs are typed snapshot files written by ``write_snapshot`` (no model)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from report_helpers import cli

from benchmarks.scoring import registry
from benchmarks.store import StoredMetric
from metrics.provenance import ConfidenceInterval, MetricResult, Provenance
from reports.rundata import RunData

SAMPLES = ["s0", "s1", "s2", "s3", "s4", "s5"]


def _run(folder: Path, name: str, scores: list[float]) -> Path:
    """A t2v run whose signal_rate is the mean of ``scores`` (one per sample), written as a snapshot."""
    from reports.run_files import write_snapshot

    provenance = Provenance(metric="signal_rate", n_samples=len(scores), seed=0,
                            settings=(("definition", "fraction asked for"),))
    mean = sum(scores) / len(scores)
    result = MetricResult("signal_rate", mean, provenance, ConfidenceInterval(mean, mean, 0.95, 10, 0))
    run = RunData(run_id=name, info={"settings": {"tasks": ["t2v"], "extractors": "toy", "bootstrap": 10}},
                  metrics={("t2v", "signal_rate"): StoredMetric("t2v", result, len(scores))},
                  sample_scores={"t2v": {"signal_rate": dict(zip(SAMPLES, scores, strict=True))}},
                  sample_ids={"t2v": frozenset(SAMPLES)}, stage_timings={}, source=name)
    return write_snapshot(run, folder / f"{name}.json")


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    return _run(tmp_path, "high", [1.0] * 6), _run(tmp_path, "low", [0.0, 0.0, 0.0, 0.0, 0.0, 1.0])


@pytest.fixture
def lower_is_better(monkeypatch: pytest.MonkeyPatch) -> None:
    """signal_rate registered the other way round (lower is better)."""
    spec = registry.metric_spec("signal_rate")
    monkeypatch.setitem(registry._METRICS, "signal_rate", dataclasses.replace(spec, higher_is_better=False))


def _verdicts(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> tuple[str, int, str]:
    high, low = runs
    code, out, err = cli(["compare", str(high), str(low), "--json", "--bootstrap", "200"], capsys)
    assert code == 0, err
    compare = json.loads(out)["rows"][0]["verdict"]
    gate, text, _ = cli(["gate", str(low), "--baseline", str(high), "--bootstrap", "200"], capsys)
    return compare, gate, text


def test_registered_direction_decides_compare_and_gate(runs: tuple[Path, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    compare, gate, text = _verdicts(runs, capsys)
    assert (compare, gate) == ("B worse", 1), text
    assert "signal_rate ↑" in text


def test_flipped_direction_flips_compare_gate_and_tables(runs: tuple[Path, Path], lower_is_better: None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from leaderboards.board import build_leaderboard
    from reports.run_files import load_file

    compare, gate, text = _verdicts(runs, capsys)
    assert (compare, gate) == ("B better", 0), text
    assert "signal_rate ↓" in text
    board = build_leaderboard([load_file(path) for path in runs], include_paper=False)
    assert list(board.wide().columns) == ["t2v signal_rate ↓"]


def test_registered_pairing_decides_the_paired_interval(runs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    spec = registry.metric_spec("signal_rate")
    monkeypatch.setitem(registry._METRICS, "signal_rate", dataclasses.replace(spec, pairing="none"))
    high, low = runs
    code, out, _ = cli(["compare", str(high), str(low), "--json"], capsys)
    row = json.loads(out)["rows"][0]
    assert code == 0 and row["ci"] is None and row["verdict"] == "no paired CI"
    assert "signal_rate is a set statistic" in row["note"]
