"""Which dataset feeds a task: each task names a dataset *family*; a family resolves to the synthetic world
(default) or to a user's local copy given as a spec string.

Specs (``--dataset FAMILY=SPEC``; a new layout is one loader function plus one ``register_dataset_kind`` line):

* ``synthetic`` -- the built-in world (default for every family);
* ``manifest:PATH.jsonl`` -- any generic JSONL manifest;
* ``coco:ANNOTATIONS.json:IMAGE_DIR`` -- COCO captions (image-captions);
* ``msrvtt:ANNOTATIONS.json:VIDEO_DIR`` -- MSR-VTT (video-captions);
* ``audiocaps:SPLIT.csv:AUDIO_DIR[:NAME_PATTERN]`` -- AudioCaps (audio-captions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.datasets.manifest import load_manifest
from benchmarks.datasets.public import load_audiocaps, load_coco_captions, load_msrvtt
from benchmarks.datasets.samples import Dataset
from benchmarks.datasets.synthetic import load_synthetic
from nextgpt.core.errors import DatasetError

#: dataset family -> the synthetic world's manifest of that kind
FAMILIES = {
    "image-captions": "images", "video-captions": "videos", "audio-captions": "audio",
    "image-edits": "image_edits", "video-edits": "video_edits", "audio-edits": "audio_edits",
    "dialogues": "dialogues",
}
#: samples generated for a synthetic family when no --limit is given
DEFAULT_SYNTHETIC_COUNT = 16


@dataclass(frozen=True)
class DatasetKind:
    """A layout of local data that ``--dataset FAMILY=KIND:PATH[:PATH...]`` can name.

    ``load`` receives the spec's paths (between ``min_paths`` and ``max_paths`` of them, already checked to be
    non-empty) and returns the whole dataset; ``--limit`` is applied afterwards.  ``family`` is the dataset
    family this kind is a layout of (``None``: any family, like a generic manifest)."""

    name: str
    load: Callable[[Sequence[str]], Dataset]
    #: how the spec is written, for messages: ``coco:ANNOTATIONS.json:IMAGE_DIR``
    usage: str
    min_paths: int = 1
    max_paths: int = 1
    family: str | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name == "synthetic":
            raise DatasetError(f"dataset kind {self.name!r}: expected an identifier other than 'synthetic'")
        if not 0 <= self.min_paths <= self.max_paths:
            raise DatasetError(f"dataset kind {self.name}: expected 0 <= min_paths <= max_paths, got "
                               f"{self.min_paths} and {self.max_paths}")
        if self.family is not None and self.family not in FAMILIES:
            raise DatasetError(f"dataset kind {self.name}: unknown family {self.family!r}; expected one of "
                               f"{', '.join(FAMILIES)}")
        if not self.usage.startswith(f"{self.name}:"):
            raise DatasetError(f"dataset kind {self.name}: usage {self.usage!r} must start with '{self.name}:'")


_KINDS: dict[str, DatasetKind] = {}


def register_dataset_kind(kind: DatasetKind) -> DatasetKind:
    """Make ``kind`` available to ``--dataset`` and ``resolve_dataset``; a name is registered once."""
    if kind.name in _KINDS:
        raise DatasetError(f"dataset kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def dataset_kinds() -> dict[str, DatasetKind]:
    """Every registered kind by name (the built-in ones first)."""
    return dict(_KINDS)


register_dataset_kind(DatasetKind("manifest", lambda p: load_manifest(p[0]), "manifest:PATH.jsonl"))
register_dataset_kind(DatasetKind("coco", lambda p: load_coco_captions(p[0], p[1]),
                                  "coco:ANNOTATIONS.json:IMAGE_DIR", 2, 2, "image-captions"))
register_dataset_kind(DatasetKind("msrvtt", lambda p: load_msrvtt(p[0], p[1]), "msrvtt:ANNOTATIONS.json:VIDEO_DIR",
                                  2, 2, "video-captions"))
register_dataset_kind(DatasetKind("audiocaps", lambda p: load_audiocaps(p[0], p[1], *(p[2:3])),
                                  "audiocaps:SPLIT.csv:AUDIO_DIR[:NAME_PATTERN]", 2, 3, "audio-captions"))


def resolve_dataset(family: str, spec: str | None = None, *, limit: int | None = None, seed: int = 0,
                    split: str = "test", cache_dir: Path | None = None) -> Dataset:
    """The dataset of ``family``: ``spec`` (see module docstring) or the synthetic world's ``split``
    (``test`` for benchmarks, ``train`` for training -- the two never share a scene)."""
    if family not in FAMILIES:
        raise DatasetError(f"unknown dataset family {family!r}; expected one of {', '.join(FAMILIES)}")
    spec = spec or "synthetic"
    kind, _, rest = spec.partition(":")
    if kind == "synthetic":
        if rest:
            raise DatasetError(f"dataset spec {spec!r}: synthetic takes no path; write just 'synthetic'")
        count = limit or DEFAULT_SYNTHETIC_COUNT
        return load_synthetic(FAMILIES[family], count, seed=seed, split=split, cache_dir=cache_dir)
    parts = check_spec(family, spec)
    return _KINDS[kind].load(parts).limit(limit)


def check_spec(family: str, spec: str) -> list[str]:
    """The paths of a local dataset spec, after checking the kind, the number of paths, that the kind is a
    layout of ``family``."""
    name, _, rest = spec.partition(":")
    if name not in _KINDS:
        raise DatasetError(f"dataset spec {spec!r}: unknown kind {name!r}; expected synthetic, "
                           f"{', '.join(_KINDS)}")
    kind = _KINDS[name]
    least, most, layout_of = kind.min_paths, kind.max_paths, kind.family
    parts = rest.split(":") if rest else []
    if not least <= len(parts) <= most or not all(part.strip() for part in parts[:least]):
        raise DatasetError(f"dataset spec {spec!r}: expected {kind.usage} ({least} path(s) separated by "
                           "':')")
    if layout_of is not None and layout_of != family:
        raise DatasetError(f"dataset spec {spec!r}: {name} is a layout of {layout_of}, not of {family}; use "
                           f"--dataset {layout_of}={spec} or a manifest: spec for {family}")
    return parts
