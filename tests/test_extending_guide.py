"""docs/extending.md cannot rot: its Python blocks run in order, in a fresh process, as one program (a new
metric, dataset loader, task and model, then a run of the task on the model), and a mistake in the guide's
contracts (a metric without a direction) is refused as the guide says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def guide_blocks() -> list[str]:
    return BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def _run(program: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(GUIDE.parents[1])}
    return subprocess.run([sys.executable, "-c", program], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=environment)


def test_the_guide_has_the_four_examples_a_cycle_and_a_run() -> None:
    blocks = guide_blocks()
    assert len(blocks) == 6
    for needle in ("register_metric(", "register_dataset_kind(", "register_task(", "cycle_task(", "AnyToAnyModel",
                   "BenchmarkRunner("):
        assert any(needle in block for block in blocks), needle


def test_the_guide_runs_end_to_end(tmp_path: Path) -> None:
    done = _run("\n\n".join(guide_blocks()), tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "'repeated_word_rate': 0.0" in done.stdout
    assert (tmp_path / "guide-results" / "results.sqlite").is_file()


def test_the_guides_metric_without_a_direction_is_refused(tmp_path: Path) -> None:
    metric = guide_blocks()[0].replace("higher_is_better=False, ", "")
    done = _run(metric.replace("MetricSpec(\n", "MetricSpec(higher_is_better=None,\n", 1), tmp_path)
    assert done.returncode != 0 and "higher_is_better" in done.stderr
    duplicate = _run(guide_blocks()[0] + "\n" + guide_blocks()[0].split("\n\n\n")[-1], tmp_path)
    assert duplicate.returncode != 0 and "already registered" in duplicate.stderr
