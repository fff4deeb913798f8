"""gate: fails on a degraded checkpoint, passes on the identical one, 2 on unusable input; speed rules; pytest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import TinyRuns, cli


def test_identical_checkpoint_passes(tiny_runs: TinyRuns, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["gate", tiny_runs.same, "--baseline", tiny_runs.base, "--store",
                        str(tiny_runs.store_dir), "--set-groups", "4"], capsys)
    assert code == 0, out
    assert "PASS" in out.splitlines()[0]


def test_degraded_checkpoint_fails(tiny_runs: TinyRuns, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["gate", tiny_runs.degraded, "--baseline", tiny_runs.base, "--store",
                        str(tiny_runs.store_dir), "--set-groups", "4"], capsys)
    assert code == 1, out
    assert "FAIL: " in out.splitlines()[0]
    failing = out.split("all checks:")[0]
    assert any(line.startswith("FAIL") and "signal_rate" in line and "significantly worse" in line
               for line in failing.splitlines()), out


def test_tolerance_rules(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"metrics": {"signal_rate": {"tolerance_abs": 1.0}, "*": {"ignore": True}}}))
    code, out, _ = cli(["gate", tiny_runs.degraded, "--baseline", tiny_runs.base, "--store",
                        str(tiny_runs.store_dir), "--rules", str(rules)], capsys)
    assert code == 0, out  # a drop of 0.75 is within an absolute tolerance of 1
    rules.write_text(json.dumps({"metrics": {"t2v/signal_rate": {"tolerance_rel": 0.5}, "*": {"ignore": True}}}))
    code, out, _ = cli(["gate", tiny_runs.degraded, "--baseline", tiny_runs.base, "--store",
                        str(tiny_runs.store_dir), "--rules", str(rules)], capsys)
    assert code == 1 and "worse than the tolerance" in out


def test_unusable_input_exits_2(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tiny_runs.store_dir)
    code, _, err = cli(["gate", tiny_runs.same, "--baseline", "missing-run", "--store", store], capsys)
    assert code == 2 and "no run 'missing-run'" in err
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"metrics": {"fid": {"tolerance": 1}}}))
    code, _, err = cli(["gate", tiny_runs.same, "--baseline", tiny_runs.base, "--store", store, "--rules",
                        str(rules)], capsys)
    assert code == 2 and "metrics.fid has unknown field(s) tolerance" in err
    code, _, err = cli(["gate", tiny_runs.same, "--store", store], capsys)
    assert code == 2 and "--baseline" in err


def _with_stages(path: Path, seconds: float, rss: int) -> None:
    data = json.loads(path.read_text())
    data["stage_timings"] = {"t2v": {"decode.video": {"seconds": seconds, "calls": 4, "peak_rss_bytes": rss}}}
    path.write_text(json.dumps(data))


def test_speed_and_memory_rules(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline, current = tmp_path / "baseline.json", tmp_path / "current.json"
    for path, run in ((baseline, tiny_runs.base), (current, tiny_runs.same)):
        assert cli(["gate", run, "--store", str(tiny_runs.store_dir), "--write-baseline", str(path)], capsys)[0] == 0
    _with_stages(baseline, 1.0, 100 * 2**20)
    _with_stages(current, 1.2, 105 * 2**20)
    code, out, _ = cli(["gate", str(current), "--baseline", str(baseline)], capsys)
    assert code == 0 and "seconds/call" in out, out  # defaults: 2x time, +10% memory
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"stages": {"t2v/decode.video": {"seconds_rel": 0.1, "memory_rel": 0.01}}}))
    code, out, _ = cli(["gate", str(current), "--baseline", str(baseline), "--rules", str(rules)], capsys)
    failing = out.split("all checks:")[0]
    assert code == 1 and "seconds/call grew beyond the tolerance" in failing
    assert "peak memory (peak_rss_bytes)" in failing


def test_pytest_plugin(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline = tmp_path / "baseline.json"
    assert cli(["gate", tiny_runs.base, "--store", str(tiny_runs.store_dir), "--write-baseline", str(baseline)],
               capsys)[0] == 0
    (tmp_path / "test_nothing.py").write_text("def test_ok():\n    pass\n")
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

    def session(run: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "reports.pytest_gate", "-p",
                               "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path / "test_nothing.py"),
                               "--gate-baseline", str(baseline), "--gate-store", str(tiny_runs.store_dir),
                               "--gate-run", run, "--gate-set-groups", "4"],
                              capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=300, check=False)

    passed, failed = session(tiny_runs.same), session(tiny_runs.degraded)
    assert passed.returncode == 0 and "nextgpt-bench gate" in passed.stdout, passed.stdout[-3000:]
    assert failed.returncode == 1 and "FAIL" in failed.stdout and "signal_rate" in failed.stdout, \
        failed.stdout[-3000:]


def test_pytest_benchmark_json_as_baseline(tiny_runs: TinyRuns, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The shape benchmarks/test_bench_tasks.py writes with --benchmark-json: metrics only, no per-sample
    scores, so significance rules fall back to their tolerance and say why."""
    from reports.rundata import load_from_store

    run = load_from_store(tiny_runs.store(), tiny_runs.base)
    metrics = {m: r.value for (_, m), r in run.metrics.items()}
    extra = {"task": "t2v", "run_id": run.run_id, "n": 4, "metrics": metrics,
             "ci": {m: list(r.ci) if r.ci else None for (_, m), r in run.metrics.items()},
             "provenance": {m: r.result.to_dict() for (_, m), r in run.metrics.items()}}
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"machine_info": {"node": "ci"}, "benchmarks": [
        {"name": "test_task[t2v]", "extra_info": extra, "stats": {"mean": 0.5, "rounds": 4}},
        {"name": "test_fid_speed", "extra_info": {}, "stats": {"mean": 0.1, "rounds": 3}}]}))
    code, out, _ = cli(["gate", tiny_runs.same, "--baseline", str(path), "--store", str(tiny_runs.store_dir)],
                       capsys)
    assert code == 0 and "per-sample scores not stored" in out, out
    code, out, _ = cli(["gate", tiny_runs.degraded, "--baseline", str(path), "--store", str(tiny_runs.store_dir)],
                       capsys)
    assert code == 1 and "worse than the tolerance" in out, out


