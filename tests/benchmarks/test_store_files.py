"""The results store refuses files that are not a results store (empty, garbage, truncated, another database)
with the file named and the way out, never writes into them; a read-only store is a named error, not an
``sqlite3.OperationalError``; schema-1 stores stay readable (schema 2: test_store_results.py); failed runs keep
their error and resume."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import store as store_module
from benchmarks.store import SCHEMA_VERSION, ResultsStore
from nextgpt.core.errors import StoreError


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _real_store(folder: Path, runs: int = 3) -> Path:
    """A store with a few runs and enough rows to span several pages (so a cut makes it truncated)."""
    store = ResultsStore(folder)
    for index in range(runs):
        store.start_or_resume("fingerprint", {"preset": "tiny"}, {"index": index, "padding": "x" * 3000})
    store.close()
    return folder / "results.sqlite"


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 20)


def _text(path: Path) -> None:
    path.write_text("run_id,status\nabc,complete\n")


def _other_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE photos (name TEXT)")


BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty": (_empty, "is empty (0 bytes): it is not a results store"),
    "garbage": (_garbage, "is not a results store or is damaged: it does not start with the SQLite header"),
    "text": (_text, "is not a results store or is damaged"),
    "other-database": (_other_database, "is an SQLite database but not a results store (its tables: photos)"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_store_file_is_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    make, message = BAD_FILES[kind]
    database = tmp_path / "results.sqlite"
    make(database)
    before = _digest(database)
    with pytest.raises(StoreError) as caught:
        ResultsStore(tmp_path)
    text = str(caught.value)
    assert str(database) in text and message in text and "pass another --store" in text, text
    assert _digest(database) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.sqlite"]  # no -wal/-shm written beside it


def test_truncated_store_is_refused(tmp_path: Path) -> None:
    database = _real_store(tmp_path / "store")
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match=r"is not a results store or is damaged: it is truncated: \d+ bytes"):
        ResultsStore(tmp_path / "store")
    assert database.read_bytes() == data[: len(data) // 2]


def test_damaged_pages_are_a_store_error_not_a_database_error(tmp_path: Path) -> None:
    database = _real_store(tmp_path / "store")
    data = bytearray(database.read_bytes())
    data[4096:3 * 4096] = bytes(range(256)) * 32  # the schema/table pages, the header intact
    database.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught:
        ResultsStore(tmp_path / "store").runs()
    assert str(database) in str(caught.value) and "damaged" in str(caught.value)
    assert database.read_bytes() == bytes(data)


def test_store_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "store").write_text("not a folder")
    with pytest.raises(StoreError, match=r"--store .*store is a file, expected the folder"):
        ResultsStore(tmp_path / "store")


@pytest.mark.parametrize("command", [["report", "some-run"], ["leaderboard"], ["gate", "some-run", "--baseline", "x"],
                                     ["compare", "a", "b"]])
def test_cli_on_an_empty_store_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       command: list[str]) -> None:
    from benchmarks.cli import main

    (tmp_path / "results.sqlite").write_bytes(b"")
    assert main([*command, "--store", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'results.sqlite'} is empty (0 bytes)" in err and "Traceback" not in err
    assert (tmp_path / "results.sqlite").read_bytes() == b""


def _read_only_connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=1.0, isolation_level=None)


def test_read_only_store_reads_but_refuses_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores file modes, so the database is opened read-only by SQLite itself (URI mode=ro)."""
    _real_store(tmp_path)
    monkeypatch.setattr(store_module.sqlite_backend, "_connect", _read_only_connect)
    store = ResultsStore(tmp_path)
    assert len(store.runs()) == 3  # reports still work on a read-only store
    with pytest.raises(StoreError, match=r"results\.sqlite is read-only .*make them writable, or pass another --store"):
        store.require_writable()
    with pytest.raises(StoreError, match="is read-only"):
        store.start_or_resume("fingerprint", {}, {"new": True})


def test_run_on_a_read_only_store_exits_2_before_the_model_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli import main, model_commands

    _real_store(tmp_path / "store")
    monkeypatch.setattr(store_module.sqlite_backend, "_connect", _read_only_connect)

    def no_model(args: object) -> None:
        raise AssertionError("the model was loaded although the store cannot be written")

    monkeypatch.setattr(model_commands, "load_model_from_args", no_model)
    code = main(["run", "--tasks", "caption-image", "--limit", "2", "--extractors", "toy", "--store",
                 str(tmp_path / "store")])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / 'store' / 'results.sqlite'} is read-only" in err, err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: file modes do not stop writes (the mode=ro test covers the store)")
def test_chmod_read_only_store(tmp_path: Path) -> None:
    database = _real_store(tmp_path / "store")
    database.chmod(0o444)
    (tmp_path / "store").chmod(0o555)
    try:
        with pytest.raises(StoreError, match=r"read-only|cannot be opened"):
            ResultsStore(tmp_path / "store").require_writable()
    finally:
        (tmp_path / "store").chmod(0o755)
        database.chmod(0o644)


_SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, created REAL NOT NULL, finished REAL, status TEXT NOT NULL,
    model_fingerprint TEXT NOT NULL, model TEXT NOT NULL, settings TEXT NOT NULL, settings_key TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
"""


def test_schema_1_store_is_migrated_and_readable(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        db.executescript(_SCHEMA_1)
        db.execute("INSERT INTO runs VALUES ('old-run', 1.0, 2.0, 'complete', 'fp', ?, ?, 'key')",
                   (json.dumps({"preset": "tiny"}), json.dumps({"tasks": ["t2i"]})))
    store = ResultsStore(tmp_path)
    run = store.run("old-run")
    assert (run["status"], run["error"], run["settings"]) == ("complete", None, {"tasks": ["t2i"]})
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        db.executescript(_SCHEMA_1.replace("'1'", "'99'"))
    with pytest.raises(StoreError, match="schema version 99; this version of nextgpt-bench reads versions up to "
                                         f"{SCHEMA_VERSION}"):
        ResultsStore(tmp_path)


def test_failed_run_keeps_its_error_and_resumes(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    run_id, _ = store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]})
    store.fail_run(run_id, "RuntimeError: boom")
    assert (store.run(run_id)["status"], store.run(run_id)["error"]) == ("failed", "RuntimeError: boom")
    assert store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]}) == (run_id, True)
    assert (store.run(run_id)["status"], store.run(run_id)["error"]) == ("running", None)
    store.finish_run(run_id)
    assert store.start_or_resume("fp", {"preset": "tiny"}, {"tasks": ["t2i"]})[1] is False  # complete: new run


def test_a_file_written_straight_to_disk_is_all_or_nothing(tmp_path: Path) -> None:
    """``write_atomically_with`` (large feature files are written without a copy in memory): the digest is the
    file's, and a writer that fails halfway leaves the previous file and no temporary file behind."""
    from benchmarks.store.records import write_atomically_with

    target = tmp_path / "features" / "rows.npz"
    digest = write_atomically_with(target, lambda out: out.write(b"first version"))
    assert digest == hashlib.sha256(b"first version").hexdigest() == _digest(target)

    def fails_halfway(out: object) -> None:
        out.write(b"half of the second")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically_with(target, fails_halfway)
    assert target.read_bytes() == b"first version"
    assert sorted(p.name for p in target.parent.iterdir()) == ["rows.npz"]
