"""The throwaway PostgreSQL server of the store tests picks its port just before it starts, and picks another
when that port was taken meanwhile (CI runs several test sessions at once); a server that does not stop when
asked is stopped anyway, never left running without its data folder."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import postgres_server
import pytest
from postgres_server import PostgresServer, unavailable


def test_a_port_taken_before_the_start_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        picks: Iterator[int] = iter([busy])
        free = postgres_server._free_port
        monkeypatch.setattr(postgres_server, "_free_port", lambda: next(picks, None) or free())
        server = PostgresServer()
        try:
            server.start()
            assert server.port not in (0, busy)
            import psycopg

            with psycopg.connect(server.url(), autocommit=True) as db:
                assert db.execute("SELECT 1").fetchone() == (1,)
        finally:
            server.stop()


def test_a_server_that_does_not_stop_when_asked_is_stopped_anyway(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    server = PostgresServer()
    try:
        server.start()
        pid = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
        run = server._run
        commands: list[tuple[str, ...]] = []

        def refuse_a_fast_stop(*command: str) -> str:
            commands.append(command)
            if "fast" in command:
                raise RuntimeError("pg_ctl stop timed out")
            return run(*command)

        monkeypatch.setattr(server, "_run", refuse_a_fast_stop)
        with pytest.raises(RuntimeError, match="timed out"):
            server.stop()
    finally:
        server.stop()
    assert not server.root.exists()
    assert any("immediate" in command for command in commands), "the server was stopped at once"
    assert _ends(pid), f"the server (pid {pid}) still runs without its data folder"


def _ends(pid: int) -> bool:
    """Whether process ``pid`` ends (or is a zombie) within a minute: the stop returns as the server removes
    its postmaster.pid, a moment before the process is gone."""
    for _ in range(600):
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False
