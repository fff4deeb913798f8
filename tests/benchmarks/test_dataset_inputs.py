"""Dataset files that were tracebacks or silently accepted: binary/UTF-16 annotation files, repeated JSON keys,
wrong-type fields, repeated sample ids, specs of the wrong family or with extra paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.datasets.manifest import load_manifest
from benchmarks.datasets.public import load_audiocaps, load_coco_captions, load_msrvtt
from benchmarks.datasets.registry import resolve_dataset
from nextgpt.core.errors import DatasetError


def _coco(tmp_path: Path, text: str) -> tuple[Path, Path]:
    images = tmp_path / "images"
    images.mkdir(exist_ok=True)
    (images / "1.png").write_bytes(b"png")
    (images / "2.png").write_bytes(b"png")
    annotations = tmp_path / "captions.json"
    annotations.write_text(text, encoding="utf-8")
    return annotations, images


COCO = {"images": [{"id": 1, "file_name": "1.png"}, {"id": 2, "file_name": "2.png"}],
        "annotations": [{"image_id": 1, "caption": "a cat"}, {"image_id": 2, "caption": "a dog"}]}


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00", "{}".encode("utf-16"), "caf\xe9".encode("latin-1")])
def test_non_utf8_annotation_file_names_it(tmp_path: Path, data: bytes) -> None:
    annotations, images = _coco(tmp_path, "")
    annotations.write_bytes(data)
    with pytest.raises(DatasetError, match=f"{annotations} is not UTF-8 text .*expected a COCO captions JSON"):
        load_coco_captions(annotations, images)
    with pytest.raises(DatasetError, match=f"{annotations} is not UTF-8 text .*expected an MSR-VTT JSON"):
        load_msrvtt(annotations, images)
    with pytest.raises(DatasetError, match=f"{annotations} is not UTF-8 text .*expected an AudioCaps split CSV"):
        load_audiocaps(annotations, images)
    with pytest.raises(DatasetError, match=f"{annotations} is not UTF-8 text .*expected a JSONL manifest"):
        load_manifest(annotations)


def test_annotation_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=f"{tmp_path} is a folder; expected a COCO captions JSON"):
        load_coco_captions(tmp_path, tmp_path)


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    annotations, images = _coco(tmp_path, "")
    annotations.write_bytes(b"\xef\xbb\xbf" + json.dumps(COCO).encode())
    assert [s.id for s in load_coco_captions(annotations, images).samples] == ["1", "2"]


def test_repeated_json_keys_are_refused(tmp_path: Path) -> None:
    text = json.dumps(COCO)[:-1] + ', "images": []}'  # a second "images": the first list would be dropped
    annotations, images = _coco(tmp_path, text)
    with pytest.raises(DatasetError, match=r"captions.json: an object repeats the key\(s\) 'images'"):
        load_coco_captions(annotations, images)


def test_repeated_field_in_a_manifest_line_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "data.jsonl"
    manifest.write_text('{"id": "a", "captions": ["x"], "captions": ["y"]}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"data.jsonl:1: an object repeats the key\(s\) 'captions'"):
        load_manifest(manifest)


def test_repeated_image_ids_are_refused(tmp_path: Path) -> None:
    data = {**COCO, "images": [*COCO["images"], {"id": 1, "file_name": "2.png"}]}
    annotations, images = _coco(tmp_path, json.dumps(data))
    with pytest.raises(DatasetError, match=r"sample id\(s\) 1 appear more than once"):
        load_coco_captions(annotations, images)


@pytest.mark.parametrize("data, message", [
    ([1, 2], "expected an object with images, annotations"),
    ({"images": {}, "annotations": []}, '"images" must be a list, got dict'),
    ({"images": [], "annotations": 7}, '"annotations" must be a list, got int'),
    ({"images": [5], "annotations": []}, r"images\[0\]: expected an object with id, file_name"),
    ({"images": [], "annotations": [{"image_id": [1], "caption": "x"}]}, "expected a string or integer id"),
    ({"images": [], "annotations": [{"image_id": 1, "caption": 3}]}, "expected a non-empty caption string"),
])
def test_wrong_type_fields_name_the_field(tmp_path: Path, data: object, message: str) -> None:
    annotations, images = _coco(tmp_path, json.dumps(data))
    with pytest.raises(DatasetError, match=message):
        load_coco_captions(annotations, images)


def test_audiocaps_short_row_and_garbage_csv(tmp_path: Path) -> None:
    (tmp_path / "wav").mkdir()
    csv_file = tmp_path / "test.csv"
    csv_file.write_text("audiocap_id,youtube_id,start_time,caption\n1,abc\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"test\.csv: a row lacks start_time, caption"):
        load_audiocaps(csv_file, tmp_path / "wav")
    csv_file.write_text("audiocap_id,youtube_id,start_time,caption\n1,abc,0," + "a" * 200_000 + "\n",
                        encoding="utf-8")  # a huge line: beyond the csv module's field limit
    with pytest.raises(DatasetError, match=r"test\.csv: not readable as CSV .*field larger than field limit"):
        load_audiocaps(csv_file, tmp_path / "wav")


def test_media_folder_that_is_a_file(tmp_path: Path) -> None:
    annotations, _ = _coco(tmp_path, json.dumps(COCO))
    with pytest.raises(DatasetError, match=f"the image folder {annotations} is a file"):
        load_coco_captions(annotations, annotations)


@pytest.mark.parametrize("family, spec, message", [
    ("audio-captions", "coco:a.json:images", "coco is a layout of image-captions, not of audio-captions"),
    ("image-captions", "manifest:a.jsonl:extra", r"expected manifest:PATH.jsonl \(1 path"),
    ("image-captions", "coco:a.json", r"expected coco:ANNOTATIONS.json:IMAGE_DIR \(2 path"),
    ("image-captions", "coco::images", r"expected coco:ANNOTATIONS.json:IMAGE_DIR"),
    ("image-captions", "synthetic:50", "synthetic takes no path"),
])
def test_specs_that_were_silently_reinterpreted(family: str, spec: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        resolve_dataset(family, spec)
