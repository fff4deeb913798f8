"""Listing the media files of a folder to score (shared by the image and audio readers)."""

from __future__ import annotations

from pathlib import Path

from metrics.errors import MediaError


def list_media(folder: str | Path, suffixes: tuple[str, ...], what: str) -> list[Path]:
    """Every file below ``folder`` (recursively, sorted) whose suffix is in ``suffixes``; an error naming the
    folder when it is not one or holds no such file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MediaError(f"{folder} is not a folder of {what}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes)
    if not files:
        raise MediaError(f"{folder} contains no {what} ({', '.join(suffixes)})")
    return files
