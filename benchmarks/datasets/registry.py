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
from nextgpt.core.errors import DatasetError

#: dataset family -> the synthetic world's manifest of that kind
FAMILIES = {
    "image-captions": "images", "video-captions": "videos", "audio-captions": "audio",
    "image-edits": "image_edits", "video-edits": "video_edits", "audio-edits": "audio_edits",
    "dialogues": "dialogues",
}
#: samples generated for a synthetic family when no --limit is given
DEFAULT_SYNTHETIC_COUNT = 16


#: spec kind -> (paths it takes: required, at most; the family it is the layout of, None: any family)
SPEC_KINDS: dict[str, tuple[int, int, str | None]] = {
    "manifest": (1, 1, None), "coco": (2, 2, "image-captions"), "msrvtt": (2, 2, "video-captions"),
    "audiocaps": (2, 3, "audio-captions"),
}
#: what each spec kind's paths are (for the messages)
_SPEC_USAGE = {"manifest": "manifest:PATH.jsonl", "coco": "coco:ANNOTATIONS.json:IMAGE_DIR",
               "msrvtt": "msrvtt:ANNOTATIONS.json:VIDEO_DIR",
               "audiocaps": "audiocaps:SPLIT.csv:AUDIO_DIR[:NAME_PATTERN]"}


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
    loaders = {
        "manifest": lambda p: load_manifest(p[0]),
        "coco": lambda p: load_coco_captions(p[0], p[1]),
        "msrvtt": lambda p: load_msrvtt(p[0], p[1]),
        "audiocaps": lambda p: load_audiocaps(p[0], p[1], *(p[2:3])),
    }
    return loaders[kind](parts).limit(limit)


def check_spec(family: str, spec: str) -> list[str]:
    """The paths of a local dataset spec, after checking the kind, the number of paths, that the kind is a
    layout of ``family``."""
    kind, _, rest = spec.partition(":")
    if kind not in SPEC_KINDS:
        raise DatasetError(f"dataset spec {spec!r}: unknown kind {kind!r}; expected synthetic, "
                           f"{', '.join(SPEC_KINDS)}")
    least, most, layout_of = SPEC_KINDS[kind]
    parts = rest.split(":") if rest else []
    if not least <= len(parts) <= most or not all(part.strip() for part in parts[:least]):
        raise DatasetError(f"dataset spec {spec!r}: expected {_SPEC_USAGE[kind]} ({least} path(s) separated by "
                           "':')")
    if layout_of is not None and layout_of != family:
        raise DatasetError(f"dataset spec {spec!r}: {kind} is a layout of {layout_of}, not of {family}; use "
                           f"--dataset {layout_of}={spec} or a manifest: spec for {family}")
    return parts
