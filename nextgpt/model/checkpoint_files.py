"""The files of a checkpoint folder and their integrity: what ``manifest.json`` lists and how it is verified.

A manifest's ``files`` maps each file's path (relative, ``/``-separated) to its ``sha256`` and size in ``bytes``.
It lists every file of the folder but two: ``manifest.json`` itself and ``config.json``.  ``config.json`` is the
human-readable description of the model and stays editable (e.g. the local weight paths of a paper-scale
checkpoint moved to another machine); it is checked by meaning instead -- its schema, its preset label against
the architecture (``nextgpt.model.presets.check_preset_label``), its shapes against the stored tensors and, for small
models, the frozen weights against the manifest's fingerprint.

Loading verifies every listed file before any weight is read: a file that is missing or differs from its hash is
an error naming it, with both hashes and the command that writes the checkpoint again.  Inside the sub-folders the
manifest covers (``llm/``, ``encoder/``, ``tokenizer/``: read whole by their loaders) a file the manifest does not
list is refused too; at the top level the loader reads only the files named here, so others are ignored.
Manifests written before ``files`` existed carry only ``tensors_sha256`` (of ``trainable.safetensors``), which is
then the one file verified.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

from nextgpt.core.errors import CheckpointError
from nextgpt.core.file_hashes import cached_sha256, sha256_file

CONFIG_FILE, TENSORS_FILE, MANIFEST_FILE, TOKENIZER_DIR = (
    "config.json", "trainable.safetensors", "manifest.json", "tokenizer")
#: Top-level files the manifest does not hash (see the module docstring).
UNHASHED_FILES = frozenset({CONFIG_FILE, MANIFEST_FILE})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------------------------------------- writing
def describe_files(folder: Path) -> dict[str, dict[str, Any]]:
    """``{relative path: {"sha256": ..., "bytes": ...}}`` for every file of a folder being written."""
    described: dict[str, dict[str, Any]] = {}
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = file.relative_to(folder).as_posix()
        if relative not in UNHASHED_FILES:
            described[relative] = {"sha256": sha256_file(file), "bytes": file.stat().st_size}
    return described


# ---------------------------------------------------------------------------------------------- reading
def read_json_file(file: Path, *, what: str) -> Any:
    """Parse a JSON file, naming it in every error (missing, a folder, not UTF-8, not JSON)."""
    if file.is_dir():
        raise CheckpointError(f"{what} {file} is a folder; expected a JSON file")
    if not file.is_file():
        raise CheckpointError(f"{what} {file} does not exist")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise CheckpointError(f"{what} {file} is not UTF-8 text ({error}); expected the JSON file "
                              "nextgpt-bench writes") from error
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{what} {file} is not valid JSON ({error})") from error
    except OSError as error:
        raise CheckpointError(f"{what} {file} cannot be read ({error})") from error


def read_manifest(folder: Path) -> dict[str, Any]:
    file = folder / MANIFEST_FILE
    if not file.exists():
        raise CheckpointError(f"checkpoint {folder} has no {MANIFEST_FILE}, so its files cannot be verified; "
                              "write the checkpoint again with nextgpt-bench (every save writes one)")
    manifest = read_json_file(file, what="checkpoint manifest")
    if not isinstance(manifest, dict):
        raise CheckpointError(f"{file}: expected a JSON object, got {type(manifest).__name__}")
    return manifest


def listed_files(folder: Path, manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The manifest's ``files`` (or, for older manifests, ``tensors_sha256``), each entry checked for shape."""
    where = folder / MANIFEST_FILE
    files = manifest.get("files")
    if files is None:
        if not isinstance(manifest.get("tensors_sha256"), str):
            raise CheckpointError(f"{where} lists no file hashes (neither 'files' nor 'tensors_sha256'); write "
                                  "the checkpoint again with nextgpt-bench")
        files = {TENSORS_FILE: {"sha256": manifest["tensors_sha256"]}}
    if not isinstance(files, dict) or not files:
        raise CheckpointError(f"{where}: 'files' must be a non-empty object of path -> {{sha256, bytes}}")
    for name, entry in files.items():
        _check_entry(where, name, entry)
    return files


