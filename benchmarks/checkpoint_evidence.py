"""Does a checkpoint beat the untrained model?  Both run the same tasks on the same held-out samples (the
synthetic world's *test* split; training only ever sees the *train* split) and each metric is shown with its
bootstrap 95% CI, so a reader can tell a real gain from noise.  Used by
``benchmarks/test_bench_trained_checkpoint.py`` (whose printed table is the one in docs/training.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: (task, metric) pairs the table of docs/training.md reports: captioning quality and the rate of correct signal tokens
EVIDENCE_METRICS: tuple[tuple[str, str], ...] = (
    ("caption-image", "bleu4"), ("caption-image", "cider"), ("caption-image", "attribute_accuracy"),
    ("caption-video", "bleu4"), ("caption-video", "cider"), ("caption-video", "attribute_accuracy"),
    ("caption-audio", "bleu4"), ("caption-audio", "cider"), ("caption-audio", "attribute_accuracy"),
    ("t2i", "signal_exact"), ("t2v", "signal_exact"), ("t2a", "signal_exact"),
    ("t2i", "signal_rate"), ("t2v", "signal_rate"), ("t2a", "signal_rate"),
    ("edit-image", "signal_exact"), ("edit-video", "signal_exact"), ("edit-audio", "signal_exact"),
    ("dialogue", "modality_accuracy"),
)


@dataclass(frozen=True)
class EvidenceRow:
    task: str
    metric: str
    n: int
    untrained: float | None
    untrained_ci: tuple[float, float] | None
    trained: float | None
    trained_ci: tuple[float, float] | None

    @property
    def separated(self) -> bool:
        """The trained model's CI lies entirely above the untrained one's."""
        return (self.trained_ci is not None and self.untrained_ci is not None
                and self.trained_ci[0] > self.untrained_ci[1])


def score_model(model: Any, store_dir: Path, tasks: tuple[str, ...], limit: int, label: str) -> Any:
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings
    from benchmarks.store import ResultsStore

    settings = RunSettings(tasks=tasks, limit=limit, extractors="toy", bootstrap=1000, batch_size=8)
    return BenchmarkRunner(model, ResultsStore(store_dir), settings, progress=None,
                           model_description={"model": label}).run()


def evidence_rows(untrained: Any, trained: Any) -> list[EvidenceRow]:
    """Rows of ``EVIDENCE_METRICS`` from two ``RunSummary`` objects of the same tasks and samples."""
    rows = []
    for task, metric in EVIDENCE_METRICS:
        if task not in untrained.tasks or task not in trained.tasks:
            continue
        before, after = untrained.tasks[task], trained.tasks[task]
        rows.append(EvidenceRow(task, metric, after.n, before.metrics.get(metric), _ci(before.ci.get(metric)),
                                after.metrics.get(metric), _ci(after.ci.get(metric))))
    return rows


def _ci(value: list[float] | None) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def _cell(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci is not None else "")


def markdown_table(rows: list[EvidenceRow]) -> str:
    lines = ["| task | metric | n | untrained tiny (95% CI) | tiny-trained (95% CI) | CIs separate |",
             "| --- | --- | ---: | --- | --- | --- |"]
    lines += [f"| {r.task} | {r.metric} | {r.n} | {_cell(r.untrained, r.untrained_ci)} | "
              f"{_cell(r.trained, r.trained_ci)} | {'yes' if r.separated else 'no'} |" for r in rows]
    return "\n".join(lines)
