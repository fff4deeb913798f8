"""Two torchrun "nodes" on one machine, as on two machines: each launched with ``--nnodes 2 --nproc_per_node 1`` and
a c10d rendezvous served by node 0, each with its own dataset cache, both writing one PostgreSQL store and one media
folder.  The scores must be those of a single process, every sample generated once, by one node or the other.
(The c10d rendezvous numbers the nodes as they join and ignores ``--node_rank``, so none is passed.)"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from postgres_server import PostgresServer
from store_fixtures import StoreSpot

TASKS = ("caption-image", "t2i", "t2a")
LIMIT = 5  # odd: the two shards differ in size (3 and 2)
TIMEOUT_S = 600
#: the line each process of a torchrun logs after its shard of a task (benchmarks/runner/runner.py)
SHARD_LINE = re.compile(r"\[(?P<task>[\w-]+)\] rank (?P<rank>\d+) of 2: (?P<samples>\d+) samples "
                        r"\((?P<generated>\d+) requests generated, (?P<cached>\d+) from the cache\)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_arguments(spot: StoreSpot) -> list[str]:
    return ["-m", "benchmarks.cli", "run", "--tasks", ",".join(TASKS), "--limit", str(LIMIT), "--bootstrap", "20",
            "--extractors", "toy", "--json", "--no-report", *spot.cli()]


def _node_command(node: int, port: int, spot: StoreSpot) -> list[str]:
    """One machine's torchrun.  ``is_host`` says which node serves the rendezvous store (on separate machines the
    one whose address is the endpoint's does; here every node's address is 127.0.0.1, so it is said)."""
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1",
            "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}",
            "--rdzv-id", f"two-nodes-{port}", "--rdzv-conf", f"is_host={'true' if node == 0 else 'false'}",
            "--local-addr", "127.0.0.1", "--max-restarts", "0", *_run_arguments(spot)]


def _environment(cache: Path) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1",
            "NEXTGPT_BENCH_CACHE": str(cache)}


def _stop(processes: list[subprocess.Popen[bytes]], grace_s: float = 45.0) -> None:
    """Stop the nodes still running.  torchrun starts each worker in a session of its own, so killing the agent's
    process group would leave the workers running as orphans (seen: two workers of a hung run still alive 20
    minutes later); SIGTERM makes the agent stop its workers first, and SIGKILL follows only after ``grace_s``.
    The agent itself waits up to 30 s between its workers' SIGTERM and their SIGKILL (its shutdown timeout), so
    ``grace_s`` must exceed that, or a slow worker may still be orphaned."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _run_nodes(spot: StoreSpot, folder: Path) -> list[tuple[str, str]]:
    """Launch both nodes, wait for both -> their (stdout, stderr).  A node that fails, or a run past the timeout,
    stops both (``_stop``) and fails the test with both stderr tails."""
    port = _free_port()
    logs = [(folder / f"node{rank}.out", folder / f"node{rank}.err") for rank in range(2)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for rank, (out, err) in enumerate(logs):
            with out.open("wb") as stdout, err.open("wb") as stderr:
                processes.append(subprocess.Popen(_node_command(rank, port, spot), stdout=stdout, stderr=stderr,
                                                  env=_environment(folder / f"cache{rank}"), start_new_session=True))
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline and any(p.poll() is None for p in processes) \
                and not any(p.poll() for p in processes):
            time.sleep(0.5)
    finally:
        _stop(processes)
    texts = [(out.read_text(errors="replace"), err.read_text(errors="replace")) for out, err in logs]
    codes = [process.returncode for process in processes]
    tails = "\n".join(f"--- node {rank} stderr ---\n{err[-4000:]}" for rank, (_, err) in enumerate(texts))
    assert codes == [0, 0], f"nodes failed or timed out (exit codes {codes}):\n{tails}"
    return texts


@pytest.mark.slow
@pytest.mark.e2e  # three CLI runs in fresh processes, two of them under torchrun: minutes
def test_two_nodes_on_one_store_score_like_one_process(postgres_server: PostgresServer, tmp_path: Path) -> None:
    single_spot = StoreSpot("postgresql", postgres_server.database(), tmp_path / "single-media")
    single = subprocess.run([sys.executable, *_run_arguments(single_spot)], env=_environment(tmp_path / "cache"),
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert single.returncode == 0, single.stderr[-4000:]

    shared_media = tmp_path / "shared-media"
    spot = StoreSpot("postgresql", postgres_server.database(), shared_media)
    nodes = _run_nodes(spot, tmp_path)
    printed = [json.loads(out.strip().splitlines()[-1]) for out, _ in nodes if out.strip()]
    assert len(printed) == 1, "exactly one node holds rank 0, which alone prints the summary"
    assert printed[0]["tasks"] == json.loads(single.stdout)["tasks"]  # every metric value, interval and n

    # both nodes generated, each its own shard, and together every sample once
    shards = [{match["task"]: match for match in SHARD_LINE.finditer(err)} for _, err in nodes]
    for task in TASKS:
        lines = [shard[task] for shard in shards]
        assert sorted(int(line["rank"]) for line in lines) == [0, 1], task
        assert sorted(int(line["samples"]) for line in lines) == [2, 3], task
        assert all(int(line["generated"]) == int(line["samples"]) and line["cached"] == "0" for line in lines), task
    run_id = printed[0]["run_id"]
    assert spot.query("SELECT run_id, status FROM runs") == [(run_id, "complete")]
    rows = spot.query("SELECT task, sample_id, turn, count(*) FROM run_samples GROUP BY task, sample_id, turn")
    assert sorted(task for task, *_ in rows) == sorted(TASKS * LIMIT) and {row[3] for row in rows} == {1}
    assert spot.query("SELECT count(*) FROM generations") == [(len(TASKS) * LIMIT,)]
    # the media every node wrote are in the one shared folder, where rank 0 read them to score
    media = [entry["path"] for (text,) in spot.query("SELECT media FROM generations") for entry in json.loads(text)]
    assert len(media) == 2 * LIMIT and all((shared_media / path).is_file() for path in media)
