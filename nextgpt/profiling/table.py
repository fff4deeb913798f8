"""Plain-text tables of measured stage records and of meta-device predictions (side by side when both exist)."""

from __future__ import annotations

from nextgpt.profiling.prediction import Prediction
from nextgpt.profiling.records import StageRecord

_MIB = 2 ** 20
_GIB = 2 ** 30


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / _MIB:.1f}"


def measured_table(records: dict[str, StageRecord], prediction: Prediction | None = None, generations: int = 1
                   ) -> str:
    """One row per stage: calls, seconds, share of the end-to-end time, mean per call, throughput, peaks; with a
    prediction (of one ``generate`` call, ``generations`` of which were measured), its FLOPs, the achieved
    FLOP rate and the predicted memory while the stage runs beside them."""
    total = sum(r.seconds for r in records.values() if r.kind == "stage") or 1.0
    header = ["stage", "calls", "seconds", "share", "mean ms", "throughput", "peak alloc MiB", "peak RSS MiB"]
    if prediction is not None:
        header += ["pred GFLOP", "GFLOP/s", "pred peak MiB"]
    rows = [header]
    for name, record in records.items():
        throughput = record.throughput
        rate = throughput.per_second if throughput is not None else None
        row = [name, str(record.calls), f"{record.seconds:.4f}",
               f"{100 * record.seconds / total:.1f}%" if record.kind == "stage" else "100%",
               f"{1000 * record.latency.mean:.2f}",
               "-" if rate is None or throughput is None else f"{rate:.1f} {throughput.unit}/s",
               _mib(record.memory.peak_allocated_bytes), _mib(record.memory.peak_rss_bytes)]
        if prediction is not None:
            predicted = prediction.stages.get(name)
            flops = prediction.total_flops if name == "end_to_end" else predicted.flops if predicted else None
            peak = prediction.peak_bytes if name == "end_to_end" else \
                prediction.stage_peak_bytes(name) if predicted else None
            row += ["-" if flops is None else f"{flops / 1e9:.3f}",
                    "-" if flops is None or not record.seconds else
                    f"{flops * generations / 1e9 / record.seconds:.1f}", _mib(peak)]
        rows.append(row)
    return _format(rows)


def prediction_table(prediction: Prediction) -> str:
    rows = [["stage", "calls", "GFLOP", "activations MiB", "weights MiB"]]
    for stage in prediction.stages.values():
        rows.append([stage.stage, str(stage.calls), f"{stage.flops / 1e9:,.1f}",
                     f"{stage.activation_peak_bytes / _MIB:,.1f}", f"{stage.weights_bytes / _MIB:,.1f}"])
    rows.append(["total", "", f"{prediction.total_flops / 1e9:,.1f}", "", ""])
    settings = prediction.settings
    lines = [f"preset {prediction.preset}, dtype {settings.dtype}, batch {settings.batch_size}, "
             f"prompt {prediction.prompt_tokens} tokens, {settings.new_tokens} new tokens, inputs "
             f"{','.join(settings.inputs) or '-'}, outputs {','.join(settings.outputs) or '-'}", "",
             _format(rows), "",
             "weights (all resident):"]
    lines += [f"  {name:26s} {value / _GIB:8.2f} GiB" for name, value in prediction.weights_bytes.items()]
    lines += [f"  {'total':26s} {prediction.total_weights_bytes / _GIB:8.2f} GiB",
              f"KV cache at {prediction.prompt_tokens + settings.new_tokens} tokens: "
              f"{prediction.kv_cache_bytes / _MIB:,.1f} MiB",
              f"predicted peak (weights + largest stage activations): {prediction.peak_bytes / _GIB:.2f} GiB"]
    return "\n".join(lines)


def _format(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                               enumerate(zip(row, widths, strict=True))).rstrip() for row in rows)
