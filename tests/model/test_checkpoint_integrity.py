"""Issue 12, case 1: every file a checkpoint's manifest lists is verified against its sha256 before loading.

Before: manifest.json recorded the sha256 of trainable.safetensors but nothing checked it, so three flipped bytes
in the tensor data loaded silently (two tensors changed) and ``generate`` exited 0.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import run_cli
from model_helpers import copy_folder, flip_bytes

from nextgpt.core import file_hashes
from nextgpt.core.errors import CheckpointError
from nextgpt.model.checkpoint import load_checkpoint
from nextgpt.model.checkpoint_files import describe_files, read_manifest, verify_checkpoint_files
from nextgpt.model.pretrained import SHIPPED_CHECKPOINTS

SHIPPED = SHIPPED_CHECKPOINTS["tiny-trained"]


def tensor_data_offsets(path: Path) -> list[int]:
    """Three offsets inside the tensor data of a safetensors file (past its 8-byte length and JSON header)."""
    header_length = struct.unpack("<Q", path.read_bytes()[:8])[0]
    start, end = 8 + header_length, path.stat().st_size
    return [start + 16, (start + end) // 2, end - 8]


@pytest.fixture()
def shipped_copy(tmp_path: Path) -> Path:
    return copy_folder(SHIPPED, tmp_path / "tiny-trained-copy")


def test_shipped_checkpoint_lists_every_file_with_its_hash() -> None:
    manifest = read_manifest(SHIPPED)
    assert manifest["files"] == describe_files(SHIPPED)
    assert {"trainable.safetensors", "encoder/imagebind.pth", "llm/model.safetensors",
            "tokenizer/tokenizer.json"} <= set(manifest["files"])
    verify_checkpoint_files(SHIPPED, manifest, rewrite_hint="-")


def test_flipped_tensor_bytes_are_refused_with_both_hashes(shipped_copy: Path) -> None:
    tensors = shipped_copy / "trainable.safetensors"
    expected = hashlib.sha256(tensors.read_bytes()).hexdigest()
    flip_bytes(tensors, tensor_data_offsets(tensors))
    actual = hashlib.sha256(tensors.read_bytes()).hexdigest()
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(shipped_copy)
    message = str(error.value)
    assert str(tensors) in message
    assert f"expected sha256 {expected}" in message and f"actual   sha256 {actual}" in message
    assert f"nextgpt-bench train --recipe tiny-trained --out out/tiny-trained --export {shipped_copy}" in message


@pytest.mark.parametrize("name", ["encoder/imagebind.pth", "llm/model.safetensors", "tokenizer/tokenizer.json"])
def test_bundled_files_are_verified_too(shipped_copy: Path, name: str) -> None:
    flip_bytes(shipped_copy / name, [(shipped_copy / name).stat().st_size // 2])
    with pytest.raises(CheckpointError, match=rf"{name}\n    expected sha256"):
        load_checkpoint(shipped_copy)


def test_a_listed_file_that_is_missing_is_named(shipped_copy: Path) -> None:
    (shipped_copy / "llm" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"lacks 1 file\(s\) its manifest\.json lists: llm/model\.safetensors"):
        load_checkpoint(shipped_copy)


def test_an_unlisted_file_where_a_loader_reads_is_refused(shipped_copy: Path) -> None:
    (shipped_copy / "llm" / "generation_config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(CheckpointError, match=r"llm/generation_config\.json not listed in manifest\.json"):
        load_checkpoint(shipped_copy)


def test_an_older_manifest_still_checks_the_tensor_file(shipped_copy: Path) -> None:
    manifest_file = shipped_copy / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    del manifest["files"]
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    flip_bytes(shipped_copy / "trainable.safetensors", tensor_data_offsets(shipped_copy / "trainable.safetensors"))
    expected = manifest["tensors_sha256"][:8]  # the digest the older manifest records for the tensor file
    with pytest.raises(CheckpointError, match=rf"trainable\.safetensors\n    expected sha256 {expected}"):
        load_checkpoint(shipped_copy)


@pytest.mark.parametrize("content, expected", [
    (None, r"has no manifest\.json, so its files cannot be verified"),
    (b"\x00\xff garbage", r"manifest\.json is not UTF-8 text"),
    (b"{not json", r"manifest\.json is not valid JSON"),
    (b'{"files": {"../outside.bin": {"sha256": "' + b"0" * 64 + b'"}}}', r"'\.\./outside\.bin' is not a path inside"),
    (b'{"files": {"trainable.safetensors": {"sha256": "abc"}}}', r"must hold a 64-digit lower-case hex 'sha256'"),
])
def test_a_bad_manifest_is_named(shipped_copy: Path, content: bytes | None, expected: str) -> None:
    manifest_file = shipped_copy / "manifest.json"
    if content is None:
        manifest_file.unlink()
    else:
        manifest_file.write_bytes(content)
    with pytest.raises(CheckpointError, match=expected):
        load_checkpoint(shipped_copy)


def test_generate_on_a_tampered_copy_exits_2_before_generating(shipped_copy: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    flip_bytes(shipped_copy / "trainable.safetensors", tensor_data_offsets(shipped_copy / "trainable.safetensors"))
    out = tmp_path / "answer"
    code, _, err = run_cli(["generate", "--checkpoint", str(shipped_copy), "--text", "hi", "--out", str(out)], capsys)
    assert code == 2
    assert "trainable.safetensors" in err and "expected sha256" in err and "actual   sha256" in err
    assert not out.exists()


def test_the_console_script_exits_2_without_a_traceback(shipped_copy: Path, tmp_path: Path) -> None:
    flip_bytes(shipped_copy / "trainable.safetensors", tensor_data_offsets(shipped_copy / "trainable.safetensors"))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}
    completed = subprocess.run([str(Path(sys.executable).parent / "nextgpt-bench"), "generate", "--checkpoint",
                                str(shipped_copy), "--text", "hi", "--out", str(tmp_path / "o")],
                               capture_output=True, text=True, check=False, env=env, timeout=600)
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "nextgpt-bench generate: error: checkpoint" in completed.stderr and "expected sha256" in completed.stderr


# ------------------------------------------------------------------------------------------ hash cache
@pytest.fixture()
def counted_hashing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """Point the cache at tmp_path and record every file actually hashed."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    hashed: list[Path] = []
    real = file_hashes.sha256_file

    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(file_hashes, "sha256_file", counting)
    return hashed