def _check_entry(where: Path, name: str, entry: Any) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise CheckpointError(f"{where}: files entry {name!r} is not a path inside the checkpoint folder")
    if not isinstance(entry, dict) or not _SHA256.match(str(entry.get("sha256", ""))):
        raise CheckpointError(f"{where}: files[{name!r}] must hold a 64-digit lower-case hex 'sha256', "
                              f"got {entry!r}")


# -------------------------------------------------------------------------------------------- verifying
def verify_checkpoint_files(folder: Path, manifest: dict[str, Any], *, rewrite_hint: str) -> None:
    """Refuse a checkpoint whose listed files are missing or differ from their hashes, or whose covered
    sub-folders hold files the manifest does not list.  ``rewrite_hint``: how to write the checkpoint again."""
    files = listed_files(folder, manifest)
    missing = [name for name in files if not (folder / name).is_file()]
    if missing:
        raise CheckpointError(f"checkpoint {folder} lacks {len(missing)} file(s) its {MANIFEST_FILE} lists: "
                              f"{', '.join(missing)}. {_restore_advice(rewrite_hint)}")
    changed = [_mismatch(folder, name, entry) for name, entry in files.items()]
    problems = [line for line in changed if line]
    if problems:
        raise CheckpointError(f"checkpoint {folder}: {len(problems)} file(s) differ from {MANIFEST_FILE} "
                              "(changed or damaged after the checkpoint was written):\n"
                              + "\n".join(problems) + f"\n{_restore_advice(rewrite_hint)}")
    unlisted = unlisted_files(folder, files)
    if unlisted:
        raise CheckpointError(f"checkpoint {folder}: {', '.join(unlisted)} not listed in {MANIFEST_FILE}; the "
                              "model would read them unverified. Remove them, or write the checkpoint again so "
                              f"the manifest lists them: {rewrite_hint}")


def _mismatch(folder: Path, name: str, entry: dict[str, Any]) -> str | None:
    """A description of how ``name`` differs from its entry, or None when it matches."""
    file = folder / name
    actual = cached_sha256(file)
    if actual == entry["sha256"]:
        return None
    size = file.stat().st_size
    expected_size = f", {entry['bytes']} bytes" if isinstance(entry.get("bytes"), int) else ""
    return (f"  {file}\n    expected sha256 {entry['sha256']}{expected_size}\n"
            f"    actual   sha256 {actual}, {size} bytes")


def unlisted_files(folder: Path, files: dict[str, Any]) -> list[str]:
    """Files (not hidden) directly inside a sub-folder that holds listed files, but not listed themselves."""
    covered = {PurePosixPath(name).parent for name in files} - {PurePosixPath(".")}
    found = []
    for sub in sorted(covered):
        directory = folder / sub
        if directory.is_dir():
            found += [(sub / child.name).as_posix() for child in sorted(directory.iterdir())
                      if child.is_file() and not child.name.startswith(".")]
    return [name for name in found if name not in files]


def _restore_advice(rewrite_hint: str) -> str:
    return ("Restore the files from where the checkpoint came from (the shipped tiny-trained: reinstall "
            f"nextgpt-bench or `git checkout nextgpt/model/pretrained`), or write the checkpoint again, which writes a "
            f"fresh manifest: {rewrite_hint}")


def rewrite_hint(folder: Path, manifest: dict[str, Any], preset: str) -> str:
    """The command that writes this checkpoint again, from what its manifest says about its origin."""
    if isinstance(manifest.get("recipe"), str):
        recipe = manifest["recipe"]
        return f"`nextgpt-bench train --recipe {recipe} --out out/{recipe} --export {folder}`"
    if isinstance(manifest.get("converted_from"), str):
        return (f"`nextgpt-bench convert-legacy --delta {manifest['converted_from']} --preset {preset} "
                f"--out {folder}`")
    if isinstance(manifest.get("trained_stage"), int):
        return (f"rerun the `nextgpt-bench train --stage {manifest['trained_stage']} ...` command that wrote it "
                "(its final/ folder is written with a fresh manifest)")
    return f"save the model again with nextgpt.model.checkpoint.save_checkpoint(model, {str(folder)!r}) from Python"
