"""compare: paired bootstrap CIs on shared samples, no invented CI for set metrics, refusals that name the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_helpers import TinyRuns, cli


def test_identical_runs_compare_equal(tiny_runs: TinyRuns, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["compare", tiny_runs.base, tiny_runs.same, "--store", str(tiny_runs.store_dir),
                        "--bootstrap", "200", "--set-groups", "4", "--json"], capsys)
    assert code == 0
    rows = {(r["task"], r["metric"]): r for r in json.loads(out)["rows"]}
    assert set(rows) == {("t2v", m) for m in ("fid", "clipsim", "signal_rate", "signal_exact", "attribute_accuracy",
                                             "colour_accuracy", "shape_accuracy", "background_accuracy",
                                             "motion_accuracy")}
    for row in rows.values():
        assert row["difference"] == 0.0 and row["significant"] in (False, None)
    assert rows[("t2v", "clipsim")]["ci"] == [0.0, 0.0]
    # FID is a set statistic: its paired interval is recomputed from the feature rows both runs stored
    assert rows[("t2v", "fid")]["ci"] == [0.0, 0.0]
    assert "recomputed from the feature rows of toy stored when the runs were scored" in rows[("t2v", "fid")]["note"]
    assert "stored media" not in rows[("t2v", "fid")]["note"], "no media is re-read"


def test_run_stored_before_features_says_how_to_get_an_interval(tiny_runs: TinyRuns, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A run stored before schema 3 has no feature rows: its FID gets no paired interval, and the note names the
    command that does give one (there is no rescore command: rerunning makes a new, cached run with features)."""
    store = tiny_runs.copy_store(tmp_path / "store")
    with store.transaction() as db:  # what a run migrated from schema 2 looks like
        db.execute("DELETE FROM feature_sets WHERE run_id=?", (tiny_runs.base,))
    store.close()
    code, out, _ = cli(["compare", tiny_runs.base, tiny_runs.same, "--store", str(tmp_path / "store"), "--json",
                        "--set-groups", "4"], capsys)
    fid = next(r for r in json.loads(out)["rows"] if r["metric"] == "fid")
    assert code == 0 and fid["ci"] is None and fid["verdict"] == "no paired CI"
    assert f"run '{tiny_runs.base}' task 't2v' has no stored generated features of toy" in fid["note"]
    assert "rerun the same `nextgpt-bench run` command" in fid["note"]
    assert "generation cache" in fid["note"] and "rescore" not in fid["note"]
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"metrics": {"fid": {"significance": True}, "*": {"ignore": True}}}))
    code, out, _ = cli(["gate", tiny_runs.same, "--baseline", tiny_runs.base, "--store", str(tmp_path / "store"),
                        "--rules", str(rules), "--set-groups", "4"], capsys)
    assert code == 1 and "unjudgeable" in out and "rerun the same `nextgpt-bench run` command" in out, out
    assert "rescore" not in out


