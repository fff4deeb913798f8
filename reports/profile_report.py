"""HTML page of one ``nextgpt-bench profile`` measurement with the meta-device prediction beside it.

Input is the JSON that ``profile --json`` prints (measured ``stages`` as ``StageRecord.to_dict`` and, when
predicted, ``prediction`` as ``Prediction.to_dict``), so the page can be rebuilt from a saved file.  Per stage:
measured time, calls, throughput and peak memory; predicted FLOPs, activation peak and weights; the FLOP rate the
measurement implies.  Memory is compared only where both sides count the same thing: on CUDA the allocator's
peak against predicted weights + activations; on CPU the measured figure is the process RSS (Python, torch and
every buffer), so it is shown but marked as not comparable.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from reports.html_page import esc, fmt, page, table
from reports.stage_records import number, peak_memory, stage_order

_MIB = 2 ** 20


def _mib(value: float | None) -> str:
    return "n/a" if value is None else esc(f"{value / _MIB:,.1f}")


def _memory_note(device: str) -> str:
    if device.startswith("cuda"):
        return ("Memory: measured = torch.cuda max allocated during the stage; predicted = all weights resident + "
                "the stage's activation peak (+ the KV cache for LLM stages). Allocator fragmentation and the "
                "CUDA context are not in the prediction.")
    return ("Memory: measured on CPU is the process RSS peak (Python, torch, every buffer), predicted is "
            "weights + activations in the model's dtype: <strong>not comparable</strong>; the GPU columns "
            "appear when profiling with --device cuda.")


def profile_rows(profile: dict[str, Any]) -> list[list[str]]:
    """Table rows (HTML cells) joining measured records and predicted stages on the stage name."""
    prediction = profile.get("prediction") or {}
    predicted_stages: dict[str, Any] = prediction.get("stages", {})
    rounds = max(len(profile.get("wall_seconds") or []), 1)
    stage_peaks: dict[str, Any] = prediction.get("stage_peak_bytes", {})
    rows = []
    for name in stage_order(profile["stages"]):
        record = profile["stages"][name]
        stage = predicted_stages.get(name)
        seconds = number(record.get("seconds"))
        flops = number(prediction.get("total_flops")) if name == "end_to_end" and prediction else \
            number(stage.get("flops")) if stage else None
        measured_memory = peak_memory(record)
        predicted_peak = number(prediction.get("peak_bytes")) if name == "end_to_end" and prediction else \
            number(stage_peaks.get(name))
        rate = flops * rounds / seconds if flops is not None and seconds else None
        rows.append([
            esc(name), esc(record.get("calls", "")), fmt(seconds), esc(
                f"{number(record.get('throughput')):.4g} {record.get('throughput_unit', '')}"
                if number(record.get("throughput")) is not None else "n/a"),
            _mib(measured_memory[1] if measured_memory else None),
            esc(measured_memory[0].replace("_bytes", "").replace("_", " ") if measured_memory else ""),
            fmt(flops / 1e9 if flops is not None else None), _mib(predicted_peak),
            fmt(rate / 1e9 if rate is not None else None)])
    return rows


def render_profile_report(profile: dict[str, Any], out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` and ``out_dir/profile.json``; returns the page."""
    if "stages" not in profile:
        raise ValueError("profile JSON has no 'stages' (expected the output of `nextgpt-bench profile --json`)")
    device = str(profile.get("device", "?"))
    prediction = profile.get("prediction")
    header = ["stage", "calls", "measured s", "throughput", "measured peak MiB", "memory figure",
              "predicted GFLOP", "predicted peak MiB", "achieved GFLOP/s"]
    settings = ", ".join(f"{esc(k)} {esc(v)}" for k, v in (
        ("preset", profile.get("preset")), ("adapter", profile.get("adapter")), ("source", profile.get("source")),
        ("device", device), ("dtype", profile.get("dtype")), ("batch", profile.get("batch_size")),
        ("rounds", len(profile.get("wall_seconds") or [])), ("options", profile.get("options")))
        if v is not None)
    coverage = number(profile.get("coverage"))
    body = [f"<h1>Per-stage profile: measured and predicted</h1><p>{settings}</p>",
            f"<p>Stages cover {fmt(100 * coverage if coverage is not None else None, 4)}% of the wall time of "
            "the profiled generate calls.</p>",
            table(header, profile_rows(profile), numeric={2, 4, 6, 7, 8})]
    if prediction is None:
        why = ("predictions are made for NExT-GPT presets only" if profile.get("adapter")
               else "run with --compare, the default on CUDA")
        body.append(f"<p>No prediction in this profile ({why}).</p>")
    else:
        body.append(f"<p class=\"small\">Predicted on the meta device for the measured shapes (batch "
                    f"{esc(prediction['settings'].get('batch_size'))}, prompt {esc(prediction.get('prompt_tokens'))} "
                    f"tokens, {esc(prediction['settings'].get('new_tokens'))} new tokens). Achieved GFLOP/s = "
                    "predicted FLOPs x generations / measured seconds.</p>")
    body.append(f"<p class=\"small\">{_memory_note(device)}</p>")
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(out_dir / "profile.json", json.dumps(profile, indent=2))
    index = out_dir / "index.html"
    _write_atomically(index, page("nextgpt-bench profile", "\n".join(body)))
    return index


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
