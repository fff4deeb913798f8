"""Evidence that the shipped ``tiny-trained`` checkpoint learnt what the suite measures.

The untrained tiny preset and the checkpoint answer the same held-out samples (synthetic test split; the recipe
trains on the train split only); the timed operation is one full scoring run of the checkpoint, and
``extra_info`` carries every metric with its bootstrap 95% CI plus the markdown tables that docs/training.md shows
(printed with ``-s``).  The test fails when the trained model does not beat the untrained one, with separated
confidence intervals, on captioning CIDEr and attribute accuracy (captions name the input's colour, shape,
pitch...) and on the rate of correct signal tokens (``signal_exact``: the complete run of the asked-for
modality and nothing else).  ``signal_rate`` (any of the modality's signal tokens)
is shown too: an untrained model emits random signal tokens often, which that rate counts.

A checkpoint that bundles pre-trained decoders (``decoders/<modality>`` pipeline folders) must also show them:
for each bundled decoder, the t2i / t2v / t2a attribute accuracy (the verifiers read colour, shape, motion,
pitch... back from the generated media) through NExT-GPT *and* with the decoder alone (the diffusers adapter on
its own text encoder, untimed, the same samples) must each have its CI above the untrained model's.  The gap
between the two paths (how much the LLM path loses) is printed and stored, not asserted.  A checkpoint with the
preset's random decoders (bundling none) has no decoder-path rows and skips only those checks.

    .venv/bin/pytest benchmarks/test_bench_trained_checkpoint.py --benchmark-only -s

``NEXTGPT_BENCH_EVIDENCE_CHECKPOINT`` names another checkpoint folder to test (default: the shipped one).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.checkpoint_evidence import (
    EVIDENCE_METRICS,
    bundled_decoders,
    decoder_path_markdown,
    decoder_path_rows,
    evidence_failures,
    evidence_rows,
    markdown_table,
    score_decoders_alone,
    score_model,
)

LIMIT = 48
TASKS = tuple(dict.fromkeys(task for task, _ in EVIDENCE_METRICS))
#: The environment variable naming the checkpoint under test (a folder or a shipped checkpoint's name).
CHECKPOINT_VARIABLE = "NEXTGPT_BENCH_EVIDENCE_CHECKPOINT"


def checkpoint_under_test() -> str:
    from nextgpt.model.pretrained import DEFAULT_CHECKPOINT

    return os.environ.get(CHECKPOINT_VARIABLE) or DEFAULT_CHECKPOINT


@pytest.fixture(scope="module")
def untrained_summary(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from nextgpt.model.loading import load_model
    from nextgpt.model.model_spec import ModelSpec

    return score_model(load_model(ModelSpec(preset="tiny")), tmp_path_factory.mktemp("untrained"), TASKS, LIMIT,
                       "tiny (untrained)")


def test_trained_checkpoint_beats_untrained(benchmark: Any, untrained_summary: Any, tmp_path: Path) -> None:
    from nextgpt.model.loading import load_model
    from nextgpt.model.model_spec import ModelSpec

    checkpoint = checkpoint_under_test()
    model = load_model(ModelSpec(checkpoint=checkpoint))
    benchmark.group = "trained-checkpoint"
    stores = iter(range(1000))

    def score() -> Any:  # a fresh store per round, so every round really generates
        return score_model(model, tmp_path / f"trained-{next(stores)}", TASKS, LIMIT, checkpoint)

    trained = benchmark.pedantic(score, rounds=1, iterations=1)
    rows = evidence_rows(untrained_summary, trained)
    table = markdown_table(rows)

    # the decoders alone: only the bundled ones, on their text-to-X task; the other two runs are reused
    bundled = bundled_decoders(checkpoint)
    started = time.perf_counter()
    alone = score_decoders_alone(checkpoint, tmp_path / "decoders-alone", LIMIT)
    alone_seconds = time.perf_counter() - started
    path_rows = decoder_path_rows(untrained_summary, trained, alone)
    path_table = decoder_path_markdown(path_rows)

    print(f"\ncheckpoint: {checkpoint}; bundled decoders: {', '.join(bundled) or 'none'}\n\n{table}\n\n"
          f"{path_table}\n\n(decoders alone: {alone_seconds:.0f} s)")
    benchmark.extra_info.update(
        limit=LIMIT, checkpoint=str(checkpoint), table=table, rows=[row.__dict__ for row in rows],
        bundled_decoders=sorted(bundled), decoder_path_table=path_table,
        decoder_path_rows=[{**row.__dict__, "gap": row.gap} for row in path_rows],
        decoder_alone_seconds=round(alone_seconds, 1))
    failures = evidence_failures(rows, path_rows, bundled)
    assert not failures, "the checkpoint does not show what training buys:\n" + "\n".join(failures)