def _extension_metric(store_dir: Path, runs: tuple[str, ...]) -> None:
    """Give ``runs`` a t2v metric ``ext_rate`` (a copy of signal_rate) that only the fake extension registers."""
    import sqlite3

    db = sqlite3.connect(store_dir / "results.sqlite")
    with db:
        for run in runs:
            row = db.execute("SELECT * FROM metric_values WHERE run_id=? AND task='t2v' AND metric='signal_rate'",
                             (run,)).fetchone()
            result = json.loads(row[7])
            result["name"] = "ext_rate"
            result.pop("qualified_name", None)
            db.execute("INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (run, "t2v", "ext_rate", *row[3:7], json.dumps(result)))
            db.execute("INSERT INTO sample_scores SELECT run_id, task, sample_id, 'ext_rate', value FROM "
                       "sample_scores WHERE run_id=? AND task='t2v' AND metric='signal_rate'", (run,))
    db.close()


def test_pytest_plugin_loads_extensions(tiny_runs: TinyRuns, tmp_path: Path) -> None:
    """A run scored with an extension's metric is gated from pytest as from the CLI: the gate plugin imports the
    nextgpt_bench.plugins entry points first; without the extension, the error says which group to install."""
    import shutil

    store_dir = tmp_path / "store"
    shutil.copytree(tiny_runs.store_dir, store_dir)
    _extension_metric(store_dir, (tiny_runs.base, tiny_runs.same))
    site = tmp_path / "site"
    (site / "fake_gate_ext-0.1.dist-info").mkdir(parents=True)
    (site / "fake_gate_ext-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-gate-ext\n"
                                                                    "Version: 0.1\n")
    (site / "fake_gate_ext-0.1.dist-info" / "entry_points.txt").write_text(
        "[nextgpt_bench.plugins]\nfake_gate_ext = fake_gate_ext\n")
    (site / "fake_gate_ext.py").write_text(
        "from benchmarks.scoring.computation import PerSampleMetric\n"
        "from benchmarks.scoring.metric_spec import MetricSpec\n"
        "from benchmarks.scoring.registry import register_metric\n"
        "register_metric(MetricSpec(name='ext_rate', higher_is_better=True, outputs=frozenset({'video'}),\n"
        "    granularity='per-sample', pairing='per-sample', description='an extension metric',\n"
        "    compute=PerSampleMetric(lambda item: 1.0, 'always 1')))\n")
    (tmp_path / "test_nothing.py").write_text("def test_ok():\n    pass\n")

    def session(*paths: Path) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                       "PYTHONPATH": os.pathsep.join([*map(str, paths), os.environ.get("PYTHONPATH", "")])}
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "reports.pytest_gate", "-p",
                               "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path / "test_nothing.py"),
                               "--gate-baseline", tiny_runs.base, "--gate-store", str(store_dir),
                               "--gate-run", tiny_runs.same, "--gate-set-groups", "0"],
                              capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=300, check=False)

    without = session()
    assert without.returncode == 4, without.stdout[-3000:]
    assert "unknown metric 'ext_rate'" in without.stdout and "nextgpt_bench.plugins" in without.stdout
    assert "is the extension that registers it installed?" in without.stdout
    gated = session(site)
    assert gated.returncode == 0, gated.stdout[-3000:]
    assert "PASS" in gated.stdout and "ext_rate" in gated.stdout
