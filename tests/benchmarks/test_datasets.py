"""Datasets: the synthetic world, the generic manifest (path safety!) and the public layouts."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.datasets.manifest import load_manifest
from benchmarks.datasets.public import load_audiocaps, load_coco_captions, load_msrvtt
from benchmarks.datasets.synthetic import KINDS, SyntheticWorld, load_synthetic, synthetic_world_folder
from nextgpt.core.errors import DatasetError


def test_synthetic_world_is_deterministic_and_complete(tmp_path: Path) -> None:
    first = synthetic_world_folder(4, cache_dir=tmp_path / "a")
    second = synthetic_world_folder(4, cache_dir=tmp_path / "b")
    for name in ("images/scene-0003.png", "audio/tone-0002.wav", "images.jsonl", "dialogues.jsonl"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    for kind in KINDS:
        dataset = load_synthetic(kind, 4, cache_dir=tmp_path / "a")
        assert len(dataset) == 4 and dataset.missing_files() == []
    dialogue = load_synthetic("dialogues", 4, cache_dir=tmp_path / "a").samples[0]
    assert sorted(sorted(t.expected_outputs) for t in dialogue.turns) == [[], ["audio"], ["image"], ["video"]]


def test_splits_and_seeds_differ() -> None:
    scenes = {(seed, split): [SyntheticWorld(seed, split).scene("images", i) for i in range(8)]
              for seed in (0, 1) for split in ("train", "test")}
    assert len({tuple(v) for v in scenes.values()}) == 4


def test_captions_describe_the_scene(tmp_path: Path) -> None:
    sample = load_synthetic("images", 2, cache_dir=tmp_path).samples[1]
    meta = sample.metadata
    assert all(meta["colour"] in c and meta["shape"] in c for c in sample.captions)
    pixels = np.asarray(Image.open(sample.inputs[0].path))
    assert pixels.shape == (64, 64, 3) and len(np.unique(pixels.reshape(-1, 3), axis=0)) >= 2


def _manifest(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("bad_path", ["../outside.png", "/etc/passwd", "images/../../outside.png",
                                      "C:\\windows\\x.png", "..\\outside.png"])
def test_manifest_paths_cannot_escape_the_root(tmp_path: Path, bad_path: str) -> None:
    path = _manifest(tmp_path, [{"id": "a", "inputs": [{"modality": "image", "path": bad_path}]}])
    with pytest.raises(DatasetError, match=r"data\.jsonl:1: inputs\[0\]: path .* (leaves|absolute)"):
        load_manifest(path)


def test_manifest_symlink_escape_is_rejected(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.png").write_bytes(b"")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "link")
    path = root / "data.jsonl"
    path.write_text(json.dumps({"id": "a", "inputs": [{"modality": "image", "path": "link/x.png"}]}) + "\n")
    with pytest.raises(DatasetError, match="symlink escape"):
        load_manifest(path)


def test_missing_media_files_are_listed_by_name(tmp_path: Path) -> None:
    (tmp_path / "present.png").write_bytes(b"")
    path = _manifest(tmp_path, [
        {"id": "a", "inputs": [{"modality": "image", "path": "present.png"}]},
        {"id": "b", "inputs": [{"modality": "image", "path": "gone-1.png"}]},
        {"id": "c", "targets": [{"modality": "audio", "path": "gone-2.wav"}], "captions": ["x"]},
    ])
    with pytest.raises(DatasetError) as error:
        load_manifest(path)
    assert "2 media file(s) are missing" in str(error.value)
    assert "gone-1.png" in str(error.value) and "gone-2.wav" in str(error.value)


@pytest.mark.parametrize("record, message", [
    ({"id": "a", "caption": ["typo"]}, "unknown field"),
    ({"inputs": []}, "'id' must be a non-empty string"),
    ({"id": "a", "inputs": [{"modality": "smell", "path": "x"}]}, "unknown modality 'smell'"),
    ({"id": "a", "captions": [""]}, "empty caption"),
    ({"id": "a", "turns": [{"text": "hi", "expected_outputs": ["hologram"]}]}, "expected_outputs"),
])
def test_manifest_field_errors_name_line_and_field(tmp_path: Path, record: dict, message: str) -> None:
    with pytest.raises(DatasetError, match=message) as error:
        load_manifest(_manifest(tmp_path, [record]))
    assert "data.jsonl:1" in str(error.value)


def test_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="duplicate id 'a' \\(first on line 1\\)"):
        load_manifest(_manifest(tmp_path, [{"id": "a", "captions": ["x"]}, {"id": "a", "captions": ["y"]}]))


def test_coco_layout(tmp_path: Path) -> None:
    (tmp_path / "val2014").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "val2014" / "COCO_val2014_000000000042.jpg")
    annotations = {"images": [{"id": 42, "file_name": "COCO_val2014_000000000042.jpg"},
                              {"id": 7, "file_name": "COCO_val2014_000000000007.jpg"}],
                   "annotations": [{"image_id": 42, "caption": "A dog. "}, {"image_id": 42, "caption": "a puppy"},
                                   {"image_id": 7, "caption": "a cat"}]}
    (tmp_path / "captions_val2014.json").write_text(json.dumps(annotations))
    with pytest.raises(DatasetError, match=r"COCO_val2014_000000000007\.jpg"):
        load_coco_captions(tmp_path / "captions_val2014.json", tmp_path / "val2014")
    dataset = load_coco_captions(tmp_path / "captions_val2014.json", tmp_path / "val2014", check_files=False)
    sample = next(s for s in dataset.samples if s.id == "42")
    assert sample.captions == ("A dog.", "a puppy") and sample.inputs[0].modality == "image"


def test_msrvtt_and_audiocaps_layouts(tmp_path: Path) -> None:
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "video7.mp4").write_bytes(b"")
    data = {"videos": [{"video_id": "video7"}],
            "sentences": [{"video_id": "video7", "caption": "a man cooks"},
                          {"video_id": "video7", "caption": "cooking"}]}
    (tmp_path / "msrvtt.json").write_text(json.dumps(data))
    videos = load_msrvtt(tmp_path / "msrvtt.json", tmp_path / "videos")
    assert videos.samples[0].captions == ("a man cooks", "cooking")

    (tmp_path / "wav").mkdir()
    (tmp_path / "wav" / "abc.wav").write_bytes(b"")
    with (tmp_path / "test.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["audiocap_id", "youtube_id", "start_time", "caption"])
        writer.writerow(["1", "abc", "30", "a dog barks"])
        writer.writerow(["2", "abc", "30", "barking"])
        writer.writerow(["3", "zzz", "0", "rain falls"])
    with pytest.raises(DatasetError, match=r"1 media file\(s\) are missing:\n  .*zzz\.wav"):
        load_audiocaps(tmp_path / "test.csv", tmp_path / "wav")
    with pytest.raises(DatasetError, match="unknown column 'clip'"):
        load_audiocaps(tmp_path / "test.csv", tmp_path / "wav", audio_name="{clip}.wav")
