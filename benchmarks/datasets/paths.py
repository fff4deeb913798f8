"""Dataset paths stay inside the dataset root: no absolute paths, no ``..``, no symlink escapes."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from nextgpt.core.errors import DatasetError


def resolve_inside(root: Path, relative: str, *, where: str) -> Path:
    """``root / relative`` if it stays inside ``root``; otherwise a DatasetError naming ``where`` and the path."""
    if not isinstance(relative, str) or not relative.strip():
        raise DatasetError(f"{where}: expected a relative path string, got {relative!r}")
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise DatasetError(f"{where}: path {relative!r} is absolute; paths must be relative to the dataset root "
                           f"{root}")
    if ".." in posix.parts or ".." in windows.parts:
        raise DatasetError(f"{where}: path {relative!r} leaves the dataset root {root} ('..' is not allowed)")
    base = root.resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base):
        raise DatasetError(f"{where}: path {relative!r} resolves to {candidate}, outside the dataset root {base} "
                           "(a symlink escape)")
    return candidate


def require_files(paths: list[Path], *, dataset: str) -> None:
    """Fail with every missing file listed (never skip samples silently)."""
    if paths:
        shown = "\n  ".join(str(p) for p in paths[:20])
        more = f"\n  ... and {len(paths) - 20} more" if len(paths) > 20 else ""
        raise DatasetError(f"dataset {dataset}: {len(paths)} media file(s) are missing:\n  {shown}{more}")
