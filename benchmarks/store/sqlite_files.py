"""The SQLite store's file: refusing a file that is not a results store before SQLite opens it (SQLite would
silently turn an empty file into a new database), and turning SQLite's errors about the file or its surroundings
(read-only, damaged, locked, disk full) into a StoreError that names the file and the fix."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from nextgpt.core.errors import StoreError

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_HEADER_BYTES = 100


def recovery_advice(path: Path) -> str:
    return (f"it is left as it is; move it away (e.g. `mv {path} {path}.broken`) to start a new store there, or "
            "pass another --store folder")


def _header_problem(header: bytes, size: int) -> str | None:
    """Why the first bytes of a file (and its size) are not those of an SQLite database; None if they are.
    The in-header page count is only trusted when SQLite marks it valid (offset 92 equals the change counter)."""
    if len(header) < _SQLITE_HEADER_BYTES or not header.startswith(_SQLITE_MAGIC):
        return f"it does not start with the SQLite header (first bytes: {header[:16]!r})"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counter_valid = header[24:28] == header[92:96]
    if counter_valid and pages and size < pages * page_size:
        return f"it is truncated: {size} bytes, its header says {pages} pages of {page_size} bytes"
    return None


def check_database_file(path: Path) -> None:
    """Refuse (StoreError) a ``results.sqlite`` that exists but cannot be a results store -- before SQLite opens
    it, since SQLite would silently turn an empty file into a new database."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_dir():
        raise StoreError(f"results store {path} is a folder, expected the SQLite file of a results store; "
                         "pass another --store folder")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(_SQLITE_HEADER_BYTES)
    except OSError as error:
        raise StoreError(f"cannot read results store {path}: {error.strerror or error}; check its permissions "
                         "or pass another --store folder") from error
    if size == 0:
        raise StoreError(f"results store {path} is empty (0 bytes): it is not a results store (an interrupted "
                         f"copy?); {recovery_advice(path)}")
    problem = _header_problem(header, size)
    if problem:
        raise StoreError(f"results store {path} is not a results store or is damaged: {problem}; "
                         f"{recovery_advice(path)}")


#: SQLite result codes (``sqlite3.Error.sqlite_errorname``, extended codes start with these) -> what to say
_SQLITE_PROBLEMS = {
    "SQLITE_READONLY": "is read-only ({detail}); writing a run needs write access to the file and its folder: "
                       "make them writable, or pass another --store folder",
    "SQLITE_CORRUPT": "is damaged ({detail}); {recovery}",
    "SQLITE_NOTADB": "is not a results store or is damaged ({detail}); {recovery}",
    "SQLITE_CANTOPEN": "cannot be opened ({detail}); check that its folder exists and is writable, or pass "
                       "another --store folder",
    "SQLITE_FULL": "cannot grow: the disk is full ({detail}); free space and rerun (the run resumes)",
    "SQLITE_IOERR": "could not be read or written ({detail}: an I/O error of the disk or file system); "
                    "rerun when it is fixed (the run resumes)",
    "SQLITE_BUSY": "stayed locked by another process for 60 s ({detail}); rerun when it has finished",
    "SQLITE_LOCKED": "stayed locked by another process for 60 s ({detail}); rerun when it has finished",
    "SQLITE_PERM": "cannot be accessed ({detail}); check its permissions, or pass another --store folder",
}


def store_problem(path: Path, error: sqlite3.Error) -> StoreError | None:
    """The user-facing StoreError for an SQLite error caused by the file or its environment (read-only, damaged,
    locked, disk full...); None for any other SQLite error, which is a bug and must stay one."""
    code = str(getattr(error, "sqlite_errorname", "") or "")
    for prefix, message in _SQLITE_PROBLEMS.items():
        if code == prefix or code.startswith(prefix + "_"):
            text = message.format(detail=f"SQLite: {error}", recovery=recovery_advice(path))
            return StoreError(f"results store {path} {text}")
    return None



def make_store_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"--store {folder} is a file, expected the folder that holds (or will hold) "
                         "results.sqlite; pass a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create the results store folder {folder}: {error.strerror or error}; pass "
                         "another --store folder") from error



def is_read_only_error(error: BaseException | None) -> bool:
    code = str(getattr(error, "sqlite_errorname", "") or "")
    return isinstance(error, sqlite3.Error) and code.startswith("SQLITE_READONLY")

