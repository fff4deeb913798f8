"""Perfect runs of the synthetic world recorded straight into a store, for scoring tests: each output is the
sample's first caption or its target medium, each dialogue turn's signal tokens are the expected ones."""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from benchmarks.datasets.samples import Dataset
from benchmarks.scoring.metric_spec import OutputKind
from benchmarks.store import Generation, ResultsStore
from nextgpt.core.media import STORED_SUFFIX, encode_audio, encode_image, encode_video, read_media

#: a dataset family whose samples have what every metric of the output kind needs (captions, targets, turns)
FAMILY = {"text": "image-captions", "image": "image-edits", "video": "video-edits", "audio": "audio-edits",
          "dialogue": "dialogues"}


def _encode(medium: np.ndarray, output: str) -> bytes:
    if output == "image":
        return encode_image(Image.fromarray(medium))
    return encode_video(medium) if output == "video" else encode_audio(medium, 16000)


def record_perfect_run(store: ResultsStore, task: str, output: OutputKind, dataset: Dataset
                       ) -> dict[tuple[str, int], Generation]:
    """Record a perfect run of ``task`` on ``dataset``; -> its outputs as the runner reads them back."""
    run_id, _ = store.start_or_resume("registry-test", {"preset": "test"}, {"tasks": [task]})
    for sample in dataset.samples:
        turns = [(turn, "", tuple(sorted(t.expected_outputs))) for turn, t in enumerate(sample.turns)] or [
            (0, sample.captions[0] if output == "text" else "", () if output == "text" else (output,))]
        for turn, text, produced in turns:
            media = ()
            if output in ("image", "video", "audio"):
                target = next(f for f in sample.targets if f.modality == output)
                data = _encode(read_media(output, target.path), output)
                media = (store.write_media(data, STORED_SUFFIX[output], output),)
            runs = tuple({"modality": m, "status": "complete", "dropped": 0} for m in produced)
            key = hashlib.sha256(f"{task}/{sample.id}/{turn}".encode()).hexdigest()
            store.record(run_id, Generation(key, task, sample.id, turn, 0, text, media, runs, 0.0))
    return store.recorded(run_id, task)
