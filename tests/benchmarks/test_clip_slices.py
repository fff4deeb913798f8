"""CLIP metrics are fed slice by slice (benchmarks/scoring/clip_metrics.py): at most one slice of media is in
memory, and the numbers -- value, interval, per-sample scores -- are exactly those of the one update with every
item that scoring made before.  Exact, not within a tolerance: each slice is what the CLIP network was given at
once in that single update (``EXTRACTION_BATCH`` items; for CLIP-I of videos, frames, a video possibly cut in
two), so every embedding is computed from the same batch, and the library sums the kept per-item scores in one
reduction however many updates fed them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from perfect_runs import FAMILY, record_perfect_run

import metrics.extractors.base as extractor_base
from benchmarks.datasets.registry import resolve_dataset
from benchmarks.datasets.samples import Dataset
from benchmarks.scoring.clip_metrics import score_clip_image, score_clip_text
from benchmarks.scoring.context import ONE_PROCESS, ScoredTask, ScoringContext
from benchmarks.scoring.image_feature_chunks import images_tensor
from benchmarks.store import Generation, ResultsStore
from metrics.clip_metrics import CLIPSIM, CLIPImageSimilarity, CLIPScore
from metrics.provenance import MetricResult

#: items (CLIP-I of videos: frames) per slice in these tests (the real one is 256)
SLICE = 5  # videos have 8 frames: slices cut videos in two
SAMPLES = 7


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extractor_base, "EXTRACTION_BATCH", SLICE)


def _shifted_run(store: ResultsStore, task: str, output: str, dataset: Dataset) -> dict[tuple[str, int], Generation]:
    """A run whose output of each sample is the next sample's target (so outputs and targets differ)."""
    outputs = record_perfect_run(store, task, output, dataset)  # type: ignore[arg-type]
    ids = [s.id for s in dataset.samples]
    return {(sample_id, 0): dataclasses.replace(outputs[(ids[(i + 1) % len(ids)], 0)], sample_id=sample_id)
            for i, sample_id in enumerate(ids)}


def _context(tmp_path: Path, output: str, metrics: tuple[str, ...]) -> ScoringContext:
    dataset = resolve_dataset(FAMILY[output], None, limit=SAMPLES)
    store = ResultsStore(tmp_path)
    task = ScoredTask(f"{output}-like", output, metrics)  # type: ignore[arg-type]
    return ScoringContext(task, dataset, _shifted_run(store, task.name, output, dataset), store, "toy", 20, 0)


def _same(result: MetricResult, whole: MetricResult) -> None:
    assert (result.value, result.ci, result.details) == (whole.value, whole.ci, whole.details)
    assert result.provenance.n_samples == whole.provenance.n_samples


def _pairs(out: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    count = min(len(out), len(target))
    return (out[np.linspace(0, len(out) - 1, count).round().astype(int)],
            target[np.linspace(0, len(target) - 1, count).round().astype(int)])


def test_clipsim_fed_in_slices_equals_one_update_of_all(tmp_path: Path, small_slices: None) -> None:
    context = _context(tmp_path, "video", ("clipsim",))
    samples = context.samples()
    whole = CLIPSIM(model=context.clip_model(), keep_per_sample=True, **ONE_PROCESS)
    whole.update([images_tensor(list(context.media(s, "video"))) for s in samples],  # type: ignore[arg-type]
                 [s.captions[0] for s in samples])
    scored = score_clip_text(context, ("clipsim",)).metrics[0]
    _same(scored.result, whole.compute(bootstrap=20, seed=0))
    assert [scored.per_sample[s.id] for s in samples] == torch.cat(whole.per_sample).tolist()


@pytest.mark.parametrize("output", ["video", "image"])
def test_clip_i_fed_in_slices_equals_one_update_of_all(tmp_path: Path, small_slices: None, output: str) -> None:
    context = _context(tmp_path, output, ("clip_i",))
    samples = context.samples()
    firsts, seconds = [], []
    for sample in samples:
        out, target = context.media(sample, output), context.target(sample, output)  # type: ignore[arg-type]
        assert out is not None
        first, second = _pairs(out, target) if output == "video" else (out[None], target[None])
        firsts.append(first)
        seconds.append(second)
    frames = sum(len(f) for f in firsts)
    assert frames > SLICE and frames % SLICE, "several slices, the last one partial"
    whole = CLIPImageSimilarity(model=context.clip_model(), keep_per_sample=True, **ONE_PROCESS)
    whole.update([f for group in firsts for f in group], [f for group in seconds for f in group])
    scored = score_clip_image(context, ("clip_i",)).metrics[0]
    _same(scored.result, whole.compute(bootstrap=20, seed=0))
    per = torch.cat(whole.per_sample)
    offsets = np.cumsum([0] + [len(f) for f in firsts])
    assert [scored.per_sample[s.id] for s in samples] == [
        float(per[offsets[i]:offsets[i + 1]].mean()) for i in range(len(samples))]


def test_clip_score_from_embeddings_equals_from_images(tmp_path: Path) -> None:
    """The library's ``update_embeddings`` with the model's own image embeddings is ``update`` with the images."""
    from metrics.clip_metrics import clip_image_embeddings

    context = _context(tmp_path, "image", ("clip_score",))
    images = [context.media(s, "image") for s in context.samples()]
    prompts = [s.captions[0] for s in context.samples()]
    direct = CLIPScore(model=context.clip_model(), keep_per_sample=True, **ONE_PROCESS)
    direct.update(images, prompts)  # type: ignore[arg-type]
    embedded = CLIPScore(model=context.clip_model(), keep_per_sample=True, **ONE_PROCESS)
    embedded.update_embeddings(clip_image_embeddings(context.clip_model(), images), prompts)  # type: ignore[arg-type]
    _same(embedded.compute(bootstrap=20), direct.compute(bootstrap=20))
    with pytest.raises(Exception, match=r"clip_score image embeddings: expected 6 embedding rows"):
        embedded.update_embeddings(torch.zeros(7, 32), prompts[:6])


@pytest.mark.parametrize(("first", "second"), [((6, 32), (5, 32)), ((6, 32), (6, 16)), ((6,), (6,)),
                                               ((2, 3, 32), (2, 3, 32))])
def test_clip_i_embeddings_of_another_shape_are_refused(first: tuple[int, ...], second: tuple[int, ...]) -> None:
    from metrics.clip_metrics import CLIPImageSimilarity
    from metrics.errors import FeatureError

    metric = CLIPImageSimilarity(model="toy-clip", **ONE_PROCESS)
    with pytest.raises(FeatureError, match=r"clip_i: expected two 2-d embedding tensors of one shape .* got shapes "
                                           + re.escape(f"{first} and {second}")):
        metric.update_embeddings(torch.ones(first), torch.ones(second))
