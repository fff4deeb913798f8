"""Two CPU processes (gloo) give the same values as one process."""

from __future__ import annotations

import json
import socket

import pytest
import torch.multiprocessing as mp
from distributed_worker import score, worker


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_gloo_processes_equal_one_process(tmp_path) -> None:
    single = score(0, 1)
    out = tmp_path / "rank0.json"
    mp.spawn(worker, args=(2, _free_port(), str(out)), nprocs=2, join=True)
    double = json.loads(out.read_text())
    assert double["clip_truncated"] == single["clip_truncated"]
    for key in ("fid", "kid_mean", "kid_std", "kid_one_sided", "clip_score", "bleu4", "cider"):
        assert double[key] == pytest.approx(single[key], rel=1e-9, abs=1e-12), key
    assert double["kid_ci"] == pytest.approx(single["kid_ci"], rel=1e-9, abs=1e-12)
