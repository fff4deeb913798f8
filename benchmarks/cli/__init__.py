"""``nextgpt-bench``: one command line for the model, the metrics and the benchmarks.

Every area of the project contributes its subcommands through a module with a ``register(subparsers)``
function (listed in COMMAND_MODULES); heavy imports happen inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "benchmarks.cli.model_commands",
    "benchmarks.cli.train_commands",
    "benchmarks.cli.metric_commands",
    "benchmarks.cli.run_commands",
    "benchmarks.cli.report_commands",
    "benchmarks.cli.profile_commands",
)


def _offline_environment() -> None:
    """Nothing may be fetched implicitly; a hub lookup also costs ~50 s to time out here."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nextgpt-bench", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:  # an area that does not exist yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _offline_environment()
    from nextgpt.core.errors import NextGPTError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NextGPTError as error:
        print(f"nextgpt-bench {args.command}: error: {error}", file=sys.stderr)
        return 2
if __name__ == "__main__":
    raise SystemExit(main())
