"""A throwaway PostgreSQL server for tests: Debian's ``postgresql`` binaries (on PATH, or under
``/usr/lib/postgresql/<version>/bin``), a temporary data folder, a free port on 127.0.0.1, run as an unprivileged
user (``initdb`` refuses root: as root the server runs as ``nobody`` through ``runuser``).  ``unavailable()`` says
why a server cannot be started here (the tests skip with that reason)."""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

#: the superuser the server is made with (trust authentication on 127.0.0.1 only)
SUPERUSER = "bench"
_UNPRIVILEGED = "nobody"
_START_ATTEMPTS = 3
_BIND_FAILURE = re.compile(r"could not (bind|create listen socket)|Address already in use", re.IGNORECASE)


def _binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres (the newest version's, when several are installed)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda f: int(Path(f).parent.name)
                     if Path(f).parent.name.isdigit() else 0)
    for folder in reversed(folders):
        if all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def unavailable() -> str | None:
    """Why no server can be started here; None when one can."""
    if _binaries() is None:
        return ("PostgreSQL's server binaries (initdb, pg_ctl) are neither on PATH nor under "
                "/usr/lib/postgresql/*/bin: install Debian's postgresql package (.ci/setup does)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start PostgreSQL as an unprivileged user"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """``start()`` makes and starts the server, ``database()`` a fresh database's URL, ``stop()`` ends it and
    removes its data."""

    def __init__(self) -> None:
        binaries = _binaries()
        if binaries is None:
            raise RuntimeError(unavailable())
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="nextgpt-postgres-"))
        self.port = 0  # picked just before the server starts (another process may take a port picked earlier)
        self.version = ""
        self._databases = 0

    def _as_server_user(self, *command: str) -> list[str]:
        return ["runuser", "-u", _UNPRIVILEGED, "--", *command] if os.geteuid() == 0 else list(command)

    def _run(self, *command: str) -> str:
        done = subprocess.run(self._as_server_user(*command), capture_output=True, text=True, timeout=120,
                              cwd=self.root)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()} {tail}")
        return done.stdout

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, user=_UNPRIVILEGED)
        self.root.chmod(0o700)
        data = self.root / "data"
        self._run(str(self.binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
                  "--no-sync")
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = _free_port()
            options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
            try:
                self._run(str(self.binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                          str(self.root / "server.log"), "-w", "-t", "60", "start")
                break
            except RuntimeError as error:  # the port was taken between the pick and the bind: pick another
                if attempt == _START_ATTEMPTS or not _BIND_FAILURE.search(str(error)):
                    raise
        self.version = self._run(str(self.binaries / "postgres"), "--version").strip()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"store_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server if it runs (a failed or interrupted start may have left none), remove its data.  A
        server that does not stop when asked is stopped at once (``-m immediate``), or killed by its process id:
        none outlives its removed data folder (the error is raised after)."""
        pid_file = self.root / "data" / "postmaster.pid"
        try:
            if pid_file.is_file():
                try:
                    self._pg_ctl_stop("fast")
                except (RuntimeError, subprocess.SubprocessError):
                    self._stop_at_once(pid_file)
                    raise
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl_stop(self, mode: str) -> None:
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "-w", "stop")

    def _stop_at_once(self, pid_file: Path) -> None:
        try:
            self._pg_ctl_stop("immediate")
            return
        except (RuntimeError, subprocess.SubprocessError):
            pass
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGKILL)  # the server this object started (its postmaster.pid)
        except (OSError, ValueError, IndexError):
            pass  # gone already, or never written
