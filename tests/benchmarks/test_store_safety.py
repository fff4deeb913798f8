"""The results store's safety on a team's PostgreSQL server and across engines: a SELECT-only user can read; the
reading commands never create tables, and refuse a database that is not a store; URLs (a password in the query,
an unknown option, a mistyped scheme) give a clear error that never shows the password; text holding NUL and
NaN scores behave the same on both engines; ``store migrate`` reads each run in one snapshot, copies only
complete runs, checks its media folders first and never trusts a file the target already has."""

from __future__ import annotations

import math
import socket
from pathlib import Path
from typing import Any

import pytest
from store_fixtures import StoreSpot

from benchmarks.store import Generation, ResultsStore
from nextgpt.core.errors import StoreError


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from benchmarks.cli import main

    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refused an argument
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _generation(store: ResultsStore, sample: str, text: str = "text") -> Generation:
    media = store.write_media(f"picture of {sample}".encode(), ".png", "image")
    return Generation(f"key-{sample}", "t2i", sample, 0, 0, text, (media,),
                      ({"modality": "image", "status": "complete", "dropped": 0},), 0.5)


def _complete_run(store: ResultsStore, samples: tuple[str, ...] = ("s0",), key: str = "t2i") -> str:
    run_id, _ = store.start_or_resume("fp", {}, {"tasks": [key]})
    for sample in samples:
        store.record(run_id, _generation(store, sample))
    store.finish_run(run_id)
    return run_id


def _admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        for statement in statements:
            db.execute(statement)


# ------------------------------------------------------------------------------------------- opening a store
def test_a_select_only_user_reads_a_postgres_store(postgres_server: Any) -> None:
    url = postgres_server.database()
    store = ResultsStore(url)
    run_id, _ = store.start_or_resume("fp", {}, {})
    store.finish_run(run_id)
    reader = f"reader_{url.rsplit('/', 1)[1]}"
    _admin(url, f"CREATE ROLE {reader} LOGIN", f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}")
    readable = ResultsStore(url.replace("bench@", f"{reader}@"))
    assert [run["run_id"] for run in readable.runs()] == [run_id]
    with pytest.raises(StoreError, match=r"is read-only for this user"):
        readable.start_or_resume("fp", {}, {"other": 1})


def test_reading_commands_never_create_a_store(postgres_server: Any, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    url = postgres_server.database()
    with pytest.raises(StoreError, match=rf"no results store in {url} \(the database has no tables\)"):
        ResultsStore(url, create=False)
    code, _, err = _cli(["leaderboard", "--store", url], capsys)
    assert code == 2 and f"no results store in {url}" in err
    import psycopg

    with psycopg.connect(url) as db:
        assert db.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                          ).fetchone() == (0,), "nothing was created"