def test_set_metric_without_media_has_no_paired_interval(tiny_runs: TinyRuns, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = _snapshot(tiny_runs, tmp_path, capsys)
    code, out, _ = cli(["compare", tiny_runs.base, str(path), "--store", str(tiny_runs.store_dir), "--json"], capsys)
    fid = next(r for r in json.loads(out)["rows"] if r["metric"] == "fid")
    assert code == 0 and fid["ci"] is None and fid["verdict"] == "no paired CI"
    assert "a run comes from a file" in fid["note"], "said plainly, never made up from the two intervals"
    code, out, _ = cli(["compare", tiny_runs.base, tiny_runs.same, "--store", str(tiny_runs.store_dir), "--json",
                        "--set-groups", "0"], capsys)
    fid = next(r for r in json.loads(out)["rows"] if r["metric"] == "fid")
    assert fid["ci"] is None and "--set-groups is 0" in fid["note"]


def test_recomputed_fid_interval_is_reproducible(tiny_runs: TinyRuns) -> None:
    from reports.rundata import load_from_store
    from reports.set_pairing import paired_set_difference

    store = tiny_runs.store()
    a, b = load_from_store(store, tiny_runs.base), load_from_store(store, tiny_runs.degraded)
    first = paired_set_difference(a, b, "t2v", "fid", groups=4, seed=1, confidence=0.95)
    again = paired_set_difference(a, b, "t2v", "fid", groups=4, seed=1, confidence=0.95)
    assert first == again and first[0] is not None and first[1] == 4
    low, high = first[0]
    assert low <= high


def test_degraded_run_is_significantly_worse(tiny_runs: TinyRuns, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    code, out, _ = cli(["compare", tiny_runs.base, tiny_runs.degraded, "--store", str(tiny_runs.store_dir),
                        "--bootstrap", "500", "--set-groups", "4", "--html", str(tmp_path / "cmp")],
                       capsys)
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("t2v") and "signal_rate" in x)
    assert "B worse" in line, out
    html = (tmp_path / "cmp" / "index.html").read_text(encoding="utf-8")
    assert html.count("class=\"pair\"") == 4, "the same 4 samples of both runs side by side"
    assert "B worse" in html


def test_paired_interval_matches_a_direct_bootstrap(tiny_runs: TinyRuns) -> None:
    import numpy as np

    from metrics.bootstrap import bootstrap_mean
    from reports.pairing import paired_difference
    from reports.rundata import load_from_store

    store = tiny_runs.store()
    a, b = load_from_store(store, tiny_runs.base), load_from_store(store, tiny_runs.degraded)
    result = paired_difference(a, b, "t2v", "signal_rate", bootstrap=300, seed=3)
    per_a, per_b = a.sample_scores["t2v"]["signal_rate"], b.sample_scores["t2v"]["signal_rate"]
    ids = sorted(per_a)
    direct = bootstrap_mean(np.array([per_b[i] - per_a[i] for i in ids]), n_resamples=300, seed=3)
    assert result.ci == (direct.low, direct.high) and result.n_pairs == 4
    assert result.difference == pytest.approx(b.metrics[("t2v", "signal_rate")].value
                                              - a.metrics[("t2v", "signal_rate")].value)


def _snapshot(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "snapshot.json"
    code, _, _ = cli(["gate", tiny_runs.base, "--store", str(tiny_runs.store_dir), "--write-baseline", str(path)],
                     capsys)
    assert code == 0
    return path


def test_compare_refuses_mismatched_provenance(tiny_runs: TinyRuns, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = _snapshot(tiny_runs, tmp_path, capsys)
    data = json.loads(path.read_text())
    fid = next(m["result"] for m in data["metrics"] if m["result"]["name"] == "fid")
    fid["provenance"]["extractor"] = "inception-2015-12-05"
    fid["qualified_name"] = "fid[inception-2015-12-05]"
    tampered = tmp_path / "other-extractor.json"
    tampered.write_text(json.dumps(data))
    code, _, err = cli(["compare", tiny_runs.base, str(tampered), "--store", str(tiny_runs.store_dir)], capsys)
    assert code == 2
    assert "t2v/fid: provenance field 'extractor' differs ('toy' vs 'inception-2015-12-05')" in err
    code, out, _ = cli(["compare", tiny_runs.base, str(tampered), "--store", str(tiny_runs.store_dir),
                        "--skip-incomparable"], capsys)
    assert code == 0 and "refused: provenance field 'extractor' differs" in out
    assert "clipsim" in out


def test_compare_refuses_a_different_sample_set(tiny_runs: TinyRuns, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = _snapshot(tiny_runs, tmp_path, capsys)
    data = json.loads(path.read_text())
    data["sample_ids"]["t2v"] = [*data["sample_ids"]["t2v"][:3], "video-0099"]
    path.write_text(json.dumps(data))
    code, _, err = cli(["compare", tiny_runs.base, str(path), "--store", str(tiny_runs.store_dir)], capsys)
    assert code == 2 and "sample set differs" in err and "video-0099" in err


def test_compare_bad_input(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = cli(["compare", tiny_runs.base, str(broken), "--store", str(tiny_runs.store_dir)], capsys)
    assert code == 2 and "broken.json is not valid JSON" in err
    code, _, err = cli(["compare", tiny_runs.base, "nope", "--store", str(tiny_runs.store_dir)], capsys)
    assert code == 2 and "no run 'nope'" in err
