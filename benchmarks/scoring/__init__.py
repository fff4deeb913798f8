"""Scoring a task's stored outputs: the harness's metric registry and the scorers that run the metric library."""
