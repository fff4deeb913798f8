"""The benchmark runner and its generation-cache keys; the results store it writes is ``benchmarks.store``."""