def _old_file(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


def test_large_files_are_hashed_once_until_they_change(counted_hashing: list[Path], tmp_path: Path) -> None:
    weights = _old_file(tmp_path / "weights.bin", b"a" * 4096)
    first = file_hashes.cached_sha256(weights, min_cached_bytes=1)
    assert first == hashlib.sha256(b"a" * 4096).hexdigest()
    assert file_hashes.cached_sha256(weights, min_cached_bytes=1) == first
    assert len(counted_hashing) == 1  # the second answer came from the cache
    assert (tmp_path / "cache" / "nextgpt-bench" / "file-sha256.json").is_file()
    _old_file(weights, b"b" * 4096)  # same size, new content and mtime
    os.utime(weights, (time.time() - 30, time.time() - 30))
    assert file_hashes.cached_sha256(weights, min_cached_bytes=1) == hashlib.sha256(b"b" * 4096).hexdigest()
    assert len(counted_hashing) == 2


def test_small_and_just_written_files_are_not_cached(counted_hashing: list[Path], tmp_path: Path) -> None:
    small = _old_file(tmp_path / "small.bin", b"x")
    fresh = tmp_path / "fresh.bin"
    fresh.write_bytes(b"y" * 4096)  # mtime now: a second write in the same clock tick could keep it
    for _ in range(2):
        file_hashes.cached_sha256(small)
        file_hashes.cached_sha256(fresh, min_cached_bytes=1)
    assert len(counted_hashing) == 4


@pytest.mark.parametrize("damage", ["cache path is a file", "cache is garbage"])
def test_a_broken_cache_never_breaks_hashing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, damage: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    if damage == "cache path is a file":
        monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        (tmp_path / "cache" / "nextgpt-bench").mkdir(parents=True)
        (tmp_path / "cache" / "nextgpt-bench" / "file-sha256.json").write_bytes(b"\x00not json")
    weights = _old_file(tmp_path / "weights.bin", b"c" * 4096)
    assert file_hashes.cached_sha256(weights, min_cached_bytes=1) == hashlib.sha256(b"c" * 4096).hexdigest()
    assert file_hashes.cached_sha256(weights, min_cached_bytes=1) == hashlib.sha256(b"c" * 4096).hexdigest()


def test_cache_location_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert file_hashes.cache_path() == tmp_path / "nextgpt-bench" / "file-sha256.json"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG spec: ignore a relative value
    assert file_hashes.cache_path() == Path.home() / ".cache" / "nextgpt-bench" / "file-sha256.json"
