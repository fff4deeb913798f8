"""Errors of reports/compare/gate/leaderboard.  All are NextGPTError: the CLI prints them and exits with 2."""

from nextgpt.core.errors import NextGPTError


class ReportInputError(NextGPTError, ValueError):
    """A run, baseline file or rules file cannot be used (unknown run, unreadable JSON, bad field...)."""


class IncomparableRunsError(NextGPTError, ValueError):
    """Two runs' scores were computed differently (extractor, weights, resize, sample set...)."""
