"""Under torchrun the runner scores a task's whole set in rank 0 alone while the other ranks wait at a barrier
(benchmarks/runner/runner.py).  The metric-library classes the scorers build (CLIP score, CLIP-I, KID: each a
``torchmetrics.Metric``) must then compute without gathering their states from the other ranks, which never join
that collective: scoring ``t2i`` hung there for ever in a torchrun of two processes."""

from __future__ import annotations

import datetime
import json
import socket
from pathlib import Path

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp
from perfect_runs import FAMILY, record_perfect_run

from benchmarks.datasets.registry import resolve_dataset
from benchmarks.scoring.context import ScoredTask, ScoringContext
from benchmarks.scoring.scorers import score_task
from benchmarks.store import ResultsStore

#: every set metric of an image task that is built on a metric-library class, and FID beside them
TASK = ScoredTask("t2i-like", "image", ("fid", "kid", "clip_score", "clip_i"))
#: long enough for the toy networks on a busy machine, short enough that a collective nobody joins fails the test
COLLECTIVE_TIMEOUT = datetime.timedelta(seconds=120)


def _scores(folder: Path) -> dict[str, list[float | None]]:
    """Score a perfect run of TASK on 6 images -> metric -> [value, ci low, ci high]."""
    dataset = resolve_dataset(FAMILY["image"], None, limit=6)
    store = ResultsStore(folder)
    outputs = record_perfect_run(store, TASK.name, "image", dataset)
    scored = score_task(ScoringContext(TASK, dataset, outputs, store, "toy", 20, 0))
    store.close()
    return {m.metric: [m.result.value, *((m.result.ci.low, m.result.ci.high) if m.result.ci else (None, None))]
            for m in scored.metrics}


def _rank(rank: int, port: int, folder: str) -> None:
    """Rank 0 scores while rank 1 waits at the barrier that ends scoring (as the runner's ranks do)."""
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2,
                            timeout=COLLECTIVE_TIMEOUT)
    try:
        if rank == 0:
            (Path(folder) / "rank0.json").write_text(json.dumps(_scores(Path(folder) / "store")))
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_rank_zero_scores_alone_like_a_single_process(tmp_path: Path) -> None:
    mp.spawn(_rank, args=(_free_port(), str(tmp_path)), nprocs=2, join=True)
    alone = json.loads((tmp_path / "rank0.json").read_text())
    assert set(alone) >= {"fid", "kid_mean", "clip_score", "clip_i"}
    assert alone == _scores(tmp_path / "single")
