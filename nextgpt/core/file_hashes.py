"""sha256 of weight files, with a small per-user cache for large ones.

Verifying a checkpoint on every load means hashing every file its manifest lists.  The shipped tiny checkpoint
(8 MB) hashes in a few milliseconds, but a paper-scale checkpoint that bundles gigabytes would pay seconds per
load, so files of at least ``CACHE_MIN_BYTES`` are hashed once and their digest is remembered by
``(absolute path, size, mtime_ns, inode)``.

Where: ``$XDG_CACHE_HOME/nextgpt-bench/file-sha256.json`` (``~/.cache/nextgpt-bench/...`` when XDG_CACHE_HOME is
unset or not absolute, as the XDG spec says).  Not next to the checkpoint: shipped and shared checkpoints sit in
folders the user often cannot write, and a cache entry beside a file would travel with copies of it.

What the cache trusts: a file rewritten in place with the same size, inode and modification time.  Editing tools
and copies change at least one of them; ``touch -d`` after an edit of equal size would not, which is the known
limit of any stat-keyed cache (git's index has the same one).  Two guards: a file modified less than
``RACY_SECONDS`` ago is never cached (timestamps are coarse, so a second write in the same clock tick would keep
the mtime; git calls this "racy"), and any problem reading or writing the cache only means hashing again --
a missing, corrupt or read-only cache never fails a load.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

#: Files smaller than this are hashed on every load (fast enough; the cache would cost more than it saves).
CACHE_MIN_BYTES = 64 * 1024 * 1024
#: A file modified this recently is hashed but not cached (see the module docstring).
RACY_SECONDS = 2.0
#: Entries kept in the cache file; the oldest are dropped first.
MAX_ENTRIES = 4096
CACHE_FILE_NAME = "file-sha256.json"
_CACHE_VERSION = 1


def sha256_file(path: Path) -> str:
    """Hash a whole file, 1 MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_path() -> Path:
    """The cache file (see the module docstring for why it lives there)."""
    root = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(root) if root and Path(root).is_absolute() else Path.home() / ".cache"
    return base / "nextgpt-bench" / CACHE_FILE_NAME


def _stat_key(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _read_cache(file: Path) -> dict[str, list[object]]:
    """The cache's entries, or none when it is missing, unreadable or of another version."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION or not isinstance(data.get("files"), dict):
        return {}
    return data["files"]


def _write_cache(file: Path, entries: dict[str, list[object]]) -> None:
    """Replace the cache atomically; silently give up when its folder cannot be written."""
    kept = dict(list(entries.items())[-MAX_ENTRIES:])
    with contextlib.suppress(OSError):
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"version": _CACHE_VERSION, "files": kept}, out)
            os.replace(temporary, file)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def cached_sha256(path: Path, *, min_cached_bytes: int | None = None) -> str:
    """sha256 of ``path``; files of at least ``min_cached_bytes`` (default CACHE_MIN_BYTES) go through the cache."""
    threshold = CACHE_MIN_BYTES if min_cached_bytes is None else min_cached_bytes
    stat = path.stat()
    if stat.st_size < threshold:
        return sha256_file(path)
    key, file = str(path.resolve()), cache_path()
    entries = _read_cache(file)
    entry = entries.get(key)
    if isinstance(entry, list) and len(entry) == 4 and entry[:3] == _stat_key(stat):
        return str(entry[3])
    digest = sha256_file(path)
    unchanged = _stat_key(path.stat()) == _stat_key(stat)  # not rewritten while it was being hashed
    if unchanged and time.time_ns() - stat.st_mtime_ns > RACY_SECONDS * 1e9:
        entries.pop(key, None)
        entries[key] = [*_stat_key(stat), digest]
        _write_cache(file, entries)
    return digest
