"""Reference statistics in the pytorch-fid ``.npz`` layout (``mu``, ``sigma``).

Files written here also carry ``n`` and provenance strings (extractor, weights sha256, resize); pytorch-fid
ignores extra keys, and files from pytorch-fid (without them) load with ``extractor=None``: the caller must then
name the extractor those statistics came from.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metrics.errors import FeatureError
from metrics.frechet import GaussianStatistics


@dataclass(frozen=True)
class StatisticsFile:
    statistics: GaussianStatistics
    extractor: str | None
    weights_sha256: str | None
    resize: str | None
    path: Path


def save_statistics(
    path: str | Path,
    statistics: GaussianStatistics,
    *,
    extractor: str | None = None,
    weights_sha256: str | None = None,
    resize: str | None = None,
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps({"extractor": extractor, "weights_sha256": weights_sha256, "resize": resize})
    with path.open("wb") as handle:  # np.savez would append .npz to a name without it
        np.savez(handle, mu=statistics.mu, sigma=statistics.sigma,
                 n=np.int64(statistics.n if statistics.n is not None else -1), provenance=np.array(meta))
    return path


def load_statistics(path: str | Path) -> StatisticsFile:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = set(data.files)
            if not {"mu", "sigma"} <= keys:
                raise FeatureError(f"{path}: a statistics file needs arrays 'mu' and 'sigma' (pytorch-fid "
                                   f"layout); it has {sorted(keys)}")
            mu, sigma = np.asarray(data["mu"], np.float64), np.asarray(data["sigma"], np.float64)
            n = int(data["n"]) if "n" in keys and int(data["n"]) >= 0 else None
            meta = json.loads(str(data["provenance"])) if "provenance" in keys else {}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise FeatureError(f"cannot read statistics file {path}: {error}") from error
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise FeatureError(f"{path}: mu has shape {mu.shape} and sigma {sigma.shape}; expected (d,) and (d, d)")
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise FeatureError(f"{path}: mu or sigma contains NaN or inf")
    return StatisticsFile(GaussianStatistics(mu, sigma, n), meta.get("extractor"), meta.get("weights_sha256"),
                          meta.get("resize"), path)
