"""``nextgpt-bench profile``: per-stage latency, throughput and memory (measured), or FLOPs and memory
predicted on the meta device (``--predict``, no weights needed).

Any model the shared model flags load is measured: NExT-GPT in its own stages, any other model (an adapter,
``--model KIND:PATH``) in the stages it declares (``profiled_stages()``). An adapter is profiled on requests
within its capabilities: ``--inputs``/``--outputs`` default to what it reads and writes, and a modality it cannot
handle is refused by name. What exists for NExT-GPT only -- the meta-device prediction (``--predict``,
``--compare``) and the speed switches (``--no-kv-cache``, ``--attention-slicing``, ``--vae-slicing``,
``--cpu-offload``), which act on its LLM and decoders -- is refused for an adapter with the reason."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from nextgpt.core.modalities import MODALITIES

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    from benchmarks.cli.model_commands import add_model_arguments

    profile = subparsers.add_parser("profile", help="per-stage latency, throughput and memory of generation "
                                                    "(--predict: FLOPs and memory on the meta device)")
    add_model_arguments(profile, adapters=True)
    profile.add_argument("--batch-size", type=int, default=1, help="requests per generate call")
    profile.add_argument("--rounds", type=int, default=1, help="profiled generate calls (after --warmup)")
    profile.add_argument("--warmup", type=int, default=1, help="unprofiled generate calls first")
    profile.add_argument("--inputs", help="comma-separated input media (image,video,audio; '' for none; default: "
                                          "image, or an adapter's first input medium)")
    profile.add_argument("--outputs", help=f"comma-separated outputs to decode (default: {','.join(MODALITIES)}, "
                                           "or every output an adapter writes)")
    profile.add_argument("--no-kv-cache", action="store_true", help="decode without the LLM's KV cache")
    profile.add_argument("--attention-slicing", action="store_true", help="sliced attention in the decoders' UNets")
    profile.add_argument("--vae-slicing", action="store_true", help="decode latents one at a time")
    profile.add_argument("--cpu-offload", action="store_true",
                         help="model CPU offload of the decoders (needs --device cuda)")
    profile.add_argument("--predict", action="store_true",
                         help="predict per-stage FLOPs and memory on the meta device instead of measuring")
    profile.add_argument("--compare", action="store_true",
                         help="measure and show the prediction's FLOPs beside (default on CUDA)")
    profile.add_argument("--new-tokens", type=int, default=64, help="--predict: generated tokens")
    profile.add_argument("--prompt-text-tokens", type=int, default=32, help="--predict: prompt text tokens")
    profile.add_argument("--height", type=int, help="--predict: image/video height (default: the preset's)")
    profile.add_argument("--width", type=int, help="--predict: image/video width (default: the preset's)")
    profile.add_argument("--json", action="store_true", help="print the records (or prediction) as JSON")
    profile.add_argument("--html", type=Path, metavar="DIR",
                         help="also write DIR/index.html: measured and predicted per stage, side by side")
    profile.set_defaults(func=run_profile)


def _modalities(text: str | None, flag: str, default: tuple[Any, ...]) -> tuple[Any, ...]:
    """The media a comma-separated flag names (an empty flag: none), ``default`` when it is not given."""
    from nextgpt.core.modalities import check_modality

    if text is None:
        return default
    return tuple(check_modality(item.strip(), where=flag) for item in text.split(",") if item.strip())


def _chosen_modalities(args: argparse.Namespace, model: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(inputs, outputs) of the profiled requests: the flags, else what the model reads and writes (NExT-GPT:
    one image in, every medium out)."""
    if model is None:
        inputs, outputs = ("image",), MODALITIES
    else:
        from nextgpt.profiling.session import default_modalities

        inputs, outputs = default_modalities(model.capabilities)
    return _modalities(args.inputs, "--inputs", inputs), _modalities(args.outputs, "--outputs", outputs)


#: flags that act on NExT-GPT's own modules or its preset (argparse destination -> flag)
NEXTGPT_ONLY_FLAGS = {"predict": "--predict", "compare": "--compare", "no_kv_cache": "--no-kv-cache",
                      "attention_slicing": "--attention-slicing", "vae_slicing": "--vae-slicing",
                      "cpu_offload": "--cpu-offload"}


def _names_an_adapter(args: argparse.Namespace) -> bool:
    """Whether the model flags choose an adapter (``--model KIND:PATH``, or a ``--model-config`` JSON with an
    "adapter" key), read before anything loads."""
    from nextgpt.adapters.registry import read_adapter_config

    if getattr(args, "model", None) is not None:
        return True
    return args.model_config is not None and read_adapter_config(args.model_config) is not None


def _refuse_nextgpt_only_flags(args: argparse.Namespace, model_name: str) -> None:
    from nextgpt.profiling.options import ProfilingOptionError

    given = [flag for dest, flag in NEXTGPT_ONLY_FLAGS.items() if getattr(args, dest, False)]
    if given:
        raise ProfilingOptionError(
            f"profile {' '.join(given)}: for NExT-GPT only (a prediction is made from a NExT-GPT preset on the meta "
            f"device; the speed switches change NExT-GPT's LLM and decoders); {model_name} is measured in the "
            f"stages it declares, so leave {'it' if len(given) == 1 else 'them'} out")


