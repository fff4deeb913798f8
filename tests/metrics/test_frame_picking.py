"""The frames CLIPSIM scores: one rule (metrics/frame_picking.py) for `nextgpt-bench score video` and the clipsim
evaluate module (its equality is in test_hf_evaluate.py), with only the picked frames of a folder ever read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from metrics.clip_metrics import CLIPSIM
from metrics.errors import MediaError
from metrics.frame_picking import evenly_spaced_indices, read_picked_frames
from nextgpt.core.media import read_video, write_png, write_video


def test_evenly_spaced_frames_keep_the_first_and_the_last() -> None:
    assert evenly_spaced_indices(20, 5) == [0, 5, 10, 14, 19]  # linspace(0, 19, 5) rounded half to even
    assert evenly_spaced_indices(3, 16) == [0, 1, 2], "a short video is kept whole"
    assert evenly_spaced_indices(1, 1) == [0]
    with pytest.raises(MediaError, match="at least one frame"):
        evenly_spaced_indices(0, 4)
    with pytest.raises(MediaError, match="max_frames must be at least 1, got 0"):
        evenly_spaced_indices(5, 0)


def test_score_video_reads_only_the_picked_frames(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder of 9 frames scored with --max-frames 3 has frames 0, 4 and 8 read: frame 1 is not an image and is
    never opened. A video file is decoded whole, then picked the same way."""
    from benchmarks.cli import main

    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(9)]
    folder = tmp_path / "videos" / "folder"
    folder.mkdir(parents=True)
    for index, frame in enumerate(frames):
        write_png(Image.fromarray(frame), folder / f"{index:03d}.png")
    (folder / "001.png").write_bytes(b"not a png")
    file = write_video(np.stack([rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(7)]),
                       tmp_path / "videos" / "file.mp4")
    prompts = {"folder": "a ball", "file": "a square"}
    (tmp_path / "prompts.json").write_text(json.dumps(prompts))

    assert [frame.tolist() for frame in read_picked_frames(folder, 3)] == [frames[i].tolist() for i in (0, 4, 8)]
    code = main(["score", "video", "--gen", str(tmp_path / "videos"), "--prompts", str(tmp_path / "prompts.json"),
                 "--clip-model", "toy-clip", "--max-frames", "3", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    native = CLIPSIM(model="toy-clip")
    decoded = read_video(file)
    native.update([[decoded[i] for i in (0, 3, 6)]], [prompts["file"]])  # sorted: file.mp4, then folder
    native.update([[frames[0], frames[4], frames[8]]], [prompts["folder"]])
    assert json.loads(out)["metrics"]["clipsim"] == native.compute().value
