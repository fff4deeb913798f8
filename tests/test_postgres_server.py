"""The throwaway PostgreSQL server of the store tests picks its port just before it starts, and picks another
when that port was taken meanwhile (CI runs several test sessions at once)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

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
