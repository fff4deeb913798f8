"""Loaders for the public datasets' own layouts, from local folders (nothing is downloaded).

* COCO captions: ``annotations/captions_val2014.json`` (or any ``captions_*.json``) + the image folder;
  a sample per image, its 5+ captions as references (captioning) and the first as the prompt (text -> image).
* MSR-VTT: the annotation json with ``videos`` (``video_id``) and ``sentences`` (``video_id``, ``caption``) + a
  folder of ``{video_id}.mp4``; 20 captions per video.
* AudioCaps: the split csv (``audiocap_id, youtube_id, start_time, caption``) + a folder of wav files named by
  ``audio_name`` (default ``{youtube_id}.wav``; other local copies use ``{audiocap_id}.wav`` or
  ``{youtube_id}_{start_time}.wav``); the captions of one clip are grouped.

Each loader lists every missing media file in one error instead of skipping samples.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.datasets.paths import require_files, resolve_inside
from benchmarks.datasets.samples import Dataset, MediaFile, Sample
from benchmarks.errors import DatasetError


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise DatasetError(f"annotation file {path} does not exist")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path} is not valid JSON ({error.msg} at line {error.lineno})") from error


def _require_keys(record: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(record, dict) or any(k not in record for k in keys):
        raise DatasetError(f"{where}: expected an object with {', '.join(keys)}, got {str(record)[:120]}")


def _finish(name: str, root: Path, samples: list[Sample], source: str, check_files: bool) -> Dataset:
    if not samples:
        raise DatasetError(f"dataset {name} from {source} holds no samples")
    dataset = Dataset(name, root, tuple(samples), source=source)
    if check_files:
        require_files(dataset.missing_files(), dataset=name)
    return dataset


def load_coco_captions(annotations: str | Path, image_dir: str | Path, *, check_files: bool = True) -> Dataset:
    annotations, image_dir = Path(annotations), Path(image_dir)
    data = _read_json(annotations)
    _require_keys(data, ("images", "annotations"), str(annotations))
    captions: dict[Any, list[str]] = defaultdict(list)
    for i, item in enumerate(data["annotations"]):
        _require_keys(item, ("image_id", "caption"), f"{annotations}: annotations[{i}]")
        captions[item["image_id"]].append(str(item["caption"]).strip())
    samples = []
    for i, image in enumerate(sorted(data["images"], key=lambda im: str(im.get("id")))):
        _require_keys(image, ("id", "file_name"), f"{annotations}: images[{i}]")
        if not captions.get(image["id"]):
            continue  # an image without captions is not a captioning sample
        path = resolve_inside(image_dir, image["file_name"], where=f"{annotations}: images[{i}].file_name")
        media = (MediaFile("image", path),)
        samples.append(Sample(id=str(image["id"]), inputs=media, targets=media, captions=tuple(captions[image["id"]])))
    return _finish("coco-captions", image_dir, samples, str(annotations), check_files)


def load_msrvtt(annotations: str | Path, video_dir: str | Path, *, check_files: bool = True,
                extension: str = ".mp4") -> Dataset:
    annotations, video_dir = Path(annotations), Path(video_dir)
    data = _read_json(annotations)
    _require_keys(data, ("videos", "sentences"), str(annotations))
    captions: dict[str, list[str]] = defaultdict(list)
    for i, sentence in enumerate(data["sentences"]):
        _require_keys(sentence, ("video_id", "caption"), f"{annotations}: sentences[{i}]")
        captions[str(sentence["video_id"])].append(str(sentence["caption"]).strip())
    samples = []
    for i, video in enumerate(data["videos"]):
        _require_keys(video, ("video_id",), f"{annotations}: videos[{i}]")
        video_id = str(video["video_id"])
        if not captions.get(video_id):
            continue
        path = resolve_inside(video_dir, video_id + extension, where=f"{annotations}: videos[{i}].video_id")
        media = (MediaFile("video", path),)
        samples.append(Sample(id=video_id, inputs=media, targets=media, captions=tuple(captions[video_id])))
    return _finish("msrvtt", video_dir, samples, str(annotations), check_files)


def load_audiocaps(csv_file: str | Path, audio_dir: str | Path, *, audio_name: str = "{youtube_id}.wav",
                   check_files: bool = True) -> Dataset:
    csv_file, audio_dir = Path(csv_file), Path(audio_dir)
    if not csv_file.is_file():
        raise DatasetError(f"AudioCaps csv {csv_file} does not exist")
    with csv_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        required = {"audiocap_id", "youtube_id", "start_time", "caption"}
        if reader.fieldnames is None or not required <= set(reader.fieldnames):
            raise DatasetError(f"{csv_file}: expected the columns {', '.join(sorted(required))}, got "
                               f"{reader.fieldnames}")
        rows = list(reader)
    clips: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        clips[f"{row['youtube_id']}_{row['start_time']}"].append(row)
    samples = []
    for clip_id, clip_rows in clips.items():
        try:
            name = audio_name.format(**clip_rows[0])
        except KeyError as error:
            raise DatasetError(f"audio_name {audio_name!r} uses the unknown column {error}") from error
        path = resolve_inside(audio_dir, name, where=f"{csv_file}: clip {clip_id}")
        media = (MediaFile("audio", path),)
        samples.append(Sample(id=clip_id, inputs=media, targets=media,
                              captions=tuple(r["caption"].strip() for r in clip_rows)))
    return _finish("audiocaps", audio_dir, samples, str(csv_file), check_files)
