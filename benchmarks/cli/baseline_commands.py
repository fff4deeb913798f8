"""``nextgpt-bench baselines write-tiny --out DIR``: every tiny baseline folder, ready for ``run --model``.

The folders are small models with random weights saved in each library's own format (``nextgpt.tiny_baselines``):
what a user's downloaded SD-1.5, Zeroscope, AudioLDM, captioner or LLM folder would be, at a size that runs on a
CPU. They show how each adapter kind is used and let the whole path (adapter, runner, report) run without any
download; their scores mean nothing (the weights are random).

Everything is written into a new folder beside DIR and renamed into place at the end, so DIR is never left half
written; an existing DIR must be empty (nothing of the user's is replaced).
"""

from __future__ import annotations

import argparse
import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nextgpt.core.errors import ConfigError
from nextgpt.core.output_paths import check_output_folder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TinyBaseline:
    """One folder ``write-tiny`` writes, and the command that runs it."""

    #: the folder's name under DIR
    name: str
    #: what it holds, for the listing
    what: str
    #: the adapter kind that reads it (``--model KIND:PATH``)
    kind: str
    #: the rest of the command that runs it, after ``--model KIND:PATH``
    command: tuple[str, ...]
    #: writes the baseline at the folder it is given; returns the path ``--model`` takes (a folder or model.json)
    write: Callable[[Path], Path]


def _pipeline(modality: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

        return write_tiny_pipeline(modality, folder)
    return write


def _captioner(modality: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        from nextgpt.tiny_baselines.captioner_folders import write_tiny_captioner

        return write_tiny_captioner(modality, folder)
    return write


def _causal_lm(folder: Path) -> Path:
    from nextgpt.tiny_baselines.causal_lm_folder import write_tiny_causal_lm

    return write_tiny_causal_lm(folder)


def _cascade(folder: Path) -> Path:
    from nextgpt.tiny_baselines.cascade_folder import write_tiny_cascade

    return write_tiny_cascade(folder)


def _run(suite: str) -> tuple[str, ...]:
    return ("run", "--suite", suite, "--limit", "4")


#: Every tiny baseline, in the order they are written and listed.
TINY_BASELINES: tuple[TinyBaseline, ...] = (
    TinyBaseline("diffusers-text-to-image", "diffusers StableDiffusionPipeline (text to image)", "diffusers",
                 _run("text-to-x"), _pipeline("image")),
    TinyBaseline("diffusers-text-to-video", "diffusers TextToVideoSDPipeline (text to video)", "diffusers",
                 _run("text-to-x"), _pipeline("video")),
    TinyBaseline("diffusers-text-to-audio", "diffusers AudioLDMPipeline (text to audio)", "diffusers",
                 _run("text-to-x"), _pipeline("audio")),
    TinyBaseline("captioner-image", "transformers image captioner (ViT + GPT-2)", "captioner",
                 ("run", "--tasks", "caption-image", "--limit", "4"), _captioner("image")),
    TinyBaseline("captioner-video", "transformers video captioner (TimeSformer + GPT-2)", "captioner",
                 ("run", "--tasks", "caption-video", "--limit", "4"), _captioner("video")),
    TinyBaseline("captioner-audio", "transformers audio captioner (Whisper)", "captioner",
                 ("run", "--tasks", "caption-audio", "--limit", "4"), _captioner("audio")),
    TinyBaseline("causal-lm", "transformers causal LM (text in, text out)", "causal-lm",
                 ("generate", "--text", "Hello, who are you?", "--max-new-tokens", "16", "--out", "out/causal-lm"),
                 _causal_lm),
    TinyBaseline("cascade", "cascade any-to-any baseline: captioners, the LLM and the three generators",
                 "cascade", _run("default"), _cascade),
)


def register(subparsers: Any) -> None:
    baselines = subparsers.add_parser("baselines", help="tiny saved baseline models for the adapters")
    actions = baselines.add_subparsers(dest="action", required=True, metavar="ACTION")
    write_tiny = actions.add_parser(
        "write-tiny", help="write every tiny baseline folder (random weights, each library's own format) and print "
                           "the command that runs each")
    write_tiny.add_argument("--out", type=Path, required=True, metavar="DIR",
                            help="a new (or empty) folder for the baselines")
    write_tiny.set_defaults(func=run_write_tiny)


def check_new_folder(folder: Path) -> None:
    """``folder`` can be written and holds nothing yet (write-tiny never replaces a user's files)."""
    check_output_folder(folder, flag="--out")
    if folder.is_dir() and any(folder.iterdir()):
        raise ConfigError(f"--out {folder} is not empty; write-tiny writes into a new or empty folder only, so "
                          "nothing there is replaced. Choose another folder")


def write_tiny_baselines(out: Path, baselines: tuple[TinyBaseline, ...] = TINY_BASELINES) -> dict[str, Path]:
    """Write ``baselines`` under ``out`` (new or empty) -> name -> the path ``--model`` takes, under ``out``."""
    from nextgpt.tiny_baselines.atomic_folder import write_folder_atomically

    check_new_folder(out)
    written: dict[str, Path] = {}

    def write(staging: Path) -> None:
        for baseline in baselines:
            logger.info("writing %s: %s", baseline.name, baseline.what)
            written[baseline.name] = out / baseline.write(staging / baseline.name).relative_to(staging)

    write_folder_atomically(out, write, what="the tiny baselines")
    return written


def run_command(baseline: TinyBaseline, path: Path) -> list[str]:
    """The command line that runs ``baseline`` written at ``path``.  A tiny pipeline draws with the tiny NExT-GPT
    preset's step count (the pipeline folder has none of its own, and the adapter's default of 50 would make the
    tiny baseline 25 times slower than the tiny NExT-GPT on the same networks)."""
    from nextgpt.model.presets import tiny

    command = ["nextgpt-bench", baseline.command[0], "--model", f"{baseline.kind}:{path}", *baseline.command[1:]]
    if baseline.kind == "diffusers":
        command += ["--steps", str(tiny().decoders.image.num_inference_steps)]
    return command


def run_write_tiny(args: argparse.Namespace) -> int:
    written = write_tiny_baselines(args.out)
    for baseline in TINY_BASELINES:
        path = written[baseline.name]
        print(f"wrote {path}: {baseline.what}")
        print(f"  {shlex.join(run_command(baseline, path))}")
    return 0
