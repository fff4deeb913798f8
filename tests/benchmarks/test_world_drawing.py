"""The synthetic world drawn by several processes: the same files whatever the worker count, failures surface."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from benchmarks.datasets import synthetic
from benchmarks.datasets.synthetic import SyntheticWorld, Tone, synthetic_world_folder
from benchmarks.datasets.world_drawing import (
    MAX_DEFAULT_WORKERS,
    PARALLEL_FROM,
    WORKERS_VARIABLE,
    Rows,
    available_cores,
    chunk_ranges,
    configured_workers,
    draw_samples,
    workers_for,
)
from nextgpt.core.errors import ConfigError

REPOSITORY = Path(__file__).resolve().parents[2]

#: Not a multiple of 2 or 3, so that both worker counts cut it into chunks of unequal lengths.
COUNT = 14


def _digests(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_the_world_does_not_depend_on_the_worker_count(tmp_path: Path) -> None:
    one = _digests(synthetic_world_folder(COUNT, cache_dir=tmp_path / "one", workers=1))
    assert len(one) == 6 * COUNT + len(synthetic.KINDS) + 1  # media, manifests, world.json
    for workers in (2, 3):
        assert _digests(synthetic_world_folder(COUNT, cache_dir=tmp_path / f"w{workers}", workers=workers)) == one


def _pids(start: int, stop: int) -> Rows:
    return {"drawn": [{"index": index, "pid": os.getpid()} for index in range(start, stop)]}


def test_chunks_are_drawn_by_other_processes_and_joined_in_index_order() -> None:
    rows = draw_samples(_pids, COUNT, 3)["drawn"]
    assert [row["index"] for row in rows] == list(range(COUNT))
    assert os.getpid() not in {row["pid"] for row in rows} and len({row["pid"] for row in rows}) > 1
    assert {row["pid"] for row in draw_samples(_pids, COUNT, 1)["drawn"]} == {os.getpid()}


def test_chunks_are_contiguous_and_differ_in_length_by_at_most_one() -> None:
    assert chunk_ranges(10, 3) == [range(0, 4), range(4, 7), range(7, 10)]
    chunks = chunk_ranges(COUNT, 12)
    assert [i for chunk in chunks for i in chunk] == list(range(COUNT))
    assert sorted({len(chunk) for chunk in chunks}) == [1, 2]
    with pytest.raises(ValueError, match="cannot cut 5 samples into 0 chunks"):
        chunk_ranges(5, 0)


class _BrokenWorld(SyntheticWorld):
    """A world whose tone generator fails at one index (pickled by reference, so it fails in the worker)."""

    def tone(self, kind: str, index: int) -> Tone:
        if index == 9:
            raise RuntimeError(f"tone generator broke at index {index}")
        return super().tone(kind, index)


def test_a_worker_failure_raises_with_its_cause_and_leaves_no_folder(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synthetic, "SyntheticWorld", _BrokenWorld)
    with pytest.raises(RuntimeError, match="tone generator broke at index 9") as failure:
        synthetic_world_folder(COUNT, cache_dir=tmp_path, workers=2)
    assert any("samples 8-9 of 14 in a worker process" in note for note in failure.value.__notes__)
    assert "in tone" in str(failure.value.__cause__)  # the worker's traceback
    assert list(tmp_path.iterdir()) == []  # the staging folder is gone and no world was published


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_worker_count_names_the_variable_and_the_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             value: str) -> None:
    monkeypatch.setenv(WORKERS_VARIABLE, value)
    with pytest.raises(ConfigError, match=f"{WORKERS_VARIABLE}='{value}' is not a worker count; expected a positive"):
        synthetic_world_folder(2, cache_dir=tmp_path)  # checked even for a world drawn in one process
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="workers=0 for drawing the synthetic world"):
        workers_for(PARALLEL_FROM, 0)


def test_the_worker_count_comes_from_the_variable_or_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_VARIABLE, " 3 ")
    assert configured_workers() == 3 and workers_for(PARALLEL_FROM) == 3
    assert workers_for(PARALLEL_FROM - 1) == 1  # a small world is drawn in this process
    assert workers_for(2, 5) == 5  # an explicit count is taken as given
    monkeypatch.delenv(WORKERS_VARIABLE)
    assert configured_workers() == min(available_cores(), MAX_DEFAULT_WORKERS)
    assert configured_workers({WORKERS_VARIABLE: ""}) == min(available_cores(), MAX_DEFAULT_WORKERS)
    # torchrun's processes on one machine share its cores (each draws the world)
    assert configured_workers({"LOCAL_WORLD_SIZE": str(available_cores())}) == 1
    assert configured_workers({"LOCAL_WORLD_SIZE": str(4 * available_cores())}) == 1
    assert configured_workers({"LOCAL_WORLD_SIZE": "4", WORKERS_VARIABLE: "7"}) == 7


def _die(start: int, stop: int) -> Rows:
    os._exit(3)  # a worker killed mid-chunk (out of memory, a signal)


def test_a_dead_worker_is_reported_with_what_may_have_killed_it() -> None:
    with pytest.raises(BrokenProcessPool) as failure:
        draw_samples(_die, COUNT, 2)
    assert any("a worker died" in note for note in failure.value.__notes__)


def test_workers_do_not_import_the_main_script(tmp_path: Path) -> None:
    """A spawned worker would run the parent's main script again (as ``__mp_main__``); under the nextgpt-bench
    console script that imported PyTorch, ~2 s and ~0.5 GB per worker. The script here records every import."""
    imports = tmp_path / "imports.txt"
    (tmp_path / "chunk_pids.py").write_text(textwrap.dedent("""
        import os

        def pids(start, stop):
            return {"drawn": [{"index": index, "pid": os.getpid()} for index in range(start, stop)]}
        """))
    script = tmp_path / "main_script.py"
    script.write_text(textwrap.dedent(f"""
        import json, os, sys
        with open({str(imports)!r}, "a") as marker:
            marker.write(f"{{__name__}} {{os.getpid()}}\\n")
        from benchmarks.datasets.world_drawing import draw_samples
        import chunk_pids

        if __name__ == "__main__":
            rows = draw_samples(chunk_pids.pids, {COUNT}, 2)["drawn"]
            print(json.dumps({{"main": os.getpid(), "workers": sorted({{row["pid"] for row in rows}})}}))
        """))
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=environment,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    pids = json.loads(done.stdout)
    assert pids["main"] not in pids["workers"]  # worker processes drew the chunks...
    assert imports.read_text().splitlines() == [f"__main__ {pids['main']}"]  # ... and did not import the script


def _defined_in_main(start: int, stop: int) -> Rows:
    return {}


def test_a_draw_function_of_the_main_script_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_defined_in_main, "__module__", "__main__")
    with pytest.raises(ValueError, match="'_defined_in_main' is defined in the main script"):
        draw_samples(_defined_in_main, COUNT, 2)
