"""Model commands: ``model-card``, ``generate``, ``demo``, ``convert-legacy``.

Everything a command can check without the model -- numeric settings (argparse types), the output location,
input files' existence, an image's header and pixel count, a video's first frame, an audio file's sample
rate -- is checked before the model is loaded, so a bad value fails in a second instead of after loading (or,
for ``--out``, after generating).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nextgpt.core import validation
from nextgpt.core.errors import ConfigError, MissingWeightsError
from nextgpt.core.modalities import MODALITIES, check_modality
from nextgpt.core.output_paths import check_output_folder
from nextgpt.model.pretrained import DEFAULT_CHECKPOINT

_DTYPES = {"float32", "bfloat16", "float16"}
_WEIGHT_FLAGS = {"imagebind": "--imagebind", "llm": "--llm-path", "image_decoder": "--image-decoder",
                 "video_decoder": "--video-decoder", "audio_decoder": "--audio-decoder"}
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
    add_model_arguments(generate, default_checkpoint=DEFAULT_CHECKPOINT)
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

    demo = subparsers.add_parser("demo", help="any-to-any demo on the tiny model: image+video+audio in and out")
    add_model_arguments(demo, default_checkpoint=DEFAULT_CHECKPOINT)
    add_guidance_argument(demo)
    demo.add_argument("--out", type=Path, default=Path("out/demo"))
    demo.set_defaults(func=run_demo)

    convert = subparsers.add_parser("convert-legacy",
                                    help="convert the official legacy delta pytorch_model.pt into a checkpoint")
    convert.add_argument("--delta", required=True, type=Path, help="the legacy pytorch_model.pt")
    convert.add_argument("--preset", default="paper-7b-legacy")
    convert.add_argument("--out", required=True, type=Path)
    convert.add_argument("--allow-missing", action="store_true",
                         help="accept a delta without some trainable tensors (e.g. no LoRA before stage 3)")
    convert.set_defaults(func=run_convert_legacy)


def add_model_arguments(parser: argparse.ArgumentParser, *, default_checkpoint: str | None = None) -> None:
    """Model choice flags.  With ``default_checkpoint`` (a shipped checkpoint's name), a command given neither
    --preset nor --checkpoint runs that checkpoint; ``--preset tiny`` alone is the untrained tiny model."""
    if default_checkpoint is None:
        parser.add_argument("--preset", default="tiny", help="tiny, tiny-legacy, paper-7b, paper-7b-legacy")
    else:
        parser.add_argument("--preset", help=f"tiny, tiny-legacy, paper-7b, paper-7b-legacy (default: the "
                                              f"checkpoint {default_checkpoint!r} shipped with nextgpt-bench)")
    parser.set_defaults(default_checkpoint=default_checkpoint)
    parser.add_argument("--checkpoint", help="checkpoint folder saved by nextgpt-bench, or the name of a shipped "
                                             "one (tiny-trained)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=sorted(_DTYPES), default="float32",
                        help="weights and activations (bfloat16/float16 for paper-scale models on a GPU)")
    parser.add_argument("--seed", type=seed_int, default=0)
    parser.add_argument("--max-new-tokens", type=positive_int,
                        help="longest answer in tokens (default: the model's)")
    parser.add_argument("--steps", type=positive_int, help="diffusion steps (default: the preset's)")
    for field_name, flag in _WEIGHT_FLAGS.items():
        parser.add_argument(flag, dest=field_name, type=Path,
                            help=f"paper presets: local {field_name.replace('_', ' ')} weights")


def add_guidance_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guidance-scale", type=non_negative_float,
                        help="classifier-free guidance of the decoders (default: each decoder's; <= 1: none)")


def resolve_model_choice(args: argparse.Namespace) -> None:
    """Fill in ``args.preset`` and ``args.checkpoint`` (a Path or None) from the flags and the default."""
    from nextgpt.model.checkpoint import read_checkpoint_config
    from nextgpt.model.pretrained import resolve_checkpoint

    if args.checkpoint is None and args.preset is None and getattr(args, "default_checkpoint", None):
        args.checkpoint = args.default_checkpoint
    if args.checkpoint is not None:
        args.checkpoint = resolve_checkpoint(args.checkpoint)
    if args.preset is None:
        args.preset = read_checkpoint_config(args.checkpoint).preset if args.checkpoint is not None else "tiny"


def load_model_from_args(args: argparse.Namespace) -> Any:
    import torch

    from nextgpt.model.building import build_model
    from nextgpt.model.checkpoint import load_checkpoint
    from nextgpt.model.presets import get_preset, with_local_weights

    check_device(args.device)
    resolve_model_choice(args)
    dtype = getattr(torch, args.dtype)
    paper = args.preset.startswith("paper-")
    if args.checkpoint is not None and not paper:
        return load_checkpoint(args.checkpoint, preset=args.preset, device=args.device, dtype=dtype)
    config = get_preset(args.preset)
    if paper:
        paths = {name: getattr(args, name) for name in _WEIGHT_FLAGS}
        absent = [_WEIGHT_FLAGS[name] for name, value in paths.items() if value is None]
        if absent:
            raise MissingWeightsError(f"preset {args.preset} runs on local weights; pass {', '.join(absent)} "
                                      "(see README: 'Real weights')")
        config = with_local_weights(config, **paths)
    if args.checkpoint is not None:
        return load_checkpoint(args.checkpoint, preset=args.preset, device=args.device, dtype=dtype,
                               config_override=config)
    return build_model(config, device=args.device, dtype=dtype)


def check_device(device: str) -> None:
    """``--device``: a device string torch understands, and present on this machine."""
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError as error:
        raise ConfigError(f"--device {device!r} is not a device ({error}); expected cpu, cuda or cuda:N") from error
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {device!r}: this machine has no CUDA device; use --device cpu")


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


def audio_sources(args: argparse.Namespace, model: Any) -> list[Any]:
    """``--audio`` files as given, or with ``--resample`` read, resampled and preprocessed here."""
    if not args.resample:
        return list(args.audio)
    from nextgpt.model.encoder import media

    return [media.load_audio(path, model.config.encoder.audio_clips, resample=True) for path in args.audio]


def parse_want(text: str) -> list[str]:
    wanted = [item.strip() for item in text.split(",") if item.strip()]
    for item in wanted:
        check_modality(item, where="--want")
    return wanted


def write_result(result: Any, out: Path) -> list[str]:
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
    model = load_model_from_args(args)
    request = GenerationRequest.build(args.text, images=args.image, videos=args.video,
                                      audios=audio_sources(args, model), want=want, seed=args.seed,
                                      max_new_tokens=args.max_new_tokens, num_inference_steps=args.steps,
                                      guidance_scale=args.guidance_scale)
    result = model.generate(request)
    files = write_result(result, args.out)
    if args.json:
        print(json.dumps({"text": result.text, "files": files}))
    else:
        print(f"answer: {result.text!r}")
        for run in result.signal_runs:
            print(f"{run.modality}: signal tokens {run.status}" + (f", {run.dropped} dropped" if run.dropped else ""))
        print("\n".join(f"wrote {f}" for f in files))
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from nextgpt.core.requests import GenerationRequest
    from nextgpt.model.demo_inputs import write_demo_inputs

    check_output_folder(args.out, flag="--out")
    resolve_model_choice(args)
    if args.preset.startswith("paper-") and args.checkpoint is None and args.imagebind is None:
        raise ConfigError("the demo runs on the tiny preset; paper presets need local weights (see README)")
    inputs = write_demo_inputs(args.out / "inputs")
    print(f"inputs: {', '.join(str(p) for p in inputs.values())}", file=sys.stderr)
    model = load_model_from_args(args)
    request = GenerationRequest.build(
        "Here is a picture, a clip and a sound. Describe them, then show me an image, a video and a sound.",
        images=[inputs["image"]], videos=[inputs["video"]], audios=[inputs["audio"]], want=list(MODALITIES),
        seed=args.seed, max_new_tokens=args.max_new_tokens, num_inference_steps=args.steps,
        guidance_scale=args.guidance_scale)
    result = model.generate(request)
    files = write_result(result, args.out)
    print(f"answer: {result.text!r}")
    for run in result.signal_runs:
        print(f"{run.modality}: signal tokens {run.status}")
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
