"""A content hash of a whole model folder: what an adapter's fingerprint is built on.

Every regular file below the folder counts (symbolic links are followed, as the libraries follow them when they
load), each as its path relative to the folder plus the sha256 of its bytes, in sorted path order. Adding,
removing, renaming or editing any file therefore changes the hash; moving the whole folder does not.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nextgpt.core.file_hashes import cached_sha256


def folder_sha256(folder: Path) -> str:
    """sha256 over (relative path, file sha256) of every file below ``folder``; large files go through the
    per-user hash cache of ``nextgpt.core.file_hashes`` so that a multi-gigabyte pipeline is read once."""
    digest = hashlib.sha256()
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    for path in files:
        relative = path.relative_to(folder).as_posix()
        digest.update(relative.encode("utf-8") + b"\0" + cached_sha256(path).encode("ascii") + b"\n")
    return digest.hexdigest()