def test_a_database_of_other_tables_is_refused(postgres_server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    url = postgres_server.database()
    _admin(url, "CREATE TABLE invoices (id INTEGER)")
    for create in (True, False):
        with pytest.raises(StoreError, match=rf"{url} is a database but not a results store \(its tables: invoices; "
                                             "a store has a 'meta' table\\)"):
            ResultsStore(url, create=create)
    code, _, err = _cli(["leaderboard", "--store", url], capsys)
    assert code == 2 and "is a database but not a results store" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------------- URLs
def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_password_in_the_query_is_never_shown(postgres_server: Any) -> None:
    port = _closed_port()
    with pytest.raises(StoreError, match=r"db\?password=\*\*\*&sslmode=disable cannot be reached") as caught:
        ResultsStore(f"postgresql://who@127.0.0.1:{port}/db?password=s3cret&sslmode=disable")
    assert "s3cret" not in str(caught.value)
    store = ResultsStore(postgres_server.database() + "?password=s3cret")  # trust authentication ignores it
    assert "s3cret" not in str(store.path) and str(store.path).endswith("?password=***")


def test_a_bad_url_option_names_the_expected_form(postgres_server: Any) -> None:
    url = postgres_server.database().replace("bench@", "bench:s3cret@")
    with pytest.raises(StoreError, match=r"is not a PostgreSQL URL psycopg can use .*nosuch.*expected "
                                         r"postgresql://USER\[:PASSWORD\]@HOST\[:PORT\]/DATABASE") as caught:
        ResultsStore(url + "?nosuch=1")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("postgressql://u:s3cret@h/db", r"unsupported URL scheme 'postgressql'"),
    ("PostgreSQL://u:s3cret@h/db", r"unsupported URL scheme 'PostgreSQL'.*write the scheme in lower case"),
    ("mysql://u@h/db", r"unsupported URL scheme 'mysql'.*a folder or a PostgreSQL URL"),
])
def test_a_mistyped_scheme_is_refused_not_taken_for_a_folder(text: str, expected: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=expected) as caught:
        ResultsStore(text)
    assert "s3cret" not in str(caught.value)
    code, _, err = _cli(["leaderboard", "--store", text], capsys)
    assert code == 2 and "unsupported URL scheme" in err
    code, _, err = _cli(["store", "migrate", str(tmp_path / "nowhere"), text], capsys)
    assert code == 2 and "unsupported URL scheme" in err
    assert list(tmp_path.iterdir()) == [], "no folder was made"


