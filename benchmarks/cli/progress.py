"""How the CLI shows progress (``nextgpt.core.progress``): a bar on a terminal, a periodic line in a log.

On a terminal, each task gets a tqdm bar with its count, rate, ETA and tallies (``generated 5, cached 2``).
When stderr is a file or a pipe (CI logs, ``2>log``), a bar's carriage returns would leave thousands of partial
lines, so a benchmark task writes one line at most every :data:`LINE_INTERVAL` seconds -- counted over all its
steps: generation, feature passes, intervals -- and one final line.  Both write log records through
:meth:`write`, so a message never lands in the middle of a bar.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from nextgpt.core.progress import ProgressTask, label_scope

if TYPE_CHECKING:
    from tqdm import tqdm

#: seconds between two progress lines of one task when the output is not a terminal
LINE_INTERVAL = 5.0
#: the size assumed for a terminal that does not report one (a pseudo-terminal without a size reports 0 x 0, and
#: tqdm then draws nothing at all)
FALLBACK_COLUMNS, FALLBACK_ROWS = 100, 20

Clock = Callable[[], float]


def progress_for(stream: TextIO) -> TerminalProgress | LineProgress:
    """A bar when ``stream`` is a terminal, else periodic lines."""
    isatty = getattr(stream, "isatty", None)
    return TerminalProgress(stream) if callable(isatty) and isatty() else LineProgress(stream)


def _tallies(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {value}" for name, value in counts.items())


def format_seconds(seconds: float) -> str:
    """``0.4s``, ``12s``, ``3m05s``, ``1h02m``."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# --- terminal ------------------------------------------------------------------------------------------------

class TerminalProgress:
    """tqdm bars on ``stream``.  A task with ``show_after`` appears only once it has run that long, and its bar is
    removed when it ends (it is a step of something larger); the runner's tasks stay on screen."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def task(self, label: str, total: int | None, *, done: int = 0, unit: str = "it",
             show_after: float = 0.0) -> ProgressTask:
        from tqdm import tqdm

        sized = _reports_its_width(self.stream)
        bar = tqdm(desc=label, total=total, initial=done, unit=unit, file=self.stream, delay=show_after,
                   leave=show_after == 0, dynamic_ncols=sized, ncols=None if sized else FALLBACK_COLUMNS,
                   nrows=None if sized else FALLBACK_ROWS, disable=False)
        return _BarTask(bar)

    def write(self, line: str) -> None:
        """``line`` above the bars, which are redrawn below it."""
        from tqdm import tqdm

        tqdm.write(line, file=self.stream)


def _reports_its_width(stream: TextIO) -> bool:
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):  # no file descriptor (a test's stream), or not a terminal
        return False


class _BarTask(ProgressTask):
    def __init__(self, bar: tqdm) -> None:
        self.bar = bar
        self.counts: dict[str, int] = {}

    def advance(self, steps: int = 1, **counts: int) -> None:
        for name, value in counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        if self.counts:
            self.bar.set_postfix_str(_tallies(self.counts), refresh=False)
        self.bar.update(steps)

    def close(self) -> None:
        self.bar.close()


# --- logs ----------------------------------------------------------------------------------------------------

class LineProgress:
    """Periodic lines, paced per group of tasks: the tasks of one scope (``[t2i] generate``, ``[t2i] toy features``,
    ``[t2i] bootstrap``: one benchmark task) share one group, a task without a scope is a group of its own.

    A group writes one line at most every ``interval`` seconds -- a task's periodic line (the first ``interval``
    after the task began; none once its count is complete), or the final line of a step of a scope (a scoped task
    with ``show_after``: work that is usually quick, part of a benchmark task), which is left out when its group
    wrote a line less than ``interval`` ago -- plus the final lines of the other tasks: the runner's generation,
    or work outside any scope (``score images``), which is a group of its own.  A task with ``show_after`` writes
    its final line only when it ran at least that long or already wrote a line.  ``clock`` is injectable for
    tests.
    """

    def __init__(self, stream: TextIO, *, interval: float = LINE_INTERVAL, clock: Clock = time.monotonic) -> None:
        self.stream, self.interval, self.clock = stream, interval, clock
        self._last_line: dict[str, float] = {}  # group -> when it last wrote a line

    def task(self, label: str, total: int | None, *, done: int = 0, unit: str = "it",
             show_after: float = 0.0) -> ProgressTask:
        scope = label_scope(label)
        return _LineTask(self, label, scope or label, total, done, unit, show_after,
                         paced_final=scope is not None and show_after > 0)

    def write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def group_may_write(self, group: str, now: float) -> bool:
        last = self._last_line.get(group)
        return last is None or now - last >= self.interval

    def write_for(self, group: str, line: str, now: float) -> None:
        self.write(line)
        self._last_line[group] = now


class _LineTask(ProgressTask):
    def __init__(self, owner: LineProgress, label: str, group: str, total: int | None, done: int, unit: str,
                 show_after: float, *, paced_final: bool) -> None:
        self.owner, self.label, self.group, self.total, self.unit = owner, label, group, total, unit
        self.show_after, self.paced_final = show_after, paced_final
        self.done = self.done_at_start = done
        self.counts: dict[str, int] = {}
        self.started = self.last_line = owner.clock()
        self.lines = 0
        self.closed = False

    def advance(self, steps: int = 1, **counts: int) -> None:
        self.done += steps
        for name, value in counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        if self.total is not None and self.done >= self.total:
            return  # the final line follows at close
        now = self.owner.clock()
        if (now - self.last_line >= self.owner.interval and now - self.started >= self.show_after
                and self.owner.group_may_write(self.group, now)):
            self._write(self._progress_line(now), now)
            self.last_line = now

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        now = self.owner.clock()
        elapsed = now - self.started
        if self.show_after and not self.lines and elapsed < self.show_after:
            return  # quick, as usual: nothing to show
        if self.paced_final and not self.owner.group_may_write(self.group, now):
            return  # a step of a benchmark task whose last line is too recent
        self._write(self._final_line(elapsed), now)

    def _write(self, line: str, now: float) -> None:
        self.owner.write_for(self.group, line, now)
        self.lines += 1

    def _count(self) -> str:
        return f"{self.done}/{self.total} {self.unit}" if self.total is not None else f"{self.done} {self.unit}"

    def _progress_line(self, now: float) -> str:
        parts = [self._count() + (f" ({100 * self.done / self.total:.0f}%)" if self.total else "")]
        elapsed, steps = now - self.started, self.done - self.done_at_start
        if elapsed > 0 and steps > 0:
            rate = steps / elapsed
            parts.append(f"{rate:.3g} {self.unit}/s")
            if self.total is not None:
                parts.append(f"ETA {format_seconds(max(self.total - self.done, 0) / rate)}")
        if self.counts:
            parts.append(_tallies(self.counts))
        return f"{self.label}: " + ", ".join(parts)

    def _final_line(self, elapsed: float) -> str:
        finished = self.total is None or self.done >= self.total
        head = (f"{self._count()} in {format_seconds(elapsed)}" if finished
                else f"stopped at {self._count()} after {format_seconds(elapsed)}")
        return f"{self.label}: " + ", ".join([head, *([_tallies(self.counts)] if self.counts else [])])
