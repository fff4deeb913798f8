"""Clock marks and memory samples taken at stage boundaries, for CPU and CUDA.

A profiled generation is a sequence of *marks* (one at every stage entry and exit); the time between two
consecutive marks belongs to the stage that was running in between.  On CUDA a mark records a
``torch.cuda.Event`` on the current stream instead of reading a host clock, so marking never stalls the GPU;
``elapsed`` synchronises the device once, then reads the event-to-event times (what the GPU actually spent).  On
CPU a mark is ``time.perf_counter()``.

Memory is sampled at the same marks (see ``nextgpt.profiling.records.Memory`` for what the figures mean).  On CUDA
each sample resets the device's peak-memory statistics: code that reads ``torch.cuda.max_memory_allocated`` while
a profiler is attached sees the peak since the last stage boundary.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import os
import resource
import sys
import time
from dataclasses import dataclass
from typing import Any

import torch


class HostClock:
    """``time.perf_counter`` marks (CPU execution is synchronous, so there is nothing to synchronise)."""

    device_type = "cpu"

    def mark(self) -> float:
        return time.perf_counter()

    def elapsed(self, marks: list[Any]) -> list[float]:
        """Seconds between consecutive marks."""
        return [b - a for a, b in itertools.pairwise(marks)]


class CudaEventClock:
    """CUDA event marks on the current stream; ``elapsed`` synchronises once and reads the event timings."""

    device_type = "cuda"

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def mark(self) -> Any:
        event = torch.cuda.Event(enable_timing=True)
        event.record(torch.cuda.current_stream(self.device))
        return event

    def elapsed(self, marks: list[Any]) -> list[float]:
        torch.cuda.synchronize(self.device)
        return [a.elapsed_time(b) / 1000.0 for a, b in itertools.pairwise(marks)]


def clock_for(device: torch.device) -> HostClock | CudaEventClock:
    return CudaEventClock(device) if device.type == "cuda" else HostClock()


# ----------------------------------------------------------------------------------------------- memory
@dataclass(frozen=True)
class MemorySample:
    #: CUDA: peak allocated since the previous sample; CPU: malloc bytes in use now (None without glibc)
    allocated: int | None
    #: CUDA: peak reserved since the previous sample; CPU: None
    reserved: int | None
    #: process resident set now (None where /proc is missing)
    rss: int | None
    #: process resident high-water mark so far (getrusage)
    max_rss: int


#: the smallest interval between two glibc ``mallinfo2`` readings (see ``MemorySampler._malloc_in_use``)
MALLINFO_INTERVAL_S = 0.05


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _mallinfo2() -> Any:
    """glibc's ``mallinfo2`` (2.33+), or None: it reports the bytes malloc has handed out, without tracing."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        function = libc.mallinfo2
    except (OSError, AttributeError):
        return None
    function.restype = _MallInfo2
    return function


class MemorySampler:
    """Cheap memory readings (a few microseconds): no tracemalloc, no allocator tracing."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._cuda = device.type == "cuda"
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        try:
            self._statm: int | None = os.open("/proc/self/statm", os.O_RDONLY)
        except OSError:
            self._statm = None
        self._mallinfo = None if self._cuda else _mallinfo2()
        self._malloc_value: int | None = None
        self._malloc_time = 0.0
        # ru_maxrss is kilobytes on Linux, bytes on macOS
        self._maxrss_scale = 1 if sys.platform == "darwin" else 1024

    def close(self) -> None:
        if self._statm is not None:
            os.close(self._statm)
            self._statm = None

    def rss(self) -> int | None:
        if self._statm is None:
            return None
        return int(os.pread(self._statm, 64, 0).split()[1]) * self._page

    def max_rss(self) -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * self._maxrss_scale

    def sample(self) -> MemorySample:
        if self._cuda:
            allocated = torch.cuda.max_memory_allocated(self.device)
            reserved: int | None = torch.cuda.max_memory_reserved(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            allocated, reserved = self._malloc_in_use(), None
        return MemorySample(allocated, reserved, self.rss(), self.max_rss())

    def _malloc_in_use(self) -> int | None:
        """glibc's bytes in use, read at most every ``MALLINFO_INTERVAL_S``: ``mallinfo2`` walks malloc's free
        lists: right after a forward pass has freed its temporaries one call costs 0.1-0.4 ms, which at
        every decode step would cost more than the 2% overhead budget; closer samples reuse the last reading."""
        if self._mallinfo is None:
            return None
        now = time.perf_counter()
        if self._malloc_value is None or now - self._malloc_time >= MALLINFO_INTERVAL_S:
            info = self._mallinfo()
            self._malloc_value, self._malloc_time = int(info.uordblks + info.hblkhd), now
        return self._malloc_value
