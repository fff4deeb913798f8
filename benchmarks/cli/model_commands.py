"""Model commands: ``model-card``, ``generate``, ``demo``, ``convert-legacy``; and how every command chooses its
model (``add_model_arguments``, ``resolve_model_choice``, ``load_model_from_args``): a NExT-GPT from a preset, a
checkpoint or a model config, or -- for the commands that run a finished model -- any other model through an adapter
(``--model KIND:PATH`` or an adapter model config; ``nextgpt.adapters.registry``).

Everything a command can check without the model -- numeric settings (argparse types), the output location,
input files' existence, an image's header and pixel count, a video's first frame, an audio file's sample
rate -- is checked before the model is loaded, so a bad value fails in a second instead of after loading (or,
for ``--out``, after generating).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nextgpt.adapters.registry import (
    ADAPTER_KINDS,
    AdapterChoice,
    adapter_path,
    check_adapter,
    check_options,
    check_settings,
    parse_model_argument,
    read_adapter_config,
)
from nextgpt.core import validation
from nextgpt.core.errors import ConfigError, NextGPTError
from nextgpt.core.modalities import check_modality
from nextgpt.core.output_paths import check_output_folder
from nextgpt.model.model_spec import DTYPES, LocalWeights, ModelSpec
from nextgpt.model.presets import WeightSlot
from nextgpt.model.pretrained import DEFAULT_CHECKPOINT

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from nextgpt.core.interface import AnyToAnyModel
    from nextgpt.core.requests import GenerationResult
    from nextgpt.model.loading import ModelChoice
    from nextgpt.model.nextgpt_model import NextGPT

#: The command-line flag of each local weight path (``nextgpt.model.model_spec.LocalWeights``).
WEIGHT_FLAGS: dict[WeightSlot, str] = {"imagebind": "--imagebind", "llm": "--llm-path",
                                       "image_decoder": "--image-decoder", "video_decoder": "--video-decoder",
                                       "audio_decoder": "--audio-decoder"}
#: How the loader's messages name a ModelSpec field on the command line.
_FIELD_FLAGS = {"preset": "--preset", "checkpoint": "--checkpoint", "device": "--device", "dtype": "--dtype",
                **{f"weights.{slot}": flag for slot, flag in WEIGHT_FLAGS.items()}}
#: The flag of each adapter setting (``nextgpt.adapters.settings.AdapterSettings``) and its ``args`` attribute.
ADAPTER_SETTING_FLAGS: dict[str, tuple[str, str]] = {
    "device": ("--device", "device"), "dtype": ("--dtype", "dtype"), "num_inference_steps": ("--steps", "steps"),
    "guidance_scale": ("--guidance-scale", "guidance_scale"), "max_new_tokens": ("--max-new-tokens", "max_new_tokens")}
AUDIO_RATE = 16000


# ------------------------------------------------------------------------------------ argparse types
def _argument_type(check: Callable[..., Any], parse: Callable[[str], Any], expected: str) -> Callable[[str], Any]:
    """An argparse ``type`` that parses the text and applies a ``nextgpt.core.validation`` check; argparse turns
    the ArgumentTypeError into "argument --steps: expected a positive integer, got '-1'" and exit status 2."""
    def convert(text: str) -> Any:
        try:
            return check(parse(text), name="value")
        except (ValueError, OverflowError) as error:  # ConfigError is a ValueError too
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from error
    convert.__name__ = expected  # argparse names the type in some messages
    return convert


positive_int = _argument_type(validation.positive_int, int, "a positive integer")
seed_int = _argument_type(validation.seed, int, f"an integer seed from 0 to {validation.MAX_SEED}")
non_negative_float = _argument_type(validation.non_negative_float, float, "a finite number >= 0")


def register(subparsers: Any) -> None:
    card = subparsers.add_parser("model-card", help="parameter table of a preset beside the paper's figures")
    card.add_argument("--preset", default="paper-7b")
    card.add_argument("--json", action="store_true", help="print the table as JSON")
    card.set_defaults(func=run_model_card)

    generate = subparsers.add_parser("generate", help="answer one prompt with text, images, videos, audio")
    add_model_arguments(generate, default_checkpoint=DEFAULT_CHECKPOINT, adapters=True, guidance=True)
    generate.add_argument("--text", required=True, help="the user's message")
    generate.add_argument("--image", action="append", default=[], metavar="FILE", help="input image (repeatable)")
    generate.add_argument("--video", action="append", default=[], metavar="FILE", help="input video (repeatable)")
    generate.add_argument("--audio", action="append", default=[], metavar="FILE",
                          help="input audio, 16 kHz (repeatable)")
    generate.add_argument("--want", default="", metavar="MODALITIES",
                          help="comma-separated outputs to force (image,video,audio) by appending their signal "
                               "tokens when the model emits none")
    generate.add_argument("--resample", action="store_true",
                          help=f"resample --audio files that are not {AUDIO_RATE} Hz on reading (scipy's "
                               "polyphase resample_poly; without it such files are refused)")
    add_guidance_argument(generate)
    generate.add_argument("--out", required=True, type=Path, help="folder for the answer and generated media")
    generate.add_argument("--json", action="store_true", help='print {"text": ..., "files": [...]}')
    generate.set_defaults(func=run_generate)

    convert = subparsers.add_parser("convert-legacy",
                                    help="convert the official legacy delta pytorch_model.pt into a checkpoint")
    convert.add_argument("--delta", required=True, type=Path, help="the legacy pytorch_model.pt")
    convert.add_argument("--preset", default="paper-7b-legacy")
    convert.add_argument("--out", required=True, type=Path)
    convert.add_argument("--allow-missing", action="store_true",
                         help="accept a delta without some trainable tensors (e.g. no LoRA before stage 3)")
    convert.set_defaults(func=run_convert_legacy)


def add_model_arguments(parser: argparse.ArgumentParser, *, default_checkpoint: str | None = None,
                        adapters: bool | None = None, guidance: bool = False) -> None:
    """Model choice flags (see ``nextgpt.model.loading``).  With ``default_checkpoint`` (a shipped checkpoint's
    name), a command given neither --preset nor --checkpoint runs that checkpoint; ``--preset tiny`` alone is the
    untrained tiny model.  ``--model-config FILE`` gives the same choice as a JSON file instead of flags.

    ``adapters``: the command also takes a model that is not NExT-GPT (``--model KIND:PATH``, or a model config
    with an ``"adapter"`` key).  By default, the commands that run a finished model -- those with a default
    checkpoint (``run``) -- take one; ``generate`` and ``profile`` pass True, ``demo`` (NExT-GPT's own any-to-any
    demonstration) False, and training builds a NExT-GPT.  ``guidance``: the command also has ``--guidance-scale``
    (``add_guidance_argument``), so the ``--model`` help names it among the adapter's settings."""
    accepts_adapters = default_checkpoint is not None if adapters is None else adapters
    parser.set_defaults(accepts_adapters=accepts_adapters)
    kinds = ", ".join(ADAPTER_KINDS)
    setting_flags = "--device, --dtype, --steps, --max-new-tokens" + (" and --guidance-scale" if guidance else "")
    # a command without adapters still knows --model (hidden), to refuse it by name: argparse would otherwise
    # read it as an abbreviation of --model-config
    model_help = (f"a model that is not NExT-GPT, through an adapter: KIND is {kinds} (e.g. "
                  f"{ADAPTER_KINDS['diffusers'].example}); {setting_flags} are its settings. Excludes --preset, "
                  "--checkpoint, --model-config and the local weight flags")
    parser.add_argument("--model", metavar="KIND:PATH", help=model_help if accepts_adapters else argparse.SUPPRESS)
    if default_checkpoint is None:
        parser.add_argument("--preset", help="tiny, tiny-legacy, paper-7b, paper-7b-legacy (default: tiny)")
    else:
        parser.add_argument("--preset", help=f"tiny, tiny-legacy, paper-7b, paper-7b-legacy (default: the "
                                              f"checkpoint {default_checkpoint!r} shipped with nextgpt-bench)")
    parser.set_defaults(default_checkpoint=default_checkpoint)
    parser.add_argument("--checkpoint", help="checkpoint folder saved by nextgpt-bench, or the name of a shipped "
                                             "one (tiny-trained)")
    parser.add_argument("--model-config", type=Path, metavar="FILE",
                        help="JSON model config: preset, checkpoint, device, dtype, weights (instead of those flags)"
                             + ("; or, with an \"adapter\" key, an adapter's (see --model and docs)"
                                if accepts_adapters else ""))
    parser.add_argument("--device", help="cpu, cuda or cuda:N (default: cpu)")
    parser.add_argument("--dtype", choices=DTYPES,
                        help="weights and activations (bfloat16/float16 for paper-scale models on a GPU; "
                             "default: float32)")
    parser.add_argument("--seed", type=seed_int, default=0)
    parser.add_argument("--max-new-tokens", type=positive_int,
                        help="longest answer in tokens (default: the model's)")
    parser.add_argument("--steps", type=positive_int, help="diffusion steps (default: the preset's"
                                                           + (", or the adapter's)" if accepts_adapters else ")"))
    for slot, flag in WEIGHT_FLAGS.items():
        parser.add_argument(flag, dest=slot, type=Path,
                            help=f"local {slot.replace('_', ' ')} weights (the paper presets need all five)")


