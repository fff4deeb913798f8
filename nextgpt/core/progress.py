"""Progress of long loops, said by the code that runs them and shown by the application that calls it.

The runner (samples of a task), feature extraction (batches of a feature network) and the interval estimators
(bootstrap resamples, jackknife evaluations) open a :class:`ProgressTask` with :func:`progress_task` and advance
it.  How that looks is the application's choice: the CLI installs a bar on a terminal and a periodic line in a log
(``benchmarks/cli/progress.py``); a library user who installs nothing sees nothing (:data:`SILENT`).

Like ``logging``, the reporter is ambient -- a context variable set with :func:`reporting_progress` -- so that the
metric library, which may import nothing of the project but this package, can report without a parameter on every
function between the runner and a bootstrap loop.  :func:`progress_scope` names what the work belongs to (the
runner sets the task name while it scores a task); it prefixes the labels of the tasks opened inside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from types import TracebackType
from typing import Protocol, runtime_checkable

__all__ = ["SILENT", "SLOW_WORK_SECONDS", "ProgressReporter", "ProgressTask", "SilentProgress", "current_progress",
           "current_scope", "label_scope", "progress_scope", "progress_task", "reporting_progress", "scoped_label"]

#: ``show_after`` of work that is usually quick (a feature pass, an interval): shown only once it takes this long
SLOW_WORK_SECONDS = 2.0


class ProgressTask:
    """One loop in progress.  This base shows nothing; reporters subclass it.  Use it as a context manager (or call
    :meth:`close`) so that a display ends even when the loop raises."""

    def advance(self, steps: int = 1, **counts: int) -> None:
        """``steps`` more units done; ``counts`` add to named tallies shown beside the count (``generated=2``)."""

    def close(self) -> None:
        """The loop is over (finished or not): show the final state and release the display."""

    def __enter__(self) -> ProgressTask:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


@runtime_checkable
class ProgressReporter(Protocol):
    """Opens the display of one task.  ``total`` None: unknown length.  ``done``: units already done before this
    process started (a resumed run).  ``show_after``: show nothing unless the task is still running after this many
    seconds -- for work that is usually quick (the feature pass of a small set) and only sometimes long."""

    def task(self, label: str, total: int | None, *, done: int = 0, unit: str = "it",
             show_after: float = 0.0) -> ProgressTask: ...


class SilentProgress:
    """The reporter of a library user who installed none: shows nothing."""

    def task(self, label: str, total: int | None, *, done: int = 0, unit: str = "it",
             show_after: float = 0.0) -> ProgressTask:
        return ProgressTask()


SILENT = SilentProgress()
_reporter: ContextVar[ProgressReporter] = ContextVar("nextgpt_progress_reporter", default=SILENT)
_scope: ContextVar[str | None] = ContextVar("nextgpt_progress_scope", default=None)


def current_progress() -> ProgressReporter:
    return _reporter.get()


def current_scope() -> str | None:
    """What the work in progress belongs to (a task name), or None; the CLI also prefixes log lines with it."""
    return _scope.get()


@contextlib.contextmanager
def reporting_progress(reporter: ProgressReporter) -> Iterator[ProgressReporter]:
    """Show the progress of everything run inside the block with ``reporter``."""
    token = _reporter.set(reporter)
    try:
        yield reporter
    finally:
        _reporter.reset(token)


@contextlib.contextmanager
def progress_scope(name: str) -> Iterator[None]:
    """Work inside the block belongs to ``name``: task labels read ``[name] label``."""
    token = _scope.set(name)
    try:
        yield
    finally:
        _scope.reset(token)


def scoped_label(scope: str | None, label: str) -> str:
    """``[scope] label`` (``label`` alone without a scope): how a task's label names what it belongs to."""
    return f"[{scope}] {label}" if scope else label


def label_scope(label: str) -> str | None:
    """The scope a label was given by :func:`scoped_label` (``t2i`` for ``[t2i] generate``), or None: a reporter
    gets only the label, and may group the tasks of one scope (the CLI's log lines are paced per scope)."""
    if label.startswith("["):
        scope, bracket, _rest = label[1:].partition("] ")
        if bracket and scope:
            return scope
    return None


def progress_task(label: str, total: int | None, *, done: int = 0, unit: str = "it",
                  show_after: float = 0.0) -> ProgressTask:
    """A task of the current reporter, its label prefixed with the current scope."""
    return _reporter.get().task(scoped_label(_scope.get(), label), total, done=done, unit=unit,
                                show_after=show_after)
