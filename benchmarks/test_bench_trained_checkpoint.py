"""Evidence that the shipped ``tiny-trained`` checkpoint learnt what the suite measures.

The untrained tiny preset and the shipped checkpoint answer the same held-out samples (synthetic test split;
the recipe trains on the train split only); the timed operation is one full scoring run per model, and
``extra_info`` carries every metric with its bootstrap 95% CI plus the markdown table that docs/training.md shows
(printed with ``-s``).  The test fails when the trained model does not beat the untrained one, with separated
confidence intervals, on captioning CIDEr and attribute accuracy (captions name the input's colour, shape,
pitch...) and on the rate of correct signal tokens (``signal_exact``: the complete run of the asked-for
modality and nothing else).  ``signal_rate`` (any of the modality's signal tokens)
is shown too: an untrained model emits random signal tokens often, which that rate counts.

    .venv/bin/pytest benchmarks/test_bench_trained_checkpoint.py --benchmark-only -s
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.checkpoint_evidence import EVIDENCE_METRICS, evidence_rows, markdown_table, score_model

LIMIT = 48
TASKS = tuple(dict.fromkeys(task for task, _ in EVIDENCE_METRICS))


@pytest.fixture(scope="module")
def untrained_summary(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from nextgpt.model.loading import load_model
    from nextgpt.model.model_spec import ModelSpec

    return score_model(load_model(ModelSpec(preset="tiny")), tmp_path_factory.mktemp("untrained"), TASKS, LIMIT,
                       "tiny (untrained)")


def test_trained_checkpoint_beats_untrained(benchmark: Any, untrained_summary: Any, tmp_path: Path) -> None:
    from nextgpt.model.loading import load_model
    from nextgpt.model.model_spec import ModelSpec
    from nextgpt.model.pretrained import DEFAULT_CHECKPOINT

    model = load_model(ModelSpec(checkpoint=DEFAULT_CHECKPOINT))
    benchmark.group = "trained-checkpoint"
    stores = iter(range(1000))

    def score() -> Any:  # a fresh store per round, so every round really generates
        return score_model(model, tmp_path / f"trained-{next(stores)}", TASKS, LIMIT, DEFAULT_CHECKPOINT)

    trained = benchmark.pedantic(score, rounds=1, iterations=1)
    rows = evidence_rows(untrained_summary, trained)
    table = markdown_table(rows)
    print("\n" + table)
    benchmark.extra_info.update(limit=LIMIT, table=table, rows=[row.__dict__ for row in rows])
    separated = {(row.task, row.metric) for row in rows if row.separated}
    for task in ("caption-image", "caption-video", "caption-audio"):
        assert (task, "cider") in separated, f"{task}: CIDEr of the trained model is not above the untrained one"
        assert (task, "attribute_accuracy") in separated, f"{task}: captions do not name the input's attributes"
    for task in ("t2i", "t2v", "t2a"):
        assert (task, "signal_exact") in separated, f"{task}: correct signal-token rate is not above the untrained one"
