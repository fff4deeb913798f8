"""What the CLI writes to stderr: log records, Python warnings and progress, at the verbosity the user chose.

Results (the run summary, ``--json``) go to stdout from the commands themselves; nothing here touches stdout.

* Log records of the project's loggers (``nextgpt``, ``metrics``, ``benchmarks``, ``reports``, ``leaderboards``)
  are shown from INFO (``--verbose``: DEBUG; ``--quiet``: WARNING), other libraries' from WARNING.  A warning
  reads ``warning: [TASK] message`` -- TASK when the runner was scoring a task (``nextgpt.core.progress``).
* A warning whose text was already shown is not shown again; at the end, one line says how often it came back.
* Python warnings (``warnings.warn``) become log records of ``py.warnings``: one line with their category and
  origin instead of two with the source line.  Python shows each once per place in the code (its default).
* transformers and diffusers print through their own stderr handlers; for the block their records come to the
  CLI's handler instead, at the CLI's level for them (``benchmarks/cli/library_logging.py``).
* Progress: a bar on a terminal, periodic lines otherwise (``benchmarks/cli/progress.py``); none with
  ``--quiet``, nor in the processes of a torchrun other than rank 0.

Everything set here is undone when the block ends (levels, handlers, propagation, warning filters, progress
bars), so that ``main()`` called from Python (tests) leaves logging and warnings as it found them.  The one
lasting change is ``main()``'s own, on purpose: it turns the Hugging Face libraries offline for the rest of the
process (``benchmarks/cli/__init__.py``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from benchmarks.cli.library_logging import routed_library_loggers
from benchmarks.cli.progress import progress_for
from benchmarks.cli.quiet_third_party import library_log_levels, quiet_third_party
from nextgpt.core.progress import SILENT, ProgressReporter, current_scope, reporting_progress

#: the loggers of this project (the metric library logs as ``metrics``)
PROJECT_LOGGERS = ("nextgpt", "metrics", "benchmarks", "reports", "leaderboards")
QUIET, NORMAL, VERBOSE = -1, 0, 1
_PROJECT_LEVEL = {QUIET: logging.WARNING, NORMAL: logging.INFO, VERBOSE: logging.DEBUG}
_OTHERS_LEVEL = {QUIET: logging.WARNING, NORMAL: logging.WARNING, VERBOSE: logging.INFO}
#: characters of a folded warning quoted in the closing count
_QUOTED = 100


class CliFormatter(logging.Formatter):
    """``warning: ``/``error: `` before warnings and errors, ``debug: LOGGER: `` before debug lines, nothing before
    information; ``[TASK] `` after that while the runner works on a task."""

    def format(self, record: logging.LogRecord) -> str:
        scope = current_scope()
        text = (f"[{scope}] " if scope else "") + record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        if record.levelno >= logging.WARNING:
            return f"warning: {text}"
        if record.levelno < logging.INFO:
            return f"debug: {record.name}: {text}"
        return text


@dataclass
class _Folded:
    """A warning text already shown: how many more times it came, and under which tasks."""

    repeats: int = 0
    scopes: list[str] = field(default_factory=list)


class FoldingHandler(logging.Handler):
    """Writes records through the progress display (so that a bar is redrawn below them); a warning shown once
    is counted, not shown, when it comes again, and :meth:`summarise` ends with one line per repeated warning."""

    def __init__(self, display: ProgressReporter | None, stream: TextIO) -> None:
        super().__init__()
        self.display, self.stream = display, stream
        self.folded: dict[str, _Folded] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.levelno == logging.WARNING:
                message = record.getMessage()
                if message in self.folded:
                    seen = self.folded[message]
                    seen.repeats += 1
                    scope = current_scope()
                    if scope and scope not in seen.scopes:
                        seen.scopes.append(scope)
                    return
                self.folded[message] = _Folded()
            self._write(self.format(record))
        except Exception:  # a handler must not raise into the code that logged
            self.handleError(record)

    def summarise(self) -> None:
        for message, seen in self.folded.items():
            if seen.repeats:
                where = f" (in {', '.join(seen.scopes)})" if seen.scopes else ""
                quoted = message if len(message) <= _QUOTED else message[:_QUOTED - 3] + "..."
                times = "time" if seen.repeats == 1 else "times"
                self._write(f"warning: {seen.repeats} more {times}{where}: {quoted}")
        self.folded.clear()

    def _write(self, line: str) -> None:
        write = getattr(self.display, "write", None)
        if write is not None:
            write(line)
        else:
            print(line, file=self.stream, flush=True)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """``warnings.showwarning`` of the CLI: one log line, ``message (Category, file.py:123)``."""
    logging.getLogger("py.warnings").warning("%s (%s, %s:%d)", message, category.__name__, Path(filename).name,
                                             lineno)


def _is_rank_zero() -> bool:
    """torchrun starts one CLI per process; only the first shows progress (the others' work is the same)."""
    return int(os.environ.get("RANK", "0")) == 0


@contextlib.contextmanager
def cli_output(verbosity: int = NORMAL, stream: TextIO | None = None) -> Iterator[None]:
    """Logging, warnings and progress of one CLI command on ``stream`` (stderr)."""
    import sys

    stream = stream if stream is not None else sys.stderr
    display: ProgressReporter = progress_for(stream) if verbosity > QUIET and _is_rank_zero() else SILENT
    handler = FoldingHandler(display, stream)
    handler.setFormatter(CliFormatter())
    root = logging.getLogger()
    saved_levels = {name: logging.getLogger(name).level for name in ("", *PROJECT_LOGGERS)}
    root.addHandler(handler)
    root.setLevel(_OTHERS_LEVEL[verbosity])
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(_PROJECT_LEVEL[verbosity])
    try:
        hide_third_party = verbosity < VERBOSE
        library_levels = library_log_levels(hide_third_party, _OTHERS_LEVEL[verbosity])
        with warnings.catch_warnings(), quiet_third_party(enabled=hide_third_party), \
                routed_library_loggers(library_levels), reporting_progress(display):
            warnings.showwarning = _show_warning
            try:
                yield
            finally:
                handler.summarise()
    finally:
        root.removeHandler(handler)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
