"""A big dataset or run holds each repeated value once (issue 17: peak memory must not grow with repetitions):
a manifest's repeated strings and files are shared between samples, and the outputs read back from the store share
their repeated strings and signal runs -- without changing what any of them compares equal to."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from benchmarks.datasets.manifest import load_manifest
from benchmarks.store import Generation, ResultsStore


def _manifest(folder: Path, count: int) -> Path:
    (folder / "images").mkdir()
    lines = []
    for index in range(count):
        Image.new("RGB", (4, 4), (index, 0, 0)).save(folder / "images" / f"{index}.png")
        medium = {"modality": "image", "path": f"images/{index}.png"}
        lines.append(json.dumps({"id": f"s{index}", "inputs": [medium], "targets": [medium],
                                 "captions": ["a red circle", f"caption {index}"],
                                 "metadata": {"colour": "red", "index": index}}))
    path = folder / "data.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_manifest_holds_each_repeated_value_once(tmp_path: Path) -> None:
    samples = load_manifest(_manifest(tmp_path, 3)).samples
    first, second = samples[0], samples[1]
    assert first.captions[0] is second.captions[0], "a repeated caption is one string"
    assert first.metadata["colour"] is second.metadata["colour"], "a repeated attribute value is one string"
    assert first.inputs[0] is first.targets[0], "an input that is also the target is one file"
    assert first.inputs[0] is not second.inputs[0] and first.inputs[0] != second.inputs[0]
    assert [s.metadata["index"] for s in samples] == [0, 1, 2]
    assert first.captions == ("a red circle", "caption 0") and first.inputs[0].path == tmp_path / "images" / "0.png"


def test_outputs_read_back_share_repeated_strings_and_signal_runs(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    run_id, _ = store.start_or_resume("model", {}, {"tasks": ["t2i"]})
    runs = ({"modality": "image", "status": "ok", "dropped": 0},)
    written = []
    for index in range(3):
        medium = store.write_media(bytes([index]) * 8, ".png", "image")
        generation = Generation(f"key-{index}", "t2i", f"s{index}", 0, index, "here it is", (medium,), runs, 0.1)
        store.record(run_id, generation)
        written.append(generation)
    read = store.recorded(run_id, "t2i")
    first, second = read[("s0", 0)], read[("s1", 0)]
    assert [read[(g.sample_id, 0)] for g in written] == written, "what is read back equals what was recorded"
    assert first.text is second.text and first.task is second.task
    assert first.signal_runs is second.signal_runs, "identical signal runs are parsed once"
    assert first.media[0].modality is second.media[0].modality
