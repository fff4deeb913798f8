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
import io
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from benchmarks.datasets.json_files import read_json, read_text
from benchmarks.datasets.paths import require_files, resolve_inside
from benchmarks.datasets.samples import Dataset, MediaFile, Sample
from nextgpt.core.errors import DatasetError

COCO_EXPECTED = "a COCO captions JSON annotation file (e.g. annotations/captions_val2014.json)"
MSRVTT_EXPECTED = "an MSR-VTT JSON annotation file (with \"videos\" and \"sentences\")"
AUDIOCAPS_EXPECTED = "an AudioCaps split CSV file (columns audiocap_id, youtube_id, start_time, caption)"


def _require_keys(record: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(record, dict) or any(k not in record for k in keys):
        raise DatasetError(f"{where}: expected an object with {', '.join(keys)}, got {str(record)[:120]}")


def _list_field(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data[key]
    if not isinstance(value, list):
        raise DatasetError(f"{where}: \"{key}\" must be a list, got {type(value).__name__}")
    return value


def _identifier(value: Any, where: str) -> str:
    """Ids may be JSON strings or integers (COCO uses integers); anything else is an error, not str()'d."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DatasetError(f"{where}: expected a string or integer id, got {value!r}")
    return str(value)


def _caption(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: expected a non-empty caption string, got {value!r}")
    return value.strip()


def _require_folder(folder: Path, what: str, check_files: bool) -> None:
    if check_files and not folder.is_dir():
        state = "does not exist" if not folder.exists() else "is a file"
        raise DatasetError(f"the {what} folder {folder} {state}; expected the folder that holds the dataset's "
                           f"{what} files")


def _finish(name: str, root: Path, samples: list[Sample], source: str, check_files: bool) -> Dataset:
    if not samples:
        raise DatasetError(f"dataset {name} from {source} holds no samples")
    counts = Counter(sample.id for sample in samples)
    repeated = sorted(sample_id for sample_id, count in counts.items() if count > 1)
    if repeated:
        raise DatasetError(f"{source}: sample id(s) {', '.join(repeated[:10])} appear more than once; each "
                           "sample needs a unique id")
    dataset = Dataset(name, root, tuple(samples), source=source)
    if check_files:
        require_files(dataset.missing_files(), dataset=name)
    return dataset


def load_coco_captions(annotations: str | Path, image_dir: str | Path, *, check_files: bool = True) -> Dataset:
    annotations, image_dir = Path(annotations), Path(image_dir)
    data = read_json(annotations, expected=COCO_EXPECTED)
    _require_keys(data, ("images", "annotations"), f"{annotations} (expected {COCO_EXPECTED})")
    _require_folder(image_dir, "image", check_files)
    captions: dict[str, list[str]] = defaultdict(list)
    for i, item in enumerate(_list_field(data, "annotations", str(annotations))):
        where = f"{annotations}: annotations[{i}]"
        _require_keys(item, ("image_id", "caption"), where)
        captions[_identifier(item["image_id"], f"{where}.image_id")].append(
            _caption(item["caption"], f"{where}.caption"))
    images = _list_field(data, "images", str(annotations))
    for i, image in enumerate(images):
        _require_keys(image, ("id", "file_name"), f"{annotations}: images[{i}]")
    samples = []
    for i, image in sorted(enumerate(images), key=lambda pair: str(pair[1]["id"])):
        image_id = _identifier(image["id"], f"{annotations}: images[{i}].id")
        if not captions.get(image_id):
            continue  # an image without captions is not a captioning sample
        path = resolve_inside(image_dir, image["file_name"], where=f"{annotations}: images[{i}].file_name")
        media = (MediaFile("image", path),)
        samples.append(Sample(id=image_id, inputs=media, targets=media, captions=tuple(captions[image_id])))
    return _finish("coco-captions", image_dir, samples, str(annotations), check_files)


def load_msrvtt(annotations: str | Path, video_dir: str | Path, *, check_files: bool = True,
                extension: str = ".mp4") -> Dataset:
    annotations, video_dir = Path(annotations), Path(video_dir)
    data = read_json(annotations, expected=MSRVTT_EXPECTED)
    _require_keys(data, ("videos", "sentences"), f"{annotations} (expected {MSRVTT_EXPECTED})")
    _require_folder(video_dir, "video", check_files)
    captions: dict[str, list[str]] = defaultdict(list)
    for i, sentence in enumerate(_list_field(data, "sentences", str(annotations))):
        where = f"{annotations}: sentences[{i}]"
        _require_keys(sentence, ("video_id", "caption"), where)
        captions[_identifier(sentence["video_id"], f"{where}.video_id")].append(
            _caption(sentence["caption"], f"{where}.caption"))
    samples = []
    for i, video in enumerate(_list_field(data, "videos", str(annotations))):
        _require_keys(video, ("video_id",), f"{annotations}: videos[{i}]")
        video_id = _identifier(video["video_id"], f"{annotations}: videos[{i}].video_id")
        if not captions.get(video_id):
            continue
        path = resolve_inside(video_dir, video_id + extension, where=f"{annotations}: videos[{i}].video_id")
        media = (MediaFile("video", path),)
        samples.append(Sample(id=video_id, inputs=media, targets=media, captions=tuple(captions[video_id])))
    return _finish("msrvtt", video_dir, samples, str(annotations), check_files)


_AUDIOCAPS_COLUMNS = ("audiocap_id", "youtube_id", "start_time", "caption")


def _audiocaps_rows(csv_file: Path) -> list[dict[str, str]]:
    text = read_text(csv_file, expected=AUDIOCAPS_EXPECTED)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None or not set(_AUDIOCAPS_COLUMNS) <= set(reader.fieldnames):
            raise DatasetError(f"{csv_file}: expected the columns {', '.join(sorted(_AUDIOCAPS_COLUMNS))}, got "
                               f"{reader.fieldnames}")
        rows = list(reader)
    except csv.Error as error:
        raise DatasetError(f"{csv_file}: not readable as CSV (line {reader.line_num}: {error}); expected "
                           f"{AUDIOCAPS_EXPECTED}") from error
    for row in rows:
        empty = [column for column in _AUDIOCAPS_COLUMNS if not (row.get(column) or "").strip()]
        if empty:
            raise DatasetError(f"{csv_file}: a row lacks {', '.join(empty)} ({dict(row)}); every row needs "
                               f"{', '.join(_AUDIOCAPS_COLUMNS)}")
    return rows


def load_audiocaps(csv_file: str | Path, audio_dir: str | Path, *, audio_name: str = "{youtube_id}.wav",
                   check_files: bool = True) -> Dataset:
    csv_file, audio_dir = Path(csv_file), Path(audio_dir)
    clips: dict[str, list[dict[str, str]]] = defaultdict(list)
    rows = _audiocaps_rows(csv_file)
    _require_folder(audio_dir, "audio", check_files)
    for row in rows:
        clips[f"{row['youtube_id']}_{row['start_time']}"].append(row)
    samples = []
    for clip_id, clip_rows in clips.items():
        try:
            name = audio_name.format(**clip_rows[0])
        except KeyError as error:
            raise DatasetError(f"audio_name {audio_name!r} uses the unknown column {error}; the CSV's columns: "
                               f"{', '.join(clip_rows[0])}") from error
        except (IndexError, ValueError) as error:
            raise DatasetError(f"audio_name {audio_name!r} is not a pattern of the CSV's columns ({error}); use "
                               "e.g. {youtube_id}.wav") from error
        path = resolve_inside(audio_dir, name, where=f"{csv_file}: clip {clip_id}")
        media = (MediaFile("audio", path),)
        samples.append(Sample(id=clip_id, inputs=media, targets=media,
                              captions=tuple(r["caption"].strip() for r in clip_rows)))
    return _finish("audiocaps", audio_dir, samples, str(csv_file), check_files)
