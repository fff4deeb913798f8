"""Per-stage profiling: measured latency, throughput and memory of every stage of NExT-GPT or of any model that
declares its stages (``StageProfiler``), NExT-GPT's speed/memory switches (``SpeedOptions``), and its FLOPs/memory
predicted on the meta device (``predict``).  See ``nextgpt/profiling/README.md``."""

from nextgpt.profiling.records import Latency, Memory, StageRecord, Throughput
from nextgpt.profiling.stage_profiler import END_TO_END, OTHER, StageProfiler

__all__ = ["END_TO_END", "OTHER", "Latency", "Memory", "StageProfiler", "StageRecord", "Throughput"]
