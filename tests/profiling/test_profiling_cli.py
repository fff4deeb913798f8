"""``nextgpt-bench profile``: the measured table, the meta-device prediction, and a user error."""

from __future__ import annotations

import json
from typing import Any

from benchmarks.cli import main


def test_profile_prints_every_stage_of_the_requested_outputs(capsys: Any) -> None:
    code = main(["profile", "--preset", "tiny", "--inputs", "image", "--outputs", "audio", "--warmup", "0",
                 "--max-new-tokens", "3", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["device"] == "cpu" and data["dtype"] == "float32" and data["options"]["kv_cache"] is True
    assert {"encode", "llm_prefill", "decoder.audio.unet", "decoder.audio.vocoder", "other", "end_to_end"} <= set(
        data["stages"])
    assert abs(data["coverage"] - 1.0) < 0.05


def test_profile_predict_needs_no_weights(capsys: Any) -> None:
    assert main(["profile", "--predict", "--preset", "tiny-legacy", "--outputs", "image", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    assert "decoder.image.unet" in out and "KV cache" in out and "predicted peak" in out


def test_cpu_offload_on_cpu_is_a_user_error(capsys: Any) -> None:
    assert main(["profile", "--preset", "tiny", "--cpu-offload"]) == 2
    assert "--cpu-offload needs --device cuda" in capsys.readouterr().err


def test_profile_predict_reads_the_preset_and_dtype_of_a_model_config(tmp_path: Any, capsys: Any) -> None:
    config = tmp_path / "model.json"
    config.write_text(json.dumps({"preset": "tiny-legacy", "dtype": "bfloat16"}))
    assert main(["profile", "--predict", "--model-config", str(config), "--outputs", "image", "--json"]) == 0
    prediction = json.loads(capsys.readouterr().out)
    assert prediction["preset"] == "tiny-legacy" and prediction["settings"]["dtype"] == "bfloat16"


def test_profile_predict_refuses_a_checkpoint_it_would_not_read(capsys: Any) -> None:
    assert main(["profile", "--predict", "--checkpoint", "tiny-trained"]) == 2
    assert "give --preset instead" in capsys.readouterr().err
