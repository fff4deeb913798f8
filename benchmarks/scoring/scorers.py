"""Score a task's stored outputs with the metric library.

Scores are always computed from the stored (lossless) media, so a fresh run, a resumed run and a rescoring of an
old run give the same numbers.  Feature networks come in two sets: ``canonical`` (Inception 2015-12-05, VGGish,
CLIP ViT-B/32: comparable with papers, weights from local files) and ``toy`` (seeded random networks: run
anywhere, labelled ``fid[toy]`` etc., never comparable with published numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from benchmarks.datasets.samples import Dataset, Sample
from benchmarks.runner.media_codec import read_audio, read_image, read_video
from benchmarks.store import Generation, MetricValue, ResultsStore
from benchmarks.tasks.task import Task
from nextgpt.core.errors import MediaError

EXTRACTOR_SETS: dict[str, dict[str, str]] = {
    "canonical": {"image": "inception-2015-12-05", "audio": "vggish", "clip": "clip-vit-b-32"},
    "toy": {"image": "toy", "audio": "toy-audio", "clip": "toy-clip"},
}
PerSample = dict[str, dict[str, float | None]]
#: What an empty caption answer is scored as (a made-up word no reference contains).
EMPTY_ANSWER = "noanswergiven"


@dataclass
class ScoringContext:
    task: Task
    dataset: Dataset
    #: (sample id, turn) -> stored generation
    outputs: dict[tuple[str, int], Generation]
    store: ResultsStore
    extractors: str
    bootstrap: int
    seed: int

    def __post_init__(self) -> None:
        self._built: dict[str, Any] = {}

    def extractor(self, role: str) -> Any:
        from metrics.extractors.registry import build_extractor

        name = EXTRACTOR_SETS[self.extractors][role]
        if name not in self._built:
            self._built[name] = build_extractor(name)
        return self._built[name]

    def samples(self) -> list[Sample]:
        return [s for s in self.dataset.samples if (s.id, 0) in self.outputs]

    def output(self, sample: Sample) -> Generation:
        return self.outputs[(sample.id, 0)]

    def media(self, sample: Sample, modality: str) -> Any:
        stored = next((m for m in self.output(sample).media if m.modality == modality), None)
        if stored is None:
            return None
        path = self.store.media_path(stored)
        return {"image": read_image, "video": read_video, "audio": _read_audio_16k}[modality](path)


def _value(result: Any, metric: str, n: int) -> MetricValue:
    ci = (result.ci.low, result.ci.high) if result.ci is not None else None
    value = float(result.value) if result.available else None
    return MetricValue("", metric, value, ci, n, result.to_dict())


def _mean_metric(metric: str, values: dict[str, float], ctx: ScoringContext, note: str) -> MetricValue:
    from metrics.bootstrap import bootstrap_mean

    array = np.array(list(values.values()), dtype=np.float64)
    ci = None
    if ctx.bootstrap and len(array) > 1:
        interval = bootstrap_mean(array, n_resamples=ctx.bootstrap, seed=ctx.seed)
        ci = (interval.low, interval.high)
    provenance = {"metric": metric, "n_samples": len(array), "definition": note,
                  "seed": ctx.seed if ctx.bootstrap else None}
    return MetricValue("", metric, float(array.mean()) if len(array) else None, ci, len(array), provenance)


# ---------------------------------------------------------------------------------------------- captioning
def score_captioning(ctx: ScoringContext) -> tuple[list[MetricValue], PerSample]:
    from metrics.captions.suite import score_captions

    samples = ctx.samples()
    predictions = {s.id: ctx.output(s).text for s in samples}
    empty = [sid for sid, text in predictions.items() if not text.strip()]
    # An empty answer is a real (bad) model output, not a data error: it is scored as a word no reference
    # contains, so it matches nothing, and the count is recorded with every caption metric.
    predictions.update(dict.fromkeys(empty, EMPTY_ANSWER))
    references = {s.id: list(s.captions) for s in samples}
    caption_metrics = tuple(m for m in ctx.task.metrics if m != "attribute_accuracy")
    scores = score_captions(predictions, references, metrics=caption_metrics, bootstrap=ctx.bootstrap,
                            seed=ctx.seed)
    values = [_value(scores.results[m], m, len(samples)) for m in caption_metrics]
    if empty:
        note = f"{len(empty)} of {len(samples)} answers were empty and scored as the word {EMPTY_ANSWER!r}"
        for value in values:
            value.provenance.setdefault("provenance", {}).setdefault("warnings", []).append(note)
    per_sample = {m: dict(zip(predictions, map(float, scores.per_sample[m]), strict=True))
                  for m in scores.per_sample if m in ctx.task.metrics}
    if "attribute_accuracy" in ctx.task.metrics:
        value, per = _attribute_accuracy(ctx, samples, predictions)
        values.append(value)
        if per:
            per_sample["attribute_accuracy"] = per
    return values, per_sample


#: The scene attributes a caption of the synthetic world should name, per input modality
#: (benchmarks/datasets/synthetic.py writes them into each sample's metadata).
CAPTION_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "image": ("colour", "shape", "size", "background"), "video": ("colour", "shape", "motion"),
    "audio": ("pitch", "pattern")}


def _attribute_accuracy(ctx: ScoringContext, samples: list[Sample], predictions: dict[str, str]
                        ) -> tuple[MetricValue, dict[str, float]]:
    """Per sample, the share of its scene attributes whose value appears as a word of the answer; mean over
    samples.  A caption that ignores its input scores about chance (1 / number of values per attribute) however
    fluent it is, which BLEU and CIDEr on templated references do not show.  Samples without the attributes in
    their metadata (every public dataset) are not scored; with none, the metric is None."""
    per: dict[str, float] = {}
    for sample in samples:
        keys = CAPTION_ATTRIBUTES.get(sample.inputs[0].modality, ()) if sample.inputs else ()
        if not keys or not all(k in sample.metadata for k in keys):
            continue
        words = f" {' '.join(predictions[sample.id].lower().replace(',', ' ').split())} "
        per[sample.id] = float(np.mean([f" {str(sample.metadata[k]).lower()} " in words for k in keys]))
    note = ("mean share of the input's scene attributes (synthetic world metadata) named in the answer; "
            "synthetic data only, no published counterpart")
    return _mean_metric("attribute_accuracy", per, ctx, note), per


# ----------------------------------------------------------------------------------------------- text -> X
def _images_tensor(images: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()


def _uniform_size(images: list[np.ndarray], size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """Bring images to one (H, W) -- the first image's unless ``size`` is given -- so they stack into a batch;
    the feature networks resize to their own input size anyway (bicubic here)."""
    from PIL import Image

    height, width = size or images[0].shape[:2]
    return [im if im.shape[:2] == (height, width) else
            np.asarray(Image.fromarray(im).resize((width, height), Image.BICUBIC)) for im in images]


def _frechet(ctx: ScoringContext, metric: str, generated: list[np.ndarray], reference: list[np.ndarray],
             role: str) -> MetricValue:
    """FID over images, or over the frames of videos (``generated``/``reference`` items of shape (T, H, W, 3)),
    or FAD over clips. The interval's jackknife keeps the rows of one item (its frames, its 0.96 s examples)
    in one group, because they are not independent samples."""
    from metrics.frechet_metrics import frechet_from_features

    extractor = ctx.extractor(role)
    if role == "audio":
        from metrics.extractors.vggish import waveform_to_examples

        def features(waves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            parts = [waveform_to_examples(torch.from_numpy(w.astype(np.float64)), 16000) for w in waves]
            return extractor.extract(torch.cat(parts)).numpy(), _item_of_row([len(p) for p in parts])
    else:
        def features(items: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            frames = [frame for item in items for frame in (item if item.ndim == 4 else [item])]
            counts = [len(item) if item.ndim == 4 else 1 for item in items]
            return extractor.extract(_images_tensor(_uniform_size(frames))).numpy(), _item_of_row(counts)

    identity = extractor.identity
    (gen, gen_items), (ref, ref_items) = features(generated), features(reference)
    result = frechet_from_features(gen, ref, metric=metric, extractor=identity.name,
                                   extractor_canonical=identity.canonical, weights_sha256=identity.weights_sha256,
                                   interval=ctx.bootstrap > 0, generated_clusters=gen_items,
                                   reference_clusters=ref_items, seed=ctx.seed)
    # n counts what the distance is over: images, video frames, or audio clips (as stored before intervals)
    return _value(result, metric, len(generated) if role == "audio" else len(gen))


def _item_of_row(rows_per_item: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(rows_per_item)), rows_per_item)


_SIGNAL_DEFINITIONS = {
    "signal_rate": "fraction of samples whose answer contained the output's signal tokens without forcing",
    "signal_exact": "fraction of samples whose answer contained the output's complete signal-token run, in order "
                    "and unrepaired, and no other modality's signal tokens",
}


def _signal_metric(ctx: ScoringContext, samples: list[Sample], metric: str
                   ) -> tuple[MetricValue, dict[str, float]]:
    """``signal_rate``: the model asked for the output at all (some of its signal tokens, maybe garbled);
    ``signal_exact``: it emitted exactly the canonical run and nothing else (an untrained model's random signal
    tokens count for the first, almost never for the second)."""
    modality = ctx.task.produced_modality
    per_sample = {}
    for sample in samples:
        runs = ctx.output(sample).signal_runs
        own = [r for r in runs if r["modality"] == modality]
        if metric == "signal_rate":
            per_sample[sample.id] = float(bool(own) and own[0]["status"] != "forced")
        else:
            per_sample[sample.id] = float(len(runs) == 1 and bool(own) and own[0]["status"] == "complete"
                                          and not own[0].get("dropped"))
    return _mean_metric(metric, per_sample, ctx, _SIGNAL_DEFINITIONS[metric]), per_sample


def _clip_scores(ctx: ScoringContext, metric: str, images: list[np.ndarray], texts: list[str],
                 ids: list[str]) -> tuple[MetricValue, dict[str, float]]:
    from metrics.clip_metrics import CLIPScore

    scorer = CLIPScore(model=ctx.extractor("clip"), keep_per_sample=True)
    scorer.update(images, texts)  # any sizes: CLIP applies open_clip's own resize + crop to each image
    result = scorer.compute(bootstrap=ctx.bootstrap, seed=ctx.seed)
    per = scorer.per_sample
    per = torch.cat(per) if isinstance(per, list) else per
    value = _value(result, metric, len(images))
    return value, dict(zip(ids, map(float, per), strict=True))


def score_generation(ctx: ScoringContext) -> tuple[list[MetricValue], PerSample]:
    """text -> X and X -> X tasks: the produced medium against the targets and captions."""
    modality = ctx.task.produced_modality
    samples = [s for s in ctx.samples() if ctx.media(s, modality) is not None]
    values: list[MetricValue] = []
    per_sample: PerSample = {}
    outputs = {s.id: ctx.media(s, modality) for s in samples}
    targets = {s.id: _read_target(s, modality) for s in samples}
    metrics = ctx.task.metrics
    for signal_metric in ("signal_rate", "signal_exact"):
        if signal_metric in metrics:
            value, per = _signal_metric(ctx, ctx.samples(), signal_metric)
            values.append(value)
            per_sample[signal_metric] = dict(per)
    if modality == "image":
        if "fid" in metrics:
            values.append(_frechet(ctx, "fid", list(outputs.values()), list(targets.values()), "image"))
        text_metric = "clip_score" if "clip_score" in metrics else "clip_t"
        if text_metric in metrics:
            value, per = _clip_scores(ctx, text_metric, list(outputs.values()), [s.captions[0] for s in samples],
                                      [s.id for s in samples])
            values.append(value)
            per_sample[text_metric] = dict(per)
        if "clip_i" in metrics:
            values.append(_clip_image_similarity(ctx, outputs, targets, per_sample))
    elif modality == "video":
        if "fid" in metrics:  # over frames
            values.append(_frechet(ctx, "fid", list(outputs.values()), list(targets.values()), "image"))
        text_metric = "clipsim" if "clipsim" in metrics else "clip_t"
        if text_metric in metrics:
            values.append(_clipsim(ctx, text_metric, outputs, samples, per_sample))
        if "clip_i" in metrics:
            values.append(_clip_image_similarity(ctx, outputs, targets, per_sample))
    elif modality == "audio":
        if "fad" in metrics:
            values.append(_frechet(ctx, "fad", list(outputs.values()), list(targets.values()), "audio"))
        if "mel_distance" in metrics:
            per = {sid: _mel_distance(outputs[sid], targets[sid]) for sid in outputs}
            per_sample["mel_distance"] = dict(per)
            values.append(_mean_metric("mel_distance", per, ctx, "mean |log-mel(output) - log-mel(target)|, "
                                       "64 mel bins, 25 ms / 10 ms frames, cropped to the shorter clip"))
    return values, per_sample


def _read_audio_16k(path: Any) -> np.ndarray:
    """A stored output or a target as 16 kHz mono.  FAD (VGGish) and mel_distance below assume 16 kHz; another
    rate is an error naming the file, as in the metric library (read as 16 kHz, a 32 kHz copy of the reference
    scored FAD 0.82 and mel_distance 3.0 against itself instead of 0: benchmarks/sensitivity.py)."""
    samples, rate = read_audio(path)
    if rate != 16000:
        raise MediaError(f"{path}: sample rate {rate} Hz; FAD and mel_distance are computed on 16 kHz audio: "
                         "resample it to 16 kHz first (scores never resample silently)")
    return samples


def _read_target(sample: Sample, modality: str) -> Any:
    target = next(f for f in sample.targets if f.modality == modality)
    return {"image": read_image, "video": read_video, "audio": _read_audio_16k}[modality](target.path)


def _clipsim(ctx: ScoringContext, metric: str, outputs: dict[str, np.ndarray], samples: list[Sample],
             per_sample: PerSample) -> MetricValue:
    from metrics.clip_metrics import CLIPSIM

    scorer = CLIPSIM(model=ctx.extractor("clip"), keep_per_sample=True)
    scorer.update([_images_tensor(list(outputs[s.id])) for s in samples], [s.captions[0] for s in samples])
    result = scorer.compute(bootstrap=ctx.bootstrap, seed=ctx.seed)
    per = scorer.per_sample
    per = torch.cat(per) if isinstance(per, list) else per
    per_sample[metric] = {s.id: float(v) for s, v in zip(samples, per, strict=True)}
    return _value(result, metric, len(samples))


def _clip_image_similarity(ctx: ScoringContext, outputs: dict[str, np.ndarray], targets: dict[str, np.ndarray],
                           per_sample: PerSample) -> MetricValue:
    """CLIP-I between each output and its target (videos: frame by frame after sampling both to the shorter)."""
    from metrics.clip_metrics import CLIPImageSimilarity

    scorer = CLIPImageSimilarity(model=ctx.extractor("clip"), keep_per_sample=True)
    ids = list(outputs)
    firsts, seconds = [], []
    for sid in ids:
        out, target = outputs[sid], targets[sid]
        if out.ndim == 4:  # video: pair frames evenly
            count = min(len(out), len(target))
            out = out[np.linspace(0, len(out) - 1, count).round().astype(int)]
            target = target[np.linspace(0, len(target) - 1, count).round().astype(int)]
            firsts.append(out)
            seconds.append(target)
        else:
            firsts.append(out[None])
            seconds.append(target[None])
    scorer.update([frame for group in firsts for frame in group], [frame for group in seconds for frame in group])
    result = scorer.compute(bootstrap=ctx.bootstrap, seed=ctx.seed)
    per = scorer.per_sample
    per = torch.cat(per) if isinstance(per, list) else per
    offsets = np.cumsum([0] + [len(g) for g in firsts])
    per_sample["clip_i"] = {sid: float(per[offsets[i]:offsets[i + 1]].mean()) for i, sid in enumerate(ids)}
    return _value(result, "clip_i", len(ids))


def _mel_distance(output: np.ndarray, target: np.ndarray) -> float:
    import torchaudio.compliance.kaldi as kaldi

    def log_mel(wave: np.ndarray) -> torch.Tensor:
        wave = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32)).unsqueeze(0)
        if wave.shape[1] < 400:
            wave = torch.nn.functional.pad(wave, (0, 400 - wave.shape[1]))
        return kaldi.fbank(wave, sample_frequency=16000, num_mel_bins=64, dither=0.0, energy_floor=1e-10)

    a, b = log_mel(output), log_mel(target)
    frames = min(len(a), len(b))
    return float((a[:frames] - b[:frames]).abs().mean())


# ------------------------------------------------------------------------------------------------ dialogue
def score_dialogue(ctx: ScoringContext) -> tuple[list[MetricValue], PerSample]:
    per_turn: dict[str, float] = {}
    by_kind: dict[str, dict[str, float]] = {k: {} for k in ("image", "video", "audio", "text")}
    for sample in ctx.dataset.samples:
        for index, turn in enumerate(sample.turns):
            generation = ctx.outputs.get((sample.id, index))
            if generation is None:
                continue
            produced = {r["modality"] for r in generation.signal_runs}
            correct = float(produced == set(turn.expected_outputs))
            key = f"{sample.id}#{index}"
            per_turn[key] = correct
            kind = next(iter(turn.expected_outputs)) if len(turn.expected_outputs) == 1 else (
                "text" if not turn.expected_outputs else "mixed")
            by_kind.setdefault(kind, {})[key] = correct
    values = []
    if "modality_accuracy" in ctx.task.metrics:  # what is stored is what the task declares
        values.append(_mean_metric("modality_accuracy", per_turn, ctx,
                                   "fraction of turns whose produced outputs are exactly the expected modalities"))
    for kind in ("image", "video", "audio", "text"):
        metric = f"{kind}_turn_accuracy"
        if metric in ctx.task.metrics:
            values.append(_mean_metric(metric, by_kind[kind], ctx,
                                       f"modality accuracy on turns that expect {kind} output"))
    return values, ({"modality_accuracy": dict(per_turn)} if "modality_accuracy" in ctx.task.metrics else {})


SCORERS: dict[str, Callable[[ScoringContext], tuple[list[MetricValue], PerSample]]] = {
    "text": score_captioning, "image": score_generation, "video": score_generation, "audio": score_generation,
    "dialogue": score_dialogue,
}


def score_task(ctx: ScoringContext) -> tuple[list[MetricValue], PerSample]:
    values, per_sample = SCORERS[ctx.task.output](ctx)
    return [MetricValue(ctx.task.name, v.metric, v.value, v.ci, v.n, v.provenance) for v in values], per_sample
