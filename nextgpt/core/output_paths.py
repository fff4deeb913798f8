"""Checks of output locations, run before any work: a bad output path found after loading a model, training or
computing features would lose that work.

Both checks find what would make the write fail -- the path is of the wrong kind, it lies under a regular file,
or its nearest existing folder is not writable -- and raise :class:`ConfigError` naming the flag, the path and
the fix.  ``os.access`` is the writability test: as root nearly everything counts as writable.
"""

from __future__ import annotations

import os
from pathlib import Path

from nextgpt.core.errors import ConfigError


def _nearest_existing(path: Path) -> Path:
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return existing


def _check_creatable_under(path: Path, start: Path, *, flag: str, what: str) -> None:
    """Whatever of ``start`` does not exist yet can be created: its nearest existing ancestor (or ``start``
    itself) is a folder this process can write.  Messages name ``path``, the path given on the command line."""
    existing = _nearest_existing(start)
    if not existing.is_dir():
        raise ConfigError(f"{flag} {path}: {existing} is a file, so no {what} can be made under it; choose "
                          "another path")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag} {path}: folder {existing} is not writable by this user; choose a folder you "
                          "can write")


def check_output_folder(path: Path, *, flag: str) -> None:
    """Fail before any work when ``path`` cannot become a folder this process can write: it is a file, it lies
    under a file, or its nearest existing folder is not writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{flag} {path} is a file; expected a folder for the outputs (a new or existing folder)")
    _check_creatable_under(path, path, flag=flag, what="folder")


def check_output_file(path: Path, *, flag: str) -> None:
    """Fail before any work when ``path`` cannot be written as a file: it is a folder, it lies under a file, it
    exists and is not writable, or the folder it would go in cannot be made or written."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{flag} {path} is a folder; expected the path of a file to write (a new file, or an "
                          "existing file to replace): add a file name")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ConfigError(f"{flag} {path} exists and is not writable by this user; choose another path")
        return
    _check_creatable_under(path, path.parent, flag=flag, what="file")