def add_guidance_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guidance-scale", type=non_negative_float,
                        help="classifier-free guidance of the decoders (default: each decoder's; <= 1: none)")


def model_spec_from_args(args: argparse.Namespace) -> ModelSpec:
    """The model the flags (or ``--model-config``) name; neither --preset nor --checkpoint: the command's default
    checkpoint, if it has one."""
    flags = {"--preset": args.preset, "--checkpoint": args.checkpoint, "--device": args.device,
             "--dtype": args.dtype, **{flag: getattr(args, slot) for slot, flag in WEIGHT_FLAGS.items()}}
    command = getattr(args, "command", "this command")
    if getattr(args, "model", None) is not None:
        raise ConfigError(f"--model {args.model}: `{command}` works on NExT-GPT models only; choose one with "
                          "--preset, --checkpoint or --model-config")
    if args.model_config is not None:
        adapter = read_adapter_config(args.model_config)
        if adapter is not None:
            raise ConfigError(f"--model-config {args.model_config} selects the {adapter.kind} adapter, but "
                              f"`{command}` works on NExT-GPT models only; give a model config without an "
                              "\"adapter\" key (preset, checkpoint, device, dtype, weights)")
        given = [flag for flag, value in flags.items() if value is not None]
        if given:
            raise ConfigError(f"--model-config {args.model_config} names the whole model; drop {', '.join(given)} "
                              "(or put them in the file)")
        spec = ModelSpec.from_file(args.model_config)
    else:
        spec = ModelSpec(preset=args.preset, checkpoint=args.checkpoint, device=args.device or "cpu",
                         dtype=args.dtype or "float32",
                         weights=LocalWeights(**{slot: getattr(args, slot) for slot in WEIGHT_FLAGS}))
    if spec.preset is None and spec.checkpoint is None and getattr(args, "default_checkpoint", None):
        spec = dataclasses.replace(spec, checkpoint=args.default_checkpoint)
    return spec


