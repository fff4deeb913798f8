"""Drawing the synthetic world's samples over several processes.

Every sample is a pure function of ``(seed, split, index)``, so the index range can be cut into contiguous chunks
drawn by separate worker processes. Each worker writes its samples' media files (distinct names) into the same
staging folder and returns its manifest rows; the parent concatenates the rows in index order. The manifests and
the files are therefore byte for byte those of one process, whatever the worker count.

Workers are started with ``spawn``, not ``fork``: the parent may already hold threads (PyTorch, CUDA, a progress
bar), which a forked child would inherit in an undefined state. A spawned (or forkserver) process normally runs the
parent's main script again, as ``__mp_main__``, before it takes work; under the ``nextgpt-bench`` console script
that imports benchmarks.cli and PyTorch, ~2 s and ~0.5 GB per worker. The workers are therefore started with the
main module hidden (``_main_module_hidden``) and import only what the chunk they unpickle needs; so a script that
draws a world needs no ``if __name__ == "__main__":`` guard for them, but its ``DrawRange`` must come from an
importable module, not from the script itself.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from nextgpt.core.errors import ConfigError

#: Manifest rows by sample kind, as a chunk's drawing returns them.
Rows = dict[str, list[dict[str, Any]]]
#: Draws the samples ``start <= index < stop`` and returns their rows; must pickle (a module-level function of an
#: importable module, not of the main script, or a ``functools.partial`` of one) since it is sent to the workers.
DrawRange = Callable[[int, int], Rows]

#: The environment variable that sets the worker count (a positive integer; 1 draws in the calling process).
WORKERS_VARIABLE = "NEXTGPT_BENCH_WORLD_WORKERS"
#: Smaller worlds are drawn in the calling process: one sample takes ~11 ms on one core, and a spawned worker
#: needs ~0.5 s to start (importing NumPy, Pillow and PyAV, not the parent's main script). Measured under a main
#: that imports benchmarks.cli (as the console script), 2 workers beat 1 from 150 samples (2.8 s against 3.7 s,
#: 300: 4.6 s against 7.2 s, medians of 3 on 2 busy cores); the margin is kept, as a small world takes seconds.
PARALLEL_FROM = 300
#: The default worker count is one per available core, at most this many (the disk, not the cores, limits more).
MAX_DEFAULT_WORKERS = 16
#: Chunks per worker: a few, so that a worker on a core shared with other work does not hold up the end alone.
CHUNKS_PER_WORKER = 4


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def configured_workers(environ: Mapping[str, str] | None = None) -> int:
    """The worker count: ``$NEXTGPT_BENCH_WORLD_WORKERS`` if set, else one per available core (at most
    ``MAX_DEFAULT_WORKERS``), shared among the processes torchrun started on this machine (each draws the world)."""
    environ = os.environ if environ is None else environ
    value = environ.get(WORKERS_VARIABLE, "").strip()
    if not value:
        return max(1, min(available_cores() // _local_processes(environ), MAX_DEFAULT_WORKERS))
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise ConfigError(f"{WORKERS_VARIABLE}={value!r} is not a worker count; expected a positive integer "
                          f"(1 draws the synthetic world in one process), or unset for one per available core")
    return workers


def _local_processes(environ: Mapping[str, str]) -> int:
    """The processes torchrun started on this machine (``LOCAL_WORLD_SIZE``, which it sets), 1 outside torchrun."""
    try:
        return max(1, int(environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def workers_for(count: int, workers: int | None = None) -> int:
    """The processes to draw ``count`` samples with: ``workers`` if given (a test forcing parallelism), else the
    configured count, or 1 below ``PARALLEL_FROM`` samples. The variable is checked even then, so that a typo
    shows at once rather than on the first large world."""
    if workers is not None:
        if workers < 1:
            raise ValueError(f"workers={workers} for drawing the synthetic world; expected a positive integer")
        return workers
    configured = configured_workers()
    return 1 if count < PARALLEL_FROM else configured


def chunk_ranges(count: int, parts: int) -> list[range]:
    """``range(count)`` cut into ``parts`` contiguous ranges in order, whose lengths differ by at most one."""
    if count < 0 or parts < 1:
        raise ValueError(f"cannot cut {count} samples into {parts} chunks")
    size, longer = divmod(count, parts)
    ranges, start = [], 0
    for part in range(parts):
        stop = start + size + (1 if part < longer else 0)
        ranges.append(range(start, stop))
        start = stop
    return ranges


def draw_samples(draw_range: DrawRange, count: int, workers: int) -> Rows:
    """Rows of samples ``0 .. count-1`` in index order, drawn by ``workers`` processes (in this one if 1).

    A worker's exception is raised here (its traceback as the cause, a note naming the chunk), after the pending
    chunks are cancelled and the running ones have finished: no worker writes files once this returns or raises,
    so the caller may remove its staging folder safely."""
    workers = min(workers, count)
    if workers <= 1:
        return draw_range(0, count)
    _require_importable(draw_range)
    chunks = chunk_ranges(count, min(count, workers * CHUNKS_PER_WORKER))
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        with _main_module_hidden():  # the executor starts its workers in submit(), as long as none is idle
            futures = [executor.submit(draw_range, chunk.start, chunk.stop) for chunk in chunks]
        wait(futures, return_when=FIRST_EXCEPTION)
        _raise_first_failure(chunks, futures, count)
        return _concatenate(future.result() for future in futures)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Processes started in this block do not import the parent's main module.

    multiprocessing decides what a new process re-imports from ``sys.modules["__main__"]`` when it starts it: the
    module's ``__spec__`` name, else its ``__file__``. A stand-in module with neither leaves the worker's own
    ``__main__`` alone. (A forkserver whose preload list leaves ``__main__`` out does not help: every process it
    forks still re-imports the main script while it reads its start-up data, as a spawned one does.) The swap is
    visible to the parent's other threads for the block's duration; none of this project's (progress bar,
    PyTorch's) looks at ``__main__``."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__", "stand-in while synthetic-world workers start")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _require_importable(draw_range: DrawRange) -> None:
    function = draw_range.func if isinstance(draw_range, functools.partial) else draw_range
    if getattr(function, "__module__", None) == "__main__":
        raise ValueError(f"{getattr(function, '__qualname__', function)!r} is defined in the main script, which "
                         "the drawing workers do not import; define it in an importable module")


def _raise_first_failure(chunks: list[range], futures: list[Future[Rows]], count: int) -> None:
    for chunk, future in zip(chunks, futures):
        if future.done() and not future.cancelled() and (error := future.exception()) is not None:
            error.add_note(f"while drawing synthetic samples {chunk.start}-{chunk.stop - 1} of {count} "
                           f"in a worker process ({WORKERS_VARIABLE}=1 draws in one process)")
            if isinstance(error, BrokenProcessPool):
                error.add_note("a worker died: killed (a signal, out of memory) or exited")
            raise error


def _concatenate(parts: Iterable[Rows]) -> Rows:
    rows: Rows = {}
    for part in parts:
        for kind, kind_rows in part.items():
            rows.setdefault(kind, []).extend(kind_rows)
    return rows
