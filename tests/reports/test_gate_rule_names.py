"""Gate rules naming tasks, metrics or stages the gate never judges are refused (exit 2) with the unknown and the
valid names (metrics: the registry's): a typo used to switch the rule off and the gate passed.  Runs are snapshot
files in the untyped format /1 (no model), which keeps reading through the store's legacy conversion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_helpers import cli

SAMPLES = ["s0", "s1", "s2", "s3"]
SIGNAL = {"s0": 1.0, "s1": 0.0, "s2": 1.0, "s3": 1.0}


def _snapshot(path: Path, stages: dict[str, Any] | None = None) -> Path:
    metric = {"task": "t2i", "metric": "signal_rate", "value": 0.75, "ci": None, "n": 4,
              "provenance": {"metric": "signal_rate", "definition": "fraction of samples..."}}
    path.write_text(json.dumps({
        "format": "nextgpt-bench-snapshot/1", "run_id": path.stem, "source": str(path),
        "info": {"status": "complete", "settings": {"tasks": ["t2i"], "extractors": "toy"}},
        "metrics": [metric], "sample_scores": {"t2i": {"signal_rate": SIGNAL}},
        "sample_ids": {"t2i": SAMPLES}, "stage_timings": stages or {}}), encoding="utf-8")
    return path


def _gate(tmp_path: Path, capsys: pytest.CaptureFixture[str], rules: Any,
          stages: dict[str, Any] | None = None) -> tuple[int, str, str]:
    baseline, current = _snapshot(tmp_path / "baseline.json", stages), _snapshot(tmp_path / "current.json", stages)
    path = tmp_path / "rules.json"
    path.write_text(rules if isinstance(rules, str) else json.dumps(rules), encoding="utf-8")
    return cli(["gate", str(current), "--baseline", str(baseline), "--rules", str(path), "--bootstrap", "50"], capsys)


def test_valid_rules_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = {"t2i/signal_rate": {"tolerance_abs": 0.1}, "signal_rate": {"significance": True}, "*": {"ignore": True}}
    code, out, err = _gate(tmp_path, capsys, {"metrics": rules})
    assert code == 0 and "PASS" in out, err


def test_unknown_metric_of_a_task_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: this rule was ignored and the gate passed (exit 0)."""
    code, out, err = _gate(tmp_path, capsys, {"metrics": {"t2i/nonexistent_metric": {"tolerance_abs": 0.0}}})
    assert code == 2 and not out
    assert f"rules file {tmp_path / 'rules.json'} names what the gate would never judge" in err
    assert "metrics.t2i/nonexistent_metric: unknown metric 'nonexistent_metric' (registered metrics: " in err
    assert _registered_names() in err, "every registered metric is named, from the registry"
    assert "valid metric keys: t2i/signal_rate, signal_rate, *" in err


def _registered_names() -> str:
    from benchmarks.scoring.registry import registered_metrics

    return ", ".join(sorted({name for spec in registered_metrics() for name in spec.stored_names}))


def test_registered_metric_a_task_does_not_declare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _gate(tmp_path, capsys, {"metrics": {"t2i/clipsim": {"ignore": True}, "kid_mean": {"ignore": True},
                                                        "signal_rate": {"ignore": True}}})
    assert code == 2
    assert ("metrics.t2i/clipsim: task t2i has no metric 'clipsim' (its metrics: fid, clip_score, signal_rate, "
            "signal_exact, attribute_accuracy, colour_accuracy, shape_accuracy, size_accuracy, position_accuracy, "
            "background_accuracy)") in err
    assert "metrics.kid_mean: metric 'kid_mean' is registered, but no registered task declares it" in err


@pytest.mark.parametrize("key, message", [
    ("t2x/fid", "metrics.t2x/fid: unknown task 't2x' (registered tasks: caption-audio, caption-image"),
    ("fidd", "metrics.fidd: unknown metric 'fidd' (registered metrics: attribute_accuracy, audio_turn_accuracy, "
             "background_accuracy, bleu1"),
    ("t2i/fid", "metrics.t2i/fid: task t2i declares fid, but the baseline run has no t2i/fid to gate"),
    ("clipsim", "metrics.clipsim: the baseline run has no clipsim in any task to gate"),
    # KID is registered as kid but stored as kid_mean / kid_std: a rule on kid would gate nothing
    ("kid", "metrics.kid: metric 'kid' is stored as kid_mean, kid_std, so a rule on 'kid' would gate nothing: "
            "use kid_mean / kid_std"),
    ("t2i/kid", "metrics.t2i/kid: metric 'kid' is stored as kid_mean, kid_std, so a rule on 'kid' would gate "
                "nothing: use kid_mean / kid_std"),
    ("psnr", "metrics.psnr: unknown metric 'psnr' (registered metrics: "),
    ("psnr", "is the extension that registers it installed? extensions are the nextgpt_bench.plugins entry points"),
])
def test_every_unmatched_metric_key_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str,
                                             message: str) -> None:
    code, _, err = _gate(tmp_path, capsys, {"metrics": {key: {"ignore": True}, "signal_rate": {"ignore": True}}})
    assert code == 2 and message in err, err


def test_stage_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _gate(tmp_path, capsys, {"stages": {"t2x/decode.image": {"seconds_rel": 1.0}}})
    assert code == 2 and "stages.t2x/decode.image: unknown task 't2x'" in err
    stages = {"t2i": {"decode.image": {"seconds": 1.0, "calls": 4}}}
    code, _, err = _gate(tmp_path, capsys, {"stages": {"t2i/decode.imgae": {"seconds_rel": 1.0}}}, stages)
    assert code == 2 and "stages.t2i/decode.imgae: the baseline run has no stage 'decode.imgae' for task t2i" in err
    assert "valid stage keys: t2i/decode.image, decode.image, *" in err
    code, _, err = _gate(tmp_path, capsys, {"stages": {"decode.image": {"seconds_rel": 1.0}}}, stages)
    assert code == 0, err


@pytest.mark.parametrize("rules, message", [
    ('{"metrics": {"signal_rate": {"ignore": true}, "signal_rate": {"tolerance_abs": 0}}}',
     "an object repeats the key(s) 'signal_rate'"),
    ({"metrics": {"signal_rate": {"significance": "yes"}}}, "significance must be true or false, not 'yes'"),
    ({"metrics": {"signal_rate": {"tolerance_abs": True}}}, "tolerance_abs must be a finite number >= 0, not True"),
    ({"metric": {}}, "unknown section(s) metric"),
    ([], "expected an object with \"metrics\" and/or \"stages\", got list"),
])
def test_malformed_rules_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], rules: Any, message: str) -> None:
    code, _, err = _gate(tmp_path, capsys, rules)
    assert code == 2 and message in err and str(tmp_path / "rules.json") in err, err


def test_binary_rules_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline, current = _snapshot(tmp_path / "baseline.json"), _snapshot(tmp_path / "current.json")
    rules = tmp_path / "rules.json"
    rules.write_bytes("{}".encode("utf-16"))
    code, _, err = cli(["gate", str(current), "--baseline", str(baseline), "--rules", str(rules)], capsys)
    assert code == 2 and f"rules file {rules} is not UTF-8 text" in err
