"""Errors of the benchmark harness (all are NextGPTError: the CLI prints them and exits with status 2)."""

from nextgpt.core.errors import NextGPTError


class DatasetError(NextGPTError, ValueError):
    """A dataset file, field or path is invalid or missing."""


class TaskError(NextGPTError, ValueError):
    """A task declaration or selection is invalid."""


class StoreError(NextGPTError, RuntimeError):
    """The results store cannot be used (wrong schema, unknown run...)."""
