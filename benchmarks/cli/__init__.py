"""``nextgpt-bench``: one command line for the model, the metrics and the benchmarks.

Every area of the project contributes its subcommands through a module of this package with a
``register(subparsers)`` function (COMMAND_MODULES); heavy imports happen inside the commands, so ``--help``
stays fast. Installed extensions are imported first (``load_plugins``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Protocol

from benchmarks.cli import (
    metric_commands,
    model_commands,
    profile_commands,
    report_commands,
    run_commands,
    train_commands,
)
from nextgpt.core.errors import NextGPTError


class CommandModule(Protocol):
    """An area's command module: adds its subcommands (each with ``func`` set) to the parser."""

    def register(self, subparsers: argparse._SubParsersAction) -> None: ...

#: Every area's subcommands, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[CommandModule, ...] = (model_commands, train_commands, metric_commands, run_commands,
                                              report_commands, profile_commands)
#: Entry-point group of installed extensions (docs/extending.md): each names a module that registers metrics,
#: tasks, dataset kinds or models when imported.
PLUGIN_GROUP = "nextgpt_bench.plugins"


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
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def load_plugins() -> list[str]:
    """Import every installed extension (entry points of ``PLUGIN_GROUP``) so that what it registers can be
    named on the command line; returns their names. A broken extension is named in the error."""
    loaded = []
    for entry_point in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            entry_point.load()
        except Exception as error:  # any failure of foreign code, reported with the extension's name
            raise NextGPTError(f"extension {entry_point.name!r} ({entry_point.value}, entry point group "
                               f"{PLUGIN_GROUP}) failed to load: {type(error).__name__}: {error}") from error
        loaded.append(entry_point.name)
    return loaded


def main(argv: Sequence[str] | None = None) -> int:
    _offline_environment()
    try:
        load_plugins()
    except NextGPTError as error:
        print(f"nextgpt-bench: error: {error}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NextGPTError as error:
        print(f"nextgpt-bench {args.command}: error: {error}", file=sys.stderr)
        return 2
