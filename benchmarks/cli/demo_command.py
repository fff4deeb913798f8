"""``nextgpt-bench demo``: NExT-GPT's any-to-any demonstration, then one picture asked for in words and read back.

The first request is the paper's demonstration: a picture, a clip and a tone in; a description and an image, a
video and a sound out.  The second asks for one scene of the synthetic world, in the words of the t2i task's
prompt, and reads the picture back with the world's image verifier (``benchmarks.datasets.verifiers``), so the
demo says attribute by attribute whether the picture shows what was asked instead of leaving it to the eye.  The
verifier knows only the world's flat shapes: on a model trained on natural images its reading is a curiosity.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.cli.model_commands import (
    add_guidance_argument,
    add_model_arguments,
    load_model_from_args,
    resolve_model_choice,
    write_result,
)
from nextgpt.core.errors import MediaError
from nextgpt.core.modalities import MODALITIES
from nextgpt.core.output_paths import check_output_folder
from nextgpt.core.requests import GenerationRequest, GenerationResult
from nextgpt.model.pretrained import DEFAULT_CHECKPOINT

if TYPE_CHECKING:
    from nextgpt.core.interface import AnyToAnyModel

logger = logging.getLogger(__name__)

#: the scene the demo asks for, attribute by attribute in the order they are printed (the synthetic world and its
#: verifier are imported only when the demo runs: every command's start-up imports this module)
ASKED = {"colour": "red", "shape": "circle", "size": "large", "position": "center", "background": "white"}


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help="any-to-any demo on the tiny model: image+video+audio in and out, "
                                              "then one picture asked for in words and read back")
    add_model_arguments(demo, default_checkpoint=DEFAULT_CHECKPOINT, adapters=False)
    add_guidance_argument(demo)
    demo.add_argument("--out", type=Path, default=Path("out/demo"))
    demo.set_defaults(func=run_demo)


def asked_prompt() -> str:
    """The t2i task's prompt for the asked scene (``benchmarks.tasks.builtin``: "Generate an image of {caption}.")."""
    from benchmarks.datasets.synthetic import Scene, image_captions

    return f"Generate an image of {image_captions(Scene(**ASKED, motion='right'))[0]}."


def compare_reading(reading: dict[str, str]) -> list[str]:
    """One line per attribute: what the verifier read and whether it is what was asked."""
    lines = []
    for attribute, asked in ASKED.items():
        read = reading[attribute]
        verdict = "as asked" if read == asked else f"asked {asked}"
        lines.append(f"  {attribute:<10} {read:<12} ({verdict})")
    return lines


def run_demo(args: argparse.Namespace) -> int:
    from nextgpt.model.demo_inputs import write_demo_inputs

    check_output_folder(args.out, flag="--out")
    resolve_model_choice(args)  # a paper preset without its local weights is refused here
    inputs = write_demo_inputs(args.out / "inputs")
    logger.info("inputs: %s", ", ".join(str(p) for p in inputs.values()))
    model = load_model_from_args(args)
    settings = {"seed": args.seed, "max_new_tokens": args.max_new_tokens, "num_inference_steps": args.steps,
                "guidance_scale": args.guidance_scale}
    request = GenerationRequest.build(
        "Here is a picture, a clip and a sound. Describe them, then show me an image, a video and a sound.",
        images=[inputs["image"]], videos=[inputs["video"]], audios=[inputs["audio"]], want=list(MODALITIES),
        **settings)
    _print_answer(model.generate(request), args.out)
    print()
    _ask_for_a_picture(model, settings, args.out / "asked")
    return 0


def _print_answer(result: GenerationResult, out: Path) -> list[str]:
    files = write_result(result, out)
    print(f"answer: {result.text!r}")
    for run in result.signal_runs:
        print(f"{run.modality}: signal tokens {run.status}")
    print("\n".join(f"wrote {f}" for f in files))
    return files


def _ask_for_a_picture(model: AnyToAnyModel, settings: dict[str, object], out: Path) -> None:
    import numpy as np

    from benchmarks.datasets.verifiers.image import read_image

    prompt = asked_prompt()
    print(f"asked: {prompt!r}")
    # as the t2i task asks: an image wanted, no other output allowed
    result = model.generate(GenerationRequest.build(prompt, want=["image"], allowed_outputs=["image"],
                                                    **settings))  # type: ignore[arg-type]
    _print_answer(result, out)
    if not result.images:
        print("no image came back, so there is nothing to read")
        return
    try:  # the verifier reads 8-bit RGB of 16 px or more: say so rather than end the demo on a model's odd image
        reading = read_image(np.asarray(result.images[0].convert("RGB")))
    except MediaError as error:
        print(f"the synthetic world's verifier cannot read {out / 'image_0.png'}: {error}")
        return
    matched = sum(reading[attribute] == asked for attribute, asked in ASKED.items())
    print(f"the synthetic world's verifier reads {out / 'image_0.png'} as ({matched} of {len(ASKED)} "
          "attributes as asked):")
    print("\n".join(compare_reading(reading)))
