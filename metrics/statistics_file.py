"""Reference statistics in the pytorch-fid ``.npz`` layout (``mu``, ``sigma``), with a record of their origin.

Files written here add ``n`` (sample count) and ``provenance``: a JSON string with the format version, the
extractor, whether it is canonical, its weights sha256, the resize method, the input convention and the feature
dimension. pytorch-fid ignores the extra keys. A plain pytorch-fid file (only ``mu``/``sigma``) loads with
``extractor=None``: its provenance is unknown, which every result computed from it says.

Two statistics files are a complete FID input: :func:`frechet_from_statistics_files` needs no feature network,
works at any dimension, and refuses files whose records say they came from different extractors, weights or
resize methods (the distance between them would measure the networks, not the images).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from metrics.defaults import METRICS_VERSION
from metrics.errors import FeatureError, IncomparableResultsError
from metrics.frechet import GaussianStatistics, frechet_distance
from metrics.provenance import MetricResult, Provenance, warn
from nextgpt.core.output_paths import check_output_file

# 1: provenance JSON with extractor, weights_sha256, resize (and the ``n`` array).
# 2: adds format_version, extractor_canonical, input_convention, feature_dim, metric_version.
STATISTICS_FORMAT_VERSION = 2
UNKNOWN_EXTRACTOR = "unknown"
# Record fields that must agree for two statistics to be compared (they change features for the same images).
MATCHING_FIELDS = ("extractor", "weights_sha256", "resize")


@dataclass(frozen=True)
class StatisticsFile:
    """Statistics read from a file and what the file records about how they were computed."""

    statistics: GaussianStatistics
    extractor: str | None
    weights_sha256: str | None
    resize: str | None
    path: Path
    extractor_canonical: bool | None = None
    input_convention: str | None = None
    format_version: int | None = None  # None: a plain pytorch-fid file without a record

    @property
    def provenance_known(self) -> bool:
        return self.extractor is not None

    @property
    def dim(self) -> int:
        return int(self.statistics.mu.shape[0])

    def unknown_provenance_warning(self) -> str:
        return (f"{self.path} has no record of how its statistics were computed (a plain pytorch-fid file with "
                "only mu and sigma): extractor, weights, resize and sample count are unknown, so the value "
                "cannot be checked for comparability, nor whether n <= d made the covariance rank-deficient")


def save_statistics(
    path: str | Path,
    statistics: GaussianStatistics,
    *,
    extractor: str | None = None,
    weights_sha256: str | None = None,
    resize: str | None = None,
    extractor_canonical: bool | None = None,
    input_convention: str | None = None,
) -> Path:
    """Write ``mu``, ``sigma``, ``n`` and the provenance record (pytorch-fid reads ``mu``/``sigma`` only).

    A ``path`` that is a folder, lies under a file or sits in a folder this process cannot write raises
    ConfigError naming it (callers that compute the statistics first should call :func:`check_statistics_target`
    before, so the work is not lost)."""
    path = Path(path)
    check_statistics_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "format_version": STATISTICS_FORMAT_VERSION, "metric_version": METRICS_VERSION, "extractor": extractor,
        "extractor_canonical": extractor_canonical, "weights_sha256": weights_sha256, "resize": resize,
        "input_convention": input_convention, "feature_dim": int(statistics.mu.shape[0]),
    }
    with path.open("wb") as handle:  # np.savez would append .npz to a name without it
        np.savez(handle, mu=statistics.mu, sigma=statistics.sigma,
                 n=np.int64(statistics.n if statistics.n is not None else -1), provenance=np.array(json.dumps(record)))
    return path


def check_statistics_target(path: str | Path, *, flag: str = "statistics file") -> None:
    """Refuse, before anything is computed, a path :func:`save_statistics` could not write (see there)."""
    check_output_file(Path(path), flag=flag)


def resave_statistics(path: str | Path, source: StatisticsFile) -> Path:
    """Copy statistics to ``path`` keeping the source's record (an unknown provenance stays unknown)."""
    return save_statistics(path, source.statistics, extractor=source.extractor,
                           weights_sha256=source.weights_sha256, resize=source.resize,
                           extractor_canonical=source.extractor_canonical, input_convention=source.input_convention)


