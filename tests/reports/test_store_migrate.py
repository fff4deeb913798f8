"""``nextgpt-bench store migrate``: the shared tiny-model store copied into a real PostgreSQL database and back
gives the same rows, files, ``compare`` and ``leaderboard`` from every copy; a rerun copies nothing; a run id held
with other content is refused, named."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from report_helpers import TinyRuns, cli

from benchmarks.store.copy import RUN_TABLES


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for sub in ("media", "features")
            for path in sorted((folder / sub).rglob("*")) if path.is_file()}


def _outputs(tiny_runs: TinyRuns, store: list[str], named: str, capsys: pytest.CaptureFixture[str]
             ) -> tuple[str, str]:
    """compare's and leaderboard's output, with the store's name (``named``: its file or URL) as ``STORE``."""
    code, compared, err = cli(["compare", tiny_runs.base, tiny_runs.degraded, *store, "--bootstrap", "50"], capsys)
    assert code == 0, err
    code, board, err = cli(["leaderboard", *store], capsys)
    assert code == 0, err
    return compared.replace(named, "STORE"), board.replace(named, "STORE")


def test_round_trip_through_postgres_keeps_everything(tiny_runs: TinyRuns, postgres_server: Any, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    original = tmp_path / "original"
    shutil.copytree(tiny_runs.store_dir, original, ignore=shutil.ignore_patterns("reports"))
    url, media, back = postgres_server.database(), tmp_path / "shared-media", tmp_path / "back"

    code, out, err = cli(["store", "migrate", str(original), url, "--media", str(media)], capsys)
    assert code == 0, err
    assert "copied 3 run(s)" in out and "0 run(s) were already there" in out
    code, out, err = cli(["store", "migrate", str(original), url, "--media", str(media)], capsys)
    assert code == 0 and "copied 0 run(s)" in out and "3 run(s) were already there" in out, err
    assert "0 new cached generation(s), 0 file(s) copied" in out, "a rerun copies nothing"
    code, out, err = cli(["store", "migrate", url, str(back), "--source-media", str(media)], capsys)
    assert code == 0 and "copied 3 run(s)" in out, err

    from benchmarks.store import ResultsStore

    stores = [ResultsStore(original), ResultsStore(url, media=media), ResultsStore(back)]
    for table in ("generations", *RUN_TABLES):
        rows = [store.table_rows(table) for store in stores]
        assert rows[0] == rows[1] == rows[2], table
        # the tiny runs score video FID, whose feature chunks (several rows per item) are kept and copied
        assert rows[0] or table in ("stage_timings", "skipped_tasks"), f"the tiny runs fill {table}"
    assert _files(original) == _files(media) == _files(back) != {}
    outputs = [_outputs(tiny_runs, ["--store", str(original)], str(original / "results.sqlite"), capsys),
               _outputs(tiny_runs, ["--store", url, "--media", str(media)], url, capsys),
               _outputs(tiny_runs, ["--store", str(back)], str(back / "results.sqlite"), capsys)]
    assert outputs[0] == outputs[1] == outputs[2]
    assert f"A = {tiny_runs.base}" in outputs[0][0] and "from STORE" in outputs[0][0], "compare names the runs"


def test_a_run_held_with_other_content_is_refused(tiny_runs: TinyRuns, postgres_server: Any, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(tiny_runs.store_dir, changed, ignore=shutil.ignore_patterns("reports"))
    url, media = postgres_server.database(), tmp_path / "media"
    assert cli(["store", "migrate", str(tiny_runs.store_dir), url, "--media", str(media)], capsys)[0] == 0
    with sqlite3.connect(changed / "results.sqlite") as db:
        db.execute("UPDATE metric_values SET value = value + 1 WHERE run_id = ?", (tiny_runs.degraded,))
    code, _, err = cli(["store", "migrate", str(changed), url, "--media", str(media)], capsys)
    assert code == 2
    assert (f"run '{tiny_runs.degraded}' is already in {url} with different content (its metric_values rows "
            "differ") in err and "never overwrites a run" in err
    code, _, err = cli(["store", "migrate", url, str(tmp_path / "back")], capsys)
    assert code == 2 and f"SRC {url} is a PostgreSQL store" in err and "pass --source-media DIR" in err
    assert not (tmp_path / "back").exists(), "refused before anything is made or copied"