def _prediction(args: argparse.Namespace, steps: int | None) -> Any:
    """The prediction for the preset and dtype the flags or ``--model-config`` name: it is built on the meta
    device from the preset alone, so a checkpoint (whose weights it would not read) is refused, not ignored."""
    from benchmarks.cli.model_commands import model_spec_from_args
    from nextgpt.core.errors import ConfigError
    from nextgpt.model.model_spec import ModelSpec
    from nextgpt.profiling.prediction import PredictionSettings, predict

    spec = model_spec_from_args(args)
    named = ModelSpec.from_file(args.model_config).checkpoint if args.model_config is not None else args.checkpoint
    if named is not None:
        source = f"--model-config {args.model_config}" if args.model_config is not None else "--checkpoint"
        raise ConfigError(f"profile --predict: {source} names the checkpoint {named}, but a prediction is made "
                          "from a preset on the meta device (no weights are read); give --preset instead")
    inputs, outputs = _chosen_modalities(args, None)
    settings = PredictionSettings(
        batch_size=args.batch_size, dtype=spec.dtype, inputs=inputs, outputs=outputs,
        prompt_text_tokens=args.prompt_text_tokens,
        new_tokens=args.new_tokens, num_inference_steps=steps, height=args.height, width=args.width)
    return predict(spec.preset or "tiny", settings)


def run_profile(args: argparse.Namespace) -> int:
    from nextgpt.profiling.options import SpeedOptions
    from nextgpt.profiling.table import measured_table, prediction_table

    if _names_an_adapter(args):
        _refuse_nextgpt_only_flags(args, "the chosen adapter")
    if args.predict:
        prediction = _prediction(args, args.steps)
        print(json.dumps(prediction.to_dict(), indent=2) if args.json else prediction_table(prediction))
        return 0

    from benchmarks.cli.model_commands import load_model_from_args, resolve_model_choice
    from nextgpt.core.output_paths import check_output_folder
    from nextgpt.profiling.options import ProfilingOptionError
    from nextgpt.profiling.session import ProfileConfig, profile_model

    if args.html is not None:  # written last: refuse a bad folder before the model loads and is profiled
        check_output_folder(args.html, flag="--html")
    resolve_model_choice(args)  # the device, a bad --checkpoint or missing local weights, before profiling
    if args.cpu_offload and not str(args.device).startswith("cuda"):
        raise ProfilingOptionError(f"--cpu-offload needs --device cuda (got --device {args.device}): it keeps the "
                                   "decoders in CPU memory and moves each one to the GPU only while it runs")

    _chosen_modalities(args, None)  # a misspelt medium is named before the model loads
    options = SpeedOptions(kv_cache=not args.no_kv_cache, attention_slicing=args.attention_slicing,
                           vae_slicing=args.vae_slicing, cpu_offload=args.cpu_offload)
    model = load_model_from_args(args)
    adapter = _adapter_label(model)
    if adapter is not None:
        _refuse_nextgpt_only_flags(args, adapter)
    inputs, outputs = _chosen_modalities(args, model)
    config = ProfileConfig(batch_size=args.batch_size, rounds=args.rounds, warmup=args.warmup, inputs=inputs,
                           outputs=outputs, max_new_tokens=args.max_new_tokens, num_inference_steps=args.steps,
                           seed=args.seed, options=options)
    run = profile_model(model, config)
    prediction = None
    if adapter is None and (args.compare or args.html is not None or model.device.type == "cuda"):
        # predict the measured shapes: the prompt follows from the inputs, the new tokens from the decode count
        decode = run.records.get("llm_decode")
        new_tokens = max(1, (decode.throughput.units if decode and decode.throughput else 0)
                         // (args.rounds * args.batch_size)) + 1
        args.new_tokens = new_tokens
        prediction = _prediction(args, args.steps)
    described = _model_fields(model, adapter)
    document = {**described, "device": run.device, "dtype": run.dtype,
                "batch_size": args.batch_size, "options": options.to_dict(), "coverage": run.coverage,
                "inputs": list(inputs), "outputs": list(outputs),
                "wall_seconds": list(run.wall_seconds), "stages": run.to_store(),
                "prediction": prediction.to_dict() if prediction else None}
    if args.html is not None:
        from reports.profile_report import render_profile_report

        logger.info("wrote %s", render_profile_report(document, args.html))
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    label = f"adapter {adapter} ({described['source']})" if adapter else f"preset {described['preset']}"
    print(f"{label}, device {run.device}, dtype {run.dtype}, batch {args.batch_size}, rounds {args.rounds}, "
          f"options {options.label()}")
    print(f"stages cover {100 * run.coverage:.1f}% of the wall time of the generate calls\n")
    print(measured_table(run.records, prediction, generations=args.rounds))
    return 0


def _adapter_label(model: Any) -> str | None:
    """The adapter name of a model that declares its own stages (its class name when it names none); None for
    NExT-GPT."""
    from nextgpt.profiling.declared_stages import declares_stages

    if not declares_stages(model):
        return None
    return str(model.describe().get("adapter") or type(model).__name__)


def _model_fields(model: Any, adapter: str | None) -> dict[str, Any]:
    """What the profile document says about the model: NExT-GPT's preset, or an adapter's name and source."""
    if adapter is None:
        return {"preset": model.config.preset}
    return {"preset": None, "adapter": adapter, "source": model.describe().get("source")}
