"""The runner: cache hits regenerate nothing, a killed run resumes without loss or duplicates, batch size and
process count do not change the scores."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from nextgpt.model.building import build_model
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.presets import tiny

TASKS = ("caption-image", "t2i", "dialogue")


@pytest.fixture(scope="module")
def model() -> NextGPT:
    return build_model(tiny())


@pytest.fixture(scope="module", autouse=True)
def private_dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["NEXTGPT_BENCH_CACHE"] = str(tmp_path_factory.mktemp("cache"))


class CountingModel:
    """The model, with every generated request counted."""

    def __init__(self, model: NextGPT) -> None:
        self.model, self.requests = model, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def generate(self, request: Any) -> Any:
        self.requests += len(request) if isinstance(request, list) else 1
        return self.model.generate(request)


def run(model: Any, store_dir: Path, **settings: Any) -> Any:
    settings = {"tasks": TASKS, "limit": 3, "bootstrap": 20, **settings}
    return BenchmarkRunner(model, ResultsStore(store_dir), RunSettings(**settings), progress=None).run()


def test_cache_hit_regenerates_nothing_and_scores_the_same(model: NextGPT, tmp_path: Path) -> None:
    counting = CountingModel(model)
    first = run(counting, tmp_path / "store")
    assert counting.requests == 3 + 3 + 3 * 4  # captions, images, 4-turn dialogues
    counting.requests = 0
    second = run(counting, tmp_path / "store")
    assert counting.requests == 0
    assert second.run_id != first.run_id and all(t.cached > 0 for t in second.tasks.values())
    assert second.to_json()["tasks"] == first.to_json()["tasks"]
    rescored = run(counting, tmp_path / "store", extractors="toy", bootstrap=30)
    assert counting.requests == 0 and rescored.tasks["t2i"].ci != first.tasks["t2i"].ci


def test_batch_size_does_not_change_outputs_or_scores(model: NextGPT, tmp_path: Path) -> None:
    """Batches decode together (one UNet batch per modality), so pixels may differ by float rounding of batched
    convolutions; texts and signal tokens must be identical and scores equal to 1e-4."""
    one = run(model, tmp_path / "one", batch_size=1)
    four = run(model, tmp_path / "four", batch_size=4)
    for name, task in one.to_json()["tasks"].items():
        other = four.to_json()["tasks"][name]
        assert task["n"] == other["n"]
        for metric, value in task["metrics"].items():
            assert other["metrics"][metric] == pytest.approx(value, rel=1e-4, abs=1e-6), (name, metric)
    for task in TASKS:
        outputs = [{k: (g.text, g.signal_runs) for k, g in
                    ResultsStore(tmp_path / name).recorded(summary.run_id, task).items()}
                   for name, summary in (("one", one), ("four", four))]
        assert outputs[0] == outputs[1], task


def _cli(store: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.cli", "run", "--tasks", "t2v,caption-audio", "--limit", "8",
            "--store", str(store), "--bootstrap", "20", "--extractors", "toy", "--json", *extra]


def _recorded(store: Path) -> int:
    database = store / "results.sqlite"
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(database, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM run_samples").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


# the two tests below run the CLI in fresh processes (three runs; a torchrun of two ranks): end-to-end, marker e2e
@pytest.mark.slow
@pytest.mark.e2e
def test_killed_run_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    store = tmp_path / "store"
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(_cli(store), env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while _recorded(store) < 3 and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, "the run finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _recorded(store)
    assert 3 <= before < 16
    resumed = subprocess.run(_cli(store), env=environment, capture_output=True, text=True, check=True)
    result = json.loads(resumed.stdout)
    with sqlite3.connect(store / "results.sqlite") as db:
        runs = db.execute("SELECT run_id, status FROM runs").fetchall()
        rows = db.execute("SELECT task, sample_id, count(*) FROM run_samples GROUP BY task, sample_id").fetchall()
        generations = db.execute("SELECT count(*) FROM generations").fetchone()[0]
    assert runs == [(result["run_id"], "complete")]  # the same run, resumed and finished
    assert len(rows) == 16 and all(count == 1 for _, _, count in rows)
    assert generations == 16
    fresh = subprocess.run(_cli(tmp_path / "fresh"), env=environment, capture_output=True, text=True, check=True)
    assert json.loads(fresh.stdout)["tasks"] == result["tasks"]


@pytest.mark.slow
@pytest.mark.e2e
def test_two_processes_score_like_one(tmp_path: Path) -> None:
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "benchmarks.cli", "run", "--tasks", "caption-image,t2a,dialogue", "--limit", "4",
               "--bootstrap", "20", "--extractors", "toy", "--json"]
    single = subprocess.run([*command, "--store", str(tmp_path / "one")], env=environment, capture_output=True,
                            text=True, check=True)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533"]
    double = subprocess.run([*torchrun, "-m", "benchmarks.cli", *command[3:], "--store", str(tmp_path / "two")],
                            env=environment, capture_output=True, text=True, check=True)
    one, two = json.loads(single.stdout), json.loads(double.stdout.strip().splitlines()[-1])
    assert one["tasks"] == two["tasks"]


def test_run_command_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli import main

    code = main(["run", "--tasks", "caption-audio,t2a", "--limit", "2", "--store", str(tmp_path / "s"),
                 "--extractors", "toy", "--bootstrap", "10", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"run_id", "tasks", "skipped"} and set(out["tasks"]) == {"caption-audio", "t2a"}
    assert out["skipped"] == {}, "the tiny NExT-GPT does every task"
    for task in out["tasks"].values():
        assert set(task) == {"metrics", "ci", "n"} and task["n"] == 2
        assert all(task["ci"][name] is None or len(task["ci"][name]) == 2 for name in task["metrics"])


@pytest.mark.parametrize("args, message", [
    (["--tasks", "caption-smell"], "unknown task 'caption-smell'"),
    (["--dataset", "pictures=coco:a:b"], "--dataset 'pictures=coco:a:b': expected FAMILY=SPEC"),
    (["--tasks", "t2i", "--dataset", "image-captions=coco:missing.json:images"], "missing.json does not exist"),
])
def test_run_command_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                               message: str) -> None:
    from benchmarks.cli import main

    assert main(["run", "--store", str(tmp_path), "--extractors", "toy", *args]) == 2
    assert message in capsys.readouterr().err


def test_empty_answers_are_scored_not_fatal(model: NextGPT, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "decode_answers", lambda prompts, requests: [[] for _ in requests])
    summary = run(model, tmp_path / "store", tasks=("caption-image",))
    assert summary.tasks["caption-image"].metrics["cider"] == 0.0
    values = {v.metric: v for v in ResultsStore(tmp_path / "store").metric_values(summary.run_id)}
    assert any("3 of 3 answers were empty" in w for w in values["cider"].result.provenance.warnings)
    assert values["attribute_accuracy"].value == 0.0  # an empty answer names nothing