def resolve_model_choice(args: argparse.Namespace) -> ModelChoice | AdapterChoice:
    """Check the model choice without building anything (a bad --checkpoint, missing weights or an adapter's bad
    folder are named now, before a command reads its data) and fill in ``args.preset``, ``args.checkpoint``,
    ``args.device`` and ``args.dtype`` from it.  Idempotent: the choice is kept on ``args``."""
    from nextgpt.model.loading import choose_model, spec_labels

    choice: ModelChoice | AdapterChoice | None = getattr(args, "model_choice", None)
    if choice is None:
        adapter = adapter_choice_from_args(args)
        if adapter is not None:
            args.model_choice = adapter
            args.device, args.dtype = adapter.settings.device, adapter.settings.dtype
            return adapter
        spec = model_spec_from_args(args)
        if args.model_config is None:
            choice = choose_model(spec, label=spec_labels(_FIELD_FLAGS))
        else:
            try:
                choice = choose_model(spec)
            except NextGPTError as error:  # the same error, naming the file the fields come from
                raise type(error)(f"--model-config {args.model_config}: {error}") from error
        args.model_choice = choice
        args.preset, args.checkpoint, args.device, args.dtype = (choice.preset, choice.checkpoint, choice.device,
                                                                 choice.dtype)
    return choice


