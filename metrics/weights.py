"""Where weights files come from: explicit path -> $NEXTGPT_BENCH_WEIGHTS folder -> cache folder.

Nothing here downloads implicitly. :func:`fetch_weights` (``nextgpt-bench weights fetch NAME``) is the only
network access in the metric library, it is opt-in, and it verifies the sha256 before the file is moved into
place (a mismatching download is deleted).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from metrics.defaults import WEIGHTS_ENV_VAR, weights_cache_dir
from metrics.errors import MissingWeightsError, WeightsHashError
from nextgpt.core.file_hashes import sha256_file

logger = logging.getLogger("metrics")


@dataclass(frozen=True)
class WeightsSpec:
    """A canonical weights file: its name on disk, sha256, where it is published, and its licence."""

    file_name: str
    sha256: str
    url: str
    source: str
    licence: str

    def __post_init__(self) -> None:
        if len(self.sha256) != 64 or any(c not in "0123456789abcdef" for c in self.sha256):
            raise ValueError(f"WeightsSpec {self.file_name}: sha256 must be 64 lower-case hex digits")


def candidate_paths(spec: WeightsSpec, explicit: str | Path | None = None) -> list[Path]:
    """The lookup order, first existing wins."""
    paths = []
    if explicit is not None:
        explicit = Path(explicit)
        paths.append(explicit / spec.file_name if explicit.is_dir() else explicit)
    if os.environ.get(WEIGHTS_ENV_VAR):
        paths.append(Path(os.environ[WEIGHTS_ENV_VAR]) / spec.file_name)
    paths.append(weights_cache_dir() / spec.file_name)
    return paths


def resolve_weights(name: str, spec: WeightsSpec, explicit: str | Path | None = None, verify: bool = True) -> Path:
    """Path of a verified weights file, or :class:`MissingWeightsError` saying which file to put where."""
    paths = candidate_paths(spec, explicit)
    if explicit is not None and not paths[0].is_file():
        raise MissingWeightsError(f"{name}: weights file {paths[0]} does not exist (expected {spec.file_name}, "
                                  f"sha256 {spec.sha256})")
    for path in paths:
        if path.is_file():
            if verify:
                actual = sha256_file(path)
                if actual != spec.sha256:
                    raise WeightsHashError(
                        f"{name}: {path} has sha256 {actual}, expected {spec.sha256} ({spec.file_name} from "
                        f"{spec.url}); replace the file -- scores from other weights are not comparable"
                    )
            return path
    raise MissingWeightsError(
        f"{name} needs the weights file {spec.file_name} (sha256 {spec.sha256}, {spec.licence}), published at "
        f"{spec.url} ({spec.source}). Put it at {weights_cache_dir() / spec.file_name}, or in the folder named by "
        f"${WEIGHTS_ENV_VAR}, or pass its path explicitly; `nextgpt-bench weights fetch {name}` downloads and "
        "verifies it. Offline, use an explicitly named non-canonical extractor (e.g. 'toy') instead."
    )


def fetch_weights(name: str, spec: WeightsSpec, dest_dir: str | Path | None = None, url: str | None = None,
                  timeout: float = 60.0) -> Path:
    """Download ``spec`` (or ``url``) into ``dest_dir`` (default: the cache folder), verifying sha256."""
    folder = Path(dest_dir) if dest_dir is not None else weights_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / spec.file_name
    if target.is_file() and sha256_file(target) == spec.sha256:
        logger.info("%s: %s already present and verified", name, target)
        return target
    source = url or spec.url
    logger.warning("%s: downloading %s -> %s", name, source, target)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{spec.file_name}.", delete=False) as handle:
        temporary = Path(handle.name)
        try:
            with urllib.request.urlopen(source, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    digest.update(block)
                    handle.write(block)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise MissingWeightsError(f"{name}: download from {source} failed: {error}") from error
    if digest.hexdigest() != spec.sha256:
        temporary.unlink(missing_ok=True)
        raise WeightsHashError(f"{name}: download from {source} has sha256 {digest.hexdigest()}, expected "
                               f"{spec.sha256}; the file was deleted")
    temporary.replace(target)
    return target
