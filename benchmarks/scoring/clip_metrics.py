"""CLIP similarities of generated images and videos, through the metric library's CLIP metric classes, fed slice
by slice (at most one slice of media in memory; the numbers are those of one update with every item).  Image
embeddings (and CLIPSIM's video frame embeddings) are read from the chunks a streaming run kept, or embedded now
(clip_embedding_chunks.py, clip_frame_chunks.py); CLIP-I of videos embeds its paired frames when scored:

* the text slot (one of ``clip_score``/``clipsim``/``clip_t`` per task): the output against the sample's first
  caption -- CLIP score per image, CLIPSIM (frame-averaged) per video; ``clip_t`` is the editing papers' name;
* ``clip_i``: the output against the target (videos frame by frame after sampling both to the shorter).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.datasets.samples import Sample
from benchmarks.scoring.clip_embedding_chunks import image_embedding_chunks
from benchmarks.scoring.clip_frame_chunks import video_frame_chunks
from benchmarks.scoring.computation import ScoredMetric, SetMetric, SetOutcome
from benchmarks.scoring.context import ONE_PROCESS, ScoringContext
from benchmarks.scoring.metric_spec import MetricSpec
from metrics.provenance import MetricResult, Provenance
from nextgpt.core.errors import NextGPTError, TaskError
from nextgpt.core.modalities import Modality

if TYPE_CHECKING:
    import torch

    from metrics.clip_metrics import CLIPSIM, CLIPImageSimilarity, CLIPScore


def _with_output(context: ScoringContext, names: tuple[str, ...]) -> tuple[Modality, _Outputs, list[Sample]]:
    """The produced modality, the samples' outputs (id -> medium, read when asked) and the samples that have one,
    in dataset order."""
    modality = context.task.produced_modality
    if modality not in ("image", "video"):
        raise TaskError(f"task {context.task.name}: {', '.join(names)} need image or video output, the task "
                        f"produces {context.task.output}")
    samples = [s for s in context.samples() if any(m.modality == modality for m in context.output(s).media)]
    return modality, _Outputs(context, modality), samples


class _Outputs:
    """sample id -> its output medium, read from the store when asked (the context keeps the latest few): a
    large task's outputs are never all in memory at once."""

    def __init__(self, context: ScoringContext, modality: Modality) -> None:
        self._context, self._modality = context, modality
        self._samples = {s.id: s for s in context.samples()}

    def __getitem__(self, sample_id: str) -> np.ndarray:
        medium = self._context.media(self._samples[sample_id], self._modality)
        if medium is None:
            raise KeyError(sample_id)
        return medium


def _no_output(context: ScoringContext, names: tuple[str, ...], modality: Modality, library_metric: str
               ) -> SetOutcome:
    """Every declared metric unavailable (not a failed task) when no sample has a generated medium, with the
    provenance an available result of the same network would carry (so its qualified name is the same)."""
    from metrics.extractors.registry import extractor_spec

    model = context.clip_model()
    try:
        canonical = extractor_spec(model.name).canonical
    except NextGPTError:  # an unregistered custom model is never canonical
        canonical = False
    provenance = Provenance(metric=library_metric, extractor=model.name, extractor_canonical=canonical,
                            weights_sha256=model.weights_sha256, resize=model.image_preprocessing, n_samples=0)
    reason = (f"task {context.task.name}: the model produced no {modality} (none of its "
              f"{len(context.samples())} stored outputs has one)")
    return SetOutcome(tuple(ScoredMetric(MetricResult.unavailable(name, reason, provenance), 0) for name in names))


def _per_item(scorer: CLIPScore | CLIPSIM | CLIPImageSimilarity) -> torch.Tensor:
    """The per-item scores the metric kept (a list of batches before it is synchronised, then one tensor)."""
    import torch

    per = scorer.per_sample
    return torch.cat(per) if isinstance(per, list) else per


def _named(result: MetricResult, name: str) -> MetricResult:
    return dataclasses.replace(result, name=name)