# ------------------------------------------------------------------------------------ values on both engines
def test_nan_scores_are_stored_as_null_on_either_engine(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    run_id, _ = store.start_or_resume("fp", {}, {})
    store.save_scores(run_id, "t", [], {"m": {"a": math.nan, "b": 0.5, "c": None}})
    assert store.sample_scores(run_id, "t") == {"m": {"a": None, "b": 0.5, "c": None}}
    assert store_spot.query("SELECT count(*) FROM sample_scores WHERE value IS NULL") == [(2,)]


def test_text_with_nul_round_trips_in_sqlite_and_is_refused_clearly_by_postgres(store_spot: StoreSpot) -> None:
    store = store_spot.open()
    run_id, _ = store.start_or_resume("fp", {}, {})
    generation = _generation(store, "s0", "before\x00after")
    if store_spot.engine == "sqlite":
        store.record(run_id, generation)
        assert store.cached("key-s0").text == "before\x00after"
        return
    with pytest.raises(StoreError, match=r"generations\.text holds text with a NUL character .*'before\\x00after'"):
        store.record(run_id, generation)
    with pytest.raises(StoreError, match=r"runs\.error holds text with a NUL character"):
        store.fail_run(run_id, "boom\x00")
    assert store.cached("key-s0") is None, "nothing of the refused write was kept"


def test_migrating_nul_text_into_postgres_is_a_clear_error(postgres_server: Any, tmp_path: Path) -> None:
    from benchmarks.store.copy import copy_store

    source = ResultsStore(tmp_path / "laptop")
    run_id, _ = source.start_or_resume("fp", {}, {})
    source.record(run_id, _generation(source, "s0", "a\x00b"))
    source.finish_run(run_id)
    target = ResultsStore(postgres_server.database(), media=tmp_path / "media")
    with pytest.raises(StoreError, match=r"generations\.text holds text with a NUL character"):
        copy_store(source, target)
    assert target.runs() == []


def test_rows_breaking_a_constraint_are_a_store_error(postgres_server: Any, tmp_path: Path) -> None:
    target = ResultsStore(postgres_server.database(), media=tmp_path / "media")
    with pytest.raises(StoreError, match=r"refuses rows that break its constraints .*foreign key"), \
            target.transaction() as db:
        target.insert_rows(db, "run_samples", [("r", "t", "s", 0, "no-such-generation")])


# ------------------------------------------------------------------------------------------------- migrate
def test_migrate_reads_each_run_in_one_snapshot(store_spot: StoreSpot, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A run written while migrate reads it never yields rows naming generations the copy did not read."""
    from benchmarks.store.copy import copy_store

    source = store_spot.open()
    run_id = _complete_run(source)
    writer = store_spot.open()
    reads = source.table_rows

    def table_rows_with_a_write_between(table: str, run: str | None = None) -> list[tuple[Any, ...]]:
        rows = reads(table, run)
        if table == "runs" and run is not None and writer.cached("key-late") is None:
            writer.record(run_id, _generation(writer, "late"))  # committed between the run's first and next read
        return rows

    monkeypatch.setattr(source, "table_rows", table_rows_with_a_write_between)
    target = ResultsStore(tmp_path / "target")
    summary = copy_store(source, target)
    assert summary.copied_runs == [run_id]
    names = {row[4] for row in target.table_rows("run_samples")}
    assert names <= {row[0] for row in target.table_rows("generations")}, "no run_samples row names a missing one"
    assert names == {"key-s0"}, "the copy is the run as it was when its reading began"


def test_migrate_copies_only_complete_runs_and_names_the_others(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    source = ResultsStore(tmp_path / "laptop")
    done = _complete_run(source)
    running, _ = source.start_or_resume("fp", {}, {"tasks": ["t2v"]})
    failed, _ = source.start_or_resume("fp", {}, {"tasks": ["t2a"]})
    source.fail_run(failed, "boom")
    code, out, err = _cli(["store", "migrate", str(tmp_path / "laptop"), str(tmp_path / "team")], capsys)
    assert code == 0, err
    assert f"copied 1 run(s) from {source.path} into {tmp_path / 'team' / 'results.sqlite'}: {done}" in out
    assert f"not copied: {running} (running)" in out and f"not copied: {failed} (failed)" in out
    assert [run["run_id"] for run in ResultsStore(tmp_path / "team").runs()] == [done]
    source.finish_run(running)
    code, out, _ = _cli(["store", "migrate", str(tmp_path / "laptop"), str(tmp_path / "team")], capsys)
    assert code == 0 and "copied 1 run(s)" in out and f": {running}" in out and "1 run(s) were already there" in out
    assert f"not copied: {failed} (failed)" in out


def test_migrate_checks_both_media_folders_first(postgres_server: Any, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url = postgres_server.database()
    _complete_run(ResultsStore(url, media=tmp_path / "media"))
    code, _, err = _cli(["store", "migrate", url, str(tmp_path / "back")], capsys)
    assert code == 2 and f"SRC {url} is a PostgreSQL store" in err and "pass --source-media DIR" in err
    assert not (tmp_path / "back").exists(), "refused before anything was made"
    code, _, err = _cli(["store", "migrate", str(tmp_path / "laptop"), url], capsys)
    assert code == 2 and f"DST {url} is a PostgreSQL store" in err and "pass --media DIR" in err
    code, _, err = _cli(["store", "migrate", url, str(tmp_path / "back"), "--source-media", str(tmp_path / "media"),
                         "--media", str(tmp_path / "m2")], capsys)
    assert code == 2 and "--media" in err and "only for a PostgreSQL DST" in err
    assert not (tmp_path / "back").exists()


def test_migrate_refuses_a_different_file_the_target_already_has(tmp_path: Path) -> None:
    from benchmarks.store.copy import copy_store

    source = ResultsStore(tmp_path / "laptop")
    _complete_run(source)
    medium = source.cached("key-s0").media[0].path
    planted = tmp_path / "team" / medium
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"something else")
    with pytest.raises(StoreError, match=rf"{planted} \(in the target\) differs from {tmp_path / 'laptop' / medium}"):
        copy_store(source, ResultsStore(tmp_path / "team"))
    assert planted.read_bytes() == b"something else", "a copy never overwrites a file"
    planted.write_bytes(b"picture of s0")
    assert copy_store(source, ResultsStore(tmp_path / "team")).copied_files == 0, "the same file is kept"
