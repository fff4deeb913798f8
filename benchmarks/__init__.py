"""Benchmark harness: tasks, datasets, runner, results store and the pytest-benchmark suites."""