def score_clip_text(context: ScoringContext, names: tuple[str, ...]) -> SetOutcome:
    """The text slot (the registry's exclusive group lets a task declare one of its names)."""
    from metrics import clip_metrics as library

    modality, _, samples = _with_output(context, names)
    if not samples:
        kind = library.CLIPScore if modality == "image" else library.CLIPSIM
        return _no_output(context, names, modality, kind.metric_name)
    prompts = [s.captions[0] for s in samples]
    model = context.clip_model()
    scorer: CLIPScore | CLIPSIM
    # fed in the slices the network takes at once (chunk_bounds), so that only one slice of media is in memory and
    # the numbers are those of one update with them all (the text tower embeds the prompts in the same slices)
    if modality == "image":
        scorer = library.CLIPScore(model=model, keep_per_sample=True, **ONE_PROCESS)
        # the image embeddings a streaming run kept, or embedded now chunk by chunk (clip_embedding_chunks.py)
        for (start, end), embeddings in image_embedding_chunks(context, model, samples, ("generated",)):
            scorer.update_embeddings(embeddings["generated"], prompts[start:end])
    else:
        scorer = library.CLIPSIM(model=model, keep_per_sample=True, **ONE_PROCESS)
        # each video's frame embeddings, kept by a streaming run or embedded now (clip_frame_chunks.py)
        for (start, end), videos in video_frame_chunks(context, model, samples):
            scorer.update_embeddings(videos, prompts[start:end])
    result = scorer.compute(bootstrap=context.bootstrap, seed=context.seed)
    per = {s.id: float(v) for s, v in zip(samples, _per_item(scorer), strict=True)}
    return SetOutcome(tuple(ScoredMetric(_named(result, name), len(samples), per) for name in names))


def score_clip_image(context: ScoringContext, names: tuple[str, ...]) -> SetOutcome:
    """CLIP-I of each output with its target; a video's value is the mean over its paired frames."""
    from metrics import clip_metrics as library

    modality, outputs, samples = _with_output(context, names)
    if not samples:
        return _no_output(context, names, modality, library.CLIPImageSimilarity.metric_name)
    model = context.clip_model()
    scorer = library.CLIPImageSimilarity(model=model, keep_per_sample=True, **ONE_PROCESS)
    if modality == "image":
        for _, embeddings in image_embedding_chunks(context, model, samples, ("generated", "reference")):
            scorer.update_embeddings(embeddings["generated"], embeddings["reference"])
        counts = [1] * len(samples)
    else:
        counts = _update_with_frame_pairs(scorer, context, outputs, samples)
    result = scorer.compute(bootstrap=context.bootstrap, seed=context.seed)
    per = _per_item(scorer)
    offsets = np.cumsum([0, *counts])
    per_sample = {s.id: float(per[offsets[i]:offsets[i + 1]].mean()) for i, s in enumerate(samples)}
    return SetOutcome(tuple(ScoredMetric(_named(result, name), len(samples), per_sample) for name in names))


def _update_with_frame_pairs(scorer: CLIPImageSimilarity, context: ScoringContext, outputs: _Outputs,
                             samples: list[Sample]) -> list[int]:
    """Feed CLIP-I each video's frames paired evenly with its target's, in slices of the frames the network takes
    at once (the slices of one pass over all pairs, which may cut a video in two): at most a slice of frames and
    one video are in memory.  -> the pairs of each sample."""
    from metrics.extractors.base import EXTRACTION_BATCH

    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    counts = []
    for sample in samples:
        out, target = outputs[sample.id], context.target(sample, "video")
        count = min(len(out), len(target))
        firsts += list(out[np.linspace(0, len(out) - 1, count).round().astype(int)])
        seconds += list(target[np.linspace(0, len(target) - 1, count).round().astype(int)])
        counts.append(count)
        while len(firsts) >= EXTRACTION_BATCH:
            scorer.update(firsts[:EXTRACTION_BATCH], seconds[:EXTRACTION_BATCH])
            firsts, seconds = firsts[EXTRACTION_BATCH:], seconds[EXTRACTION_BATCH:]
    if firsts:
        scorer.update(firsts, seconds)
    return counts


_TEXT = SetMetric(score_clip_text)

CLIP_SCORE_SPEC = MetricSpec(
    "clip_score", True, frozenset({"image"}), "per-sample", "per-sample",
    "CLIP score (x100) of each image with its caption", _TEXT, exclusive_group="clip-text")
CLIPSIM_SPEC = MetricSpec(
    "clipsim", True, frozenset({"video"}), "per-sample", "per-sample",
    "CLIPSIM: frame-averaged CLIP score (x100) of each video with its caption", _TEXT, exclusive_group="clip-text")
CLIP_T_SPEC = MetricSpec(
    "clip_t", True, frozenset({"image", "video"}), "per-sample", "per-sample",
    "CLIP text similarity (x100) of the output with the target caption (the editing papers' name)", _TEXT,
    exclusive_group="clip-text")
CLIP_I_SPEC = MetricSpec(
    "clip_i", True, frozenset({"image", "video"}), "per-sample", "per-sample",
    "CLIP image cosine of the output with the target (videos frame by frame)", SetMetric(score_clip_image))