def load_model_from_args(args: argparse.Namespace) -> AnyToAnyModel:
    """The chosen model: a NextGPT, or the adapter of ``--model`` / an adapter model config (only for the commands
    that take adapters, see ``add_model_arguments``)."""
    from nextgpt.model.loading import load_model

    choice = resolve_model_choice(args)
    if isinstance(choice, AdapterChoice):
        return choice.load()
    return load_model(choice)


def adapter_choice_from_args(args: argparse.Namespace) -> AdapterChoice | None:
    """The adapter ``--model`` or an adapter ``--model-config`` selects, checked without loading weights; None:
    the flags choose a NExT-GPT.  An adapter is the whole model, so the NExT-GPT-only flags are refused beside it;
    each adapter setting comes from its flag or from the file, not both."""
    from nextgpt.model.loading import check_device

    if not getattr(args, "accepts_adapters", False):
        return None  # model_spec_from_args refuses --model or an adapter model config by name
    model_text: str | None = args.model
    config = read_adapter_config(args.model_config) if args.model_config is not None else None
    if model_text is None and config is None:
        return None
    nextgpt_flags = {"--preset": args.preset, "--checkpoint": args.checkpoint,
                     **{flag: getattr(args, slot) for slot, flag in WEIGHT_FLAGS.items()}}
    file_settings: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if model_text is not None:
        source = f"--model {model_text}"
        nextgpt_flags["--model-config"] = args.model_config
        kind, path = parse_model_argument(model_text, where="--model")
    else:
        assert config is not None
        source = f"--model-config {args.model_config}"
        kind, path, file_settings, options = config.kind, config.path, dict(config.settings), dict(config.options)
    given = [flag for flag, value in nextgpt_flags.items() if value is not None]
    if given:
        raise ConfigError(f"{source} selects the whole model (the {kind} adapter); drop {', '.join(given)}")
    flag_settings = {name: getattr(args, attribute) for name, (_, attribute) in ADAPTER_SETTING_FLAGS.items()
                     if getattr(args, attribute, None) is not None}
    twice = [name for name in flag_settings if name in file_settings]
    if twice:
        flags = ", ".join(ADAPTER_SETTING_FLAGS[name][0] for name in twice)
        raise ConfigError(f"{source} sets {', '.join(twice)} already; drop {flags} (or remove it from the file)")
    settings = check_settings({**file_settings, **flag_settings}, where=source)
    device_label = "--device" if "device" in flag_settings else f"{source}: device"
    check_device(settings.device, label=lambda _: device_label)
    try:
        check_adapter(kind, path)
        check_options(kind, path, options, where="options")
    except NextGPTError as error:  # the same error, naming where the path came from
        raise type(error)(f"{source}: {error}") from error
    if kind == "cascade":
        refuse_flags_the_cascade_sets(adapter_path(kind, path), flag_settings, source=source)
    return AdapterChoice(kind, path, settings, options)


def refuse_flags_the_cascade_sets(config_file: Path, flag_settings: dict[str, Any], *, source: str) -> None:
    """A cascade file's ``settings`` and the command's flags may not both set one field (one place decides it);
    refused here, before anything loads, naming the flag to drop."""
    from nextgpt.adapters.cascade_config import read_file_settings

    twice = [name for name in flag_settings if name in read_file_settings(config_file)]
    if twice:
        flags = ", ".join(ADAPTER_SETTING_FLAGS[name][0] for name in twice)
        fields = ", ".join(f"settings.{name}" for name in twice)
        raise ConfigError(f"{source}: {config_file} sets {fields} already; drop {flags} (or remove {fields} from "
                          f"{config_file})")


