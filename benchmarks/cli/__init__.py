"""``nextgpt-bench``: one command line for the model, the metrics and the benchmarks.

Every area of the project contributes its subcommands through a module of this package with a
``register(subparsers)`` function (COMMAND_MODULES); heavy imports happen inside the commands, so ``--help``
stays fast. Installed extensions are imported first (``nextgpt.core.extensions.load_plugins``). Results go to
stdout; messages, warnings and progress to stderr, at the verbosity of ``--verbose``/``--quiet``
(``benchmarks/cli/output.py``, docs/output.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Protocol

from benchmarks.cli import (
    baseline_commands,
    demo_command,
    leaderboard_commands,
    metric_commands,
    model_commands,
    profile_commands,
    report_commands,
    run_commands,
    store_commands,
    train_commands,
)
from benchmarks.cli.output import NORMAL, QUIET, VERBOSE, cli_output
from nextgpt.core.errors import NextGPTError
from nextgpt.core.extensions import PLUGIN_GROUP, load_plugins


class CommandModule(Protocol):
    """An area's command module: adds its subcommands (each with ``func`` set) to the parser."""

    def register(self, subparsers: argparse._SubParsersAction) -> None: ...

#: Every area's subcommands, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[CommandModule, ...] = (model_commands, demo_command, train_commands, metric_commands,
                                              run_commands, report_commands, leaderboard_commands, store_commands,
                                              profile_commands, baseline_commands)
__all__ = ["COMMAND_MODULES", "PLUGIN_GROUP", "build_parser", "load_plugins", "main"]


def _offline_environment() -> None:
    """Nothing may be fetched implicitly (a hub lookup also costs ~50 s to time out here).

    Set for the rest of the process, on purpose, unlike the output settings of ``cli_output`` (which are undone):
    never downloading is a safety property of the CLI, and huggingface_hub and transformers read these variables
    once, when they are imported, so removing them after a command would not reliably turn downloads back on
    anyway.  A value the user set is kept."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def add_verbosity_flags(parser: argparse.ArgumentParser, default: object) -> None:
    """``-v/--verbose`` and ``-q/--quiet``; given to the program and to every command, so that both
    ``nextgpt-bench -q run`` and ``nextgpt-bench run -q`` work (a command's flags leave an earlier one alone)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE, default=default,
                       help="also show debug messages and the third-party warnings that are hidden by default")
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=QUIET, default=default,
                       help="show only warnings and errors on stderr: no progress, no information")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nextgpt-bench", description=__doc__.splitlines()[0])
    add_verbosity_flags(parser, NORMAL)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    for command in _command_parsers(parser):
        add_verbosity_flags(command, argparse.SUPPRESS)
    return parser


def _command_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command's parser below ``parser``, nested ones (``score images``) included."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                found += [command, *_command_parsers(command)]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    _offline_environment()
    try:
        load_plugins()
    except NextGPTError as error:
        print(f"nextgpt-bench: error: {error}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    with cli_output(args.verbosity):
        try:
            return int(args.func(args) or 0)
        except NextGPTError as error:
            print(f"nextgpt-bench {args.command}: error: {error}", file=sys.stderr)
            return 2