# --- reading ---------------------------------------------------------------------------------------------

def _read_array(data: Any, path: Path, key: str) -> np.ndarray:
    try:
        return np.asarray(data[key], dtype=np.float64)
    except (ValueError, TypeError) as error:  # object arrays (allow_pickle=False), strings, ...
        raise FeatureError(f"{path}: key {key!r} is not a numeric array ({error})") from error


def _check_arrays(path: Path, mu: np.ndarray, sigma: np.ndarray) -> None:
    if mu.ndim != 1:
        raise FeatureError(f"{path}: key 'mu' has shape {mu.shape}; expected a vector (d,)")
    d = mu.shape[0]
    if sigma.shape != (d, d):
        raise FeatureError(f"{path}: key 'sigma' has shape {sigma.shape}; expected ({d}, {d}) to match 'mu' "
                           f"of shape ({d},)")
    for key, array in (("mu", mu), ("sigma", sigma)):
        bad = int((~np.isfinite(array)).sum())
        if bad:
            raise FeatureError(f"{path}: key {key!r} contains {bad} NaN or inf value(s); the statistics are "
                               "broken -- recompute them")


def _read_n(data: Any, path: Path) -> int | None:
    """Sample count from the ``n`` key (-1 or absent: not recorded)."""
    if "n" not in data.files:
        return None
    raw = np.asarray(data["n"])
    if raw.shape != () or not np.issubdtype(raw.dtype, np.integer):
        raise FeatureError(f"{path}: key 'n' must be an integer scalar (the sample count), got dtype {raw.dtype} "
                           f"shape {raw.shape}")
    return int(raw) if int(raw) >= 0 else None


def _read_record(data: Any, path: Path) -> dict[str, Any] | None:
    """The provenance record; None for a plain pytorch-fid file. Files before version 2 count as version 1."""
    if "provenance" not in data.files:
        return None
    try:
        record = json.loads(str(data["provenance"]))
    except (ValueError, TypeError) as error:
        raise FeatureError(f"{path}: key 'provenance' is not the JSON record this suite writes ({error})") from error
    if not isinstance(record, dict):
        raise FeatureError(f"{path}: key 'provenance' must hold a JSON object, got {type(record).__name__}")
    version = record.setdefault("format_version", 1)
    if not isinstance(version, int) or version > STATISTICS_FORMAT_VERSION:
        raise FeatureError(f"{path}: statistics format_version {version!r} is not supported (this version reads "
                           f"1..{STATISTICS_FORMAT_VERSION}); update nextgpt-bench")
    return record


def load_statistics(path: str | Path) -> StatisticsFile:
    """Read and validate a statistics file; every error names the file and the key that is wrong."""
    path = Path(path)
    if not path.is_file():
        raise FeatureError(f"statistics file {path} does not exist")
    if not zipfile.is_zipfile(path):
        raise FeatureError(f"cannot read statistics file {path}: not a .npz (zip) archive; expected the "
                           "pytorch-fid layout with arrays 'mu' and 'sigma'")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in ("mu", "sigma") if key not in data.files]
            if missing:
                raise FeatureError(f"{path}: missing key(s) {missing}; a statistics file needs arrays 'mu' and "
                                   f"'sigma' (pytorch-fid layout); it has {sorted(data.files)}")
            mu, sigma = _read_array(data, path, "mu"), _read_array(data, path, "sigma")
            n, record = _read_n(data, path), _read_record(data, path)
    except FeatureError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise FeatureError(f"cannot read statistics file {path}: {error}") from error
    _check_arrays(path, mu, sigma)
    record = record or {}
    return StatisticsFile(GaussianStatistics(mu, sigma, n), record.get("extractor"), record.get("weights_sha256"),
                          record.get("resize"), path, record.get("extractor_canonical"),
                          record.get("input_convention"), record.get("format_version"))


# --- checks ----------------------------------------------------------------------------------------------