def check_media_files(args: argparse.Namespace) -> None:
    """What can be checked of ``--image/--video/--audio`` files without the model (see the module docstring)."""
    from nextgpt.core import media

    for image in args.image:
        media.check_image_header(image)
    for video in args.video:
        media.check_video_header(video)
    for audio in args.audio:
        rate = media.audio_sample_rate(audio)
        if rate != AUDIO_RATE and not args.resample:
            raise ConfigError(f"--audio {audio} is sampled at {rate} Hz; expected {AUDIO_RATE} Hz. Pass "
                              f"--resample to convert it on reading, or resample the file first (e.g. "
                              f"`sox in.wav -r {AUDIO_RATE} out.wav`)")


def audio_sources(args: argparse.Namespace, model: NextGPT) -> list[Any]:
    """``--audio`` files as given, or with ``--resample`` read, resampled and preprocessed here (for NExT-GPT's
    encoder: ``run_generate`` refuses --resample with an adapter)."""
    if not args.resample:
        return list(args.audio)
    from nextgpt.model.encoder import media

    return [media.load_audio(path, model.config.encoder.audio_clips, resample=True) for path in args.audio]


def parse_want(text: str) -> list[str]:
    wanted = [item.strip() for item in text.split(",") if item.strip()]
    for item in wanted:
        check_modality(item, where="--want")
    return wanted


def write_result(result: GenerationResult, out: Path) -> list[str]:
    from nextgpt.core.media import write_png, write_video, write_wav

    out.mkdir(parents=True, exist_ok=True)
    files = [out / "answer.txt"]
    files[0].write_text(result.text + "\n", encoding="utf-8")
    files += [write_png(image, out / f"image_{i}.png") for i, image in enumerate(result.images)]
    files += [write_video(video, out / f"video_{i}.mp4") for i, video in enumerate(result.videos)]
    files += [write_wav(audio, out / f"audio_{i}.wav", result.audio_sample_rate)
              for i, audio in enumerate(result.audios)]
    summary = {"text": result.text, "files": [str(f) for f in files],
               "signal_runs": [{"modality": r.modality, "status": r.status, "dropped": r.dropped}
                               for r in result.signal_runs]}
    (out / "result.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return [str(f) for f in files]


def run_model_card(args: argparse.Namespace) -> int:
    from nextgpt.model.model_card import model_card

    card = model_card(args.preset)
    print(json.dumps(card.to_json(), indent=2) if args.json else card.to_text())
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from nextgpt.core.requests import GenerationRequest

    want = parse_want(args.want)
    check_output_folder(args.out, flag="--out")
    check_media_files(args)
    choice = resolve_model_choice(args)  # a bad --checkpoint or missing local weights, before anything is built
    if isinstance(choice, AdapterChoice) and args.resample:
        raise ConfigError(f"--resample prepares audio for NExT-GPT's encoder; the {choice.kind} adapter reads the "
                          f"--audio files itself, so give {AUDIO_RATE} Hz files without --resample")
    model = load_model_from_args(args)
    request = GenerationRequest.build(args.text, images=args.image, videos=args.video,
                                      audios=audio_sources(args, model), want=want, seed=args.seed,
                                      max_new_tokens=args.max_new_tokens, num_inference_steps=args.steps,
                                      guidance_scale=args.guidance_scale)
    result = model.generate([request])[0]
    files = write_result(result, args.out)
    if args.json:
        print(json.dumps({"text": result.text, "files": files}))
    else:
        print(f"answer: {result.text!r}")
        for run in result.signal_runs:
            print(f"{run.modality}: signal tokens {run.status}" + (f", {run.dropped} dropped" if run.dropped else ""))
        print("\n".join(f"wrote {f}" for f in files))
    return 0


def run_convert_legacy(args: argparse.Namespace) -> int:
    from nextgpt.model.checkpoint import check_checkpoint_target
    from nextgpt.model.legacy_checkpoint import convert_legacy_checkpoint
    from nextgpt.model.presets import get_preset

    config = get_preset(args.preset)
    check_output_folder(args.out.parent, flag="--out (its parent)")
    check_checkpoint_target(args.out)
    conversion = convert_legacy_checkpoint(args.delta, config, args.out, allow_missing=args.allow_missing)
    print(f"{args.delta}: {conversion.summary()}; wrote {args.out}")
    for name in conversion.missing:
        print(f"  kept initial values (absent from the delta): {name}")
    return 0
