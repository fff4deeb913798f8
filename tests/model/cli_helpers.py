"""Run ``nextgpt-bench`` in-process and capture what a user would see."""

from __future__ import annotations

import pytest

from benchmarks.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout, stderr; argparse's own exits (status 2 for a bad option value) count as statuses."""
    try:
        code = main(args)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