def check_same_origin(first: StatisticsFile, second: StatisticsFile) -> list[str]:
    """Refuse two files whose records differ in extractor, weights or resize; return warnings for the rest.

    A field is compared only when both files record it; a file without any record is named in a warning.
    """
    if first.dim != second.dim:
        raise FeatureError(f"{first.path} holds {first.dim}-d statistics and {second.path} {second.dim}-d; both "
                           "must come from the same feature extractor")
    warnings = [f.unknown_provenance_warning() for f in (first, second) if not f.provenance_known]
    if warnings:
        return warnings
    for field in MATCHING_FIELDS:
        mine, theirs = getattr(first, field), getattr(second, field)
        if mine is not None and theirs is not None and mine != theirs:
            raise IncomparableResultsError(
                f"{first.path} and {second.path} were computed with different {field}: {mine!r} in "
                f"{first.path.name} vs {theirs!r} in {second.path.name}; a distance between them measures the "
                f"difference of the {field}s, not of the images -- recompute one side with the other's {field}")
    return []


def check_recorded(stats_file: StatisticsFile, field: str, used: str | None, source: str) -> None:
    """Refuse when the file records ``field`` and ``used`` (``source`` says where that value comes from, e.g.
    "used for the images in gen/") differs from it."""
    recorded = getattr(stats_file, field)
    if recorded is not None and used is not None and recorded != used:
        raise IncomparableResultsError(
            f"{stats_file.path} records {field} {recorded!r}, which differs from {used!r} ({source}); statistics "
            f"and features must come from the same {field} (for images: --extractor/--weights/--resize)")


def check_matches_extractor(stats_file: StatisticsFile, identity: Any, resize: str | None,
                            source: str = "used for the other side") -> list[str]:
    """Refuse a file whose record names another extractor, weights or resize than ``identity`` (an
    ExtractorIdentity) and ``resize``, or whose dimension differs; return a warning when it records nothing."""
    if stats_file.dim != identity.feature_dim:
        raise FeatureError(f"{stats_file.path} holds {stats_file.dim}-d statistics but extractor {identity.name!r} "
                           f"({source}) gives {identity.feature_dim}-d features; the statistics came from another "
                           "extractor")
    if not stats_file.provenance_known:
        return [stats_file.unknown_provenance_warning() +
                f"; treated as statistics of {identity.name!r} ({source})"]
    used = {"extractor": identity.name, "weights_sha256": identity.weights_sha256, "resize": resize}
    for field in MATCHING_FIELDS:
        check_recorded(stats_file, field, used[field], source)
    return []


# --- FID from two files ----------------------------------------------------------------------------------

def _agreed(first: StatisticsFile, second: StatisticsFile, field: str) -> Any:
    """The value both records give for ``field``, else None (unknown or not recorded by both)."""
    mine, theirs = getattr(first, field), getattr(second, field)
    return mine if mine == theirs else None


def frechet_from_statistics_files(generated: StatisticsFile, reference: StatisticsFile,
                                  metric: str = "fid") -> MetricResult:
    """Frechet distance of two statistics files, without any feature network and at any dimension.

    The provenance names the extractor the files record ("unknown" when either has no record), their sample
    counts where recorded, and the rank warning when a recorded n is <= d.
    """
    warnings: list[str] = []
    for message in check_same_origin(generated, reference):
        warn(warnings, message)
    for stats_file, name in ((generated, "generated set"), (reference, "reference set")):
        message = stats_file.statistics.rank_warning(f"{metric} {name} ({stats_file.path.name})")
        if message:
            warn(warnings, message)
    fake, real = generated.statistics, reference.statistics
    value = frechet_distance(fake.mu, fake.sigma, real.mu, real.sigma)
    known = generated.provenance_known and reference.provenance_known
    convention = _agreed(generated, reference, "input_convention")
    prov = Provenance(
        metric=metric, extractor=_agreed(generated, reference, "extractor") if known else UNKNOWN_EXTRACTOR,
        extractor_canonical=_agreed(generated, reference, "extractor_canonical") if known else None,
        weights_sha256=_agreed(generated, reference, "weights_sha256") if known else None,
        resize=_agreed(generated, reference, "resize") if known else None, dtype="float64 statistics",
        n_samples=fake.n, n_reference=real.n, settings=(("input", convention),) if known and convention else (),
        warnings=tuple(warnings))
    return MetricResult(metric, value, prov)
