"""Helpers of the report/compare/gate/leaderboard tests: the shared tiny-model runs and an in-process CLI."""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TASKS = ("t2v",)
LIMIT = 4


@dataclass(frozen=True)
class TinyRuns:
    store_dir: Path
    base: str
    same: str
    degraded: str
    checkpoint: Path
    degraded_checkpoint: Path

    def store(self) -> Any:
        from benchmarks.store import ResultsStore

        return ResultsStore(self.store_dir)

    def copy_store(self, target: Path) -> Any:
        """A private copy (for tests that tamper with the store)."""
        from benchmarks.store import ResultsStore

        shutil.copytree(self.store_dir, target)
        return ResultsStore(target)


def degrade(model: Any) -> Any:
    import torch

    damaged = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(0)
    prompts = ["Generate a video of a red ball.", "Generate a video of a dog running in the park."]
    ids = damaged.tokenizer(prompts, return_tensors="pt", padding=True).input_ids
    with torch.no_grad():
        hidden = damaged.llm(input_ids=ids, output_hidden_states=True).hidden_states[-1]
        direction = hidden.reshape(-1, hidden.shape[-1]).mean(0)
        direction = direction / direction.norm()
        for module in (*damaged.output_projections.values(), damaged.input_projection):
            for parameter in module.parameters():
                parameter.add_(torch.randn(parameter.shape, generator=generator) * parameter.std().clamp_min(1e-3))
        for name, parameter in damaged.named_parameters():
            if name.endswith("lm_head.extra"):
                parameter.copy_(-10.0 * direction.expand_as(parameter))
    return damaged


def run_tasks(model: Any, store: Any, checkpoint: Path) -> str:
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings

    settings = RunSettings(tasks=TASKS, limit=LIMIT, bootstrap=100, extractors="toy")
    description = {"preset": "tiny", "checkpoint": str(checkpoint), "device": "cpu", "dtype": "float32"}
    return BenchmarkRunner(model, store, settings, progress=None, model_description=description).run().run_id


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``nextgpt-bench ARGV`` in this process -> (exit code, stdout, stderr)."""
    from benchmarks.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
