"""Which dataset feeds a task: each task names a dataset *family*; a family resolves to the synthetic world
(default) or to a user's local copy given as a spec string.

Specs (``--data FAMILY=SPEC``):

* ``synthetic`` -- the built-in world (default for every family);
* ``manifest:PATH.jsonl`` -- any generic JSONL manifest;
* ``coco:ANNOTATIONS.json:IMAGE_DIR`` -- COCO captions (image-captions);
* ``msrvtt:ANNOTATIONS.json:VIDEO_DIR`` -- MSR-VTT (video-captions);
* ``audiocaps:SPLIT.csv:AUDIO_DIR[:NAME_PATTERN]`` -- AudioCaps (audio-captions).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.datasets.manifest import load_manifest
from benchmarks.datasets.public import load_audiocaps, load_coco_captions, load_msrvtt
from benchmarks.datasets.samples import Dataset
from benchmarks.datasets.synthetic import load_synthetic
from benchmarks.errors import DatasetError

#: dataset family -> the synthetic world's manifest of that kind
FAMILIES = {
    "image-captions": "images", "video-captions": "videos", "audio-captions": "audio",
    "image-edits": "image_edits", "video-edits": "video_edits", "audio-edits": "audio_edits",
    "dialogues": "dialogues",
}
#: samples generated for a synthetic family when no --limit is given
DEFAULT_SYNTHETIC_COUNT = 16


def resolve_dataset(family: str, spec: str | None = None, *, limit: int | None = None, seed: int = 0,
                    split: str = "test", cache_dir: Path | None = None) -> Dataset:
    """The dataset of ``family``: ``spec`` (see module docstring) or the synthetic world's ``split``
    (``test`` for benchmarks, ``train`` for training -- the two never share a scene)."""
    if family not in FAMILIES:
        raise DatasetError(f"unknown dataset family {family!r}; expected one of {', '.join(FAMILIES)}")
    spec = spec or "synthetic"
    kind, _, rest = spec.partition(":")
    if kind == "synthetic":
        count = limit or DEFAULT_SYNTHETIC_COUNT
        return load_synthetic(FAMILIES[family], count, seed=seed, split=split, cache_dir=cache_dir)
    parts = rest.split(":") if rest else []
    loaders = {
        "manifest": (1, lambda p: load_manifest(p[0])),
        "coco": (2, lambda p: load_coco_captions(p[0], p[1])),
        "msrvtt": (2, lambda p: load_msrvtt(p[0], p[1])),
        "audiocaps": (2, lambda p: load_audiocaps(p[0], p[1], *(p[2:3]))),
    }
    if kind not in loaders:
        raise DatasetError(f"dataset spec {spec!r}: unknown kind {kind!r}; expected synthetic, "
                           f"{', '.join(loaders)}")
    needed, loader = loaders[kind]
    if len(parts) < needed:
        raise DatasetError(f"dataset spec {spec!r}: {kind} needs {needed} path(s) separated by ':'")
    return loader(parts).limit(limit)
