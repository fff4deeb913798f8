"""Does every set metric respond to quality?  Sensitivity checks in the style of Heusel et al. (2017).

A metric can equal its reference implementation and still be wired wrong inside a task (the wrong reference set,
the wrong frames, the wrong sample rate).  This module takes the synthetic world's reference media -- the targets
of the text-to-X and editing tasks -- degrades them at increasing strength, stores them as if a model had
produced them, and scores them through the task path the runner uses (``ResultsStore.record`` ->
``ResultsStore.recorded`` -> ``ScoringContext`` -> ``score_task``).  Each metric must then get worse with
strength, and strength 0 (the references themselves) must be best.

Verdicts (``verdict``), on the values ordered by strength, turned so that "larger is worse":

* ``monotonic``: every step is worse than the one before by more than ``TOLERANCE`` (relative to the value scale);
* ``invariant``: no value differs from strength 0 by more than ``TOLERANCE`` -- expected where the metric cannot
  see the degradation by definition (FID over a permuted set, CLIPSIM over shuffled frames);
* ``not monotonic``: anything else.

``EXPECTED`` says, per (task, metric, degradation), which verdict the toy networks give and why when it is not
``monotonic``: ``monotonic`` and ``invariant`` entries are asserted by the test suite, entries without a verdict
(metrics that cannot respond with toy networks, and one wiring bug outside the scorer) are measured and
reported.  KID is not a task metric (no task declares it): it is computed here with the metric library on the
same stored outputs and targets, with the task's image extractor, so that its sensitivity is measured on exactly
the media the task's FID sees.  ``OracleClipContext`` swaps in an aligned stand-in CLIP to tell a CLIP metric
that is wired wrong from a toy CLIP that cannot align text and images at all.

Regenerate the table of metrics/README.md with ``.venv/bin/python -m benchmarks.sensitivity --markdown``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image, ImageFilter

from benchmarks.datasets.registry import resolve_dataset
from benchmarks.datasets.samples import Dataset, Sample
from benchmarks.scoring.per_attribute_accuracy import PER_ATTRIBUTE_METRICS
from benchmarks.scoring.scorers import ScoredTask, ScoringContext, score_task
from benchmarks.store import Generation, ResultsStore
from benchmarks.tasks.task import Task, get_task
from nextgpt.core.media import STORED_SUFFIX, encode_audio, encode_image, encode_video, read_media

Modality = Literal["image", "video", "audio"]
Verdict = Literal["monotonic", "invariant", "not monotonic"]
#: one medium (image (H, W, 3) uint8, video (F, H, W, 3) uint8, audio (T,) float32 at 16 kHz), strength, rng
MediumDegradation = Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
#: the whole output set in sample order, strength, seed
SetDegradation = Callable[[Sequence[np.ndarray], float, int], list[np.ndarray]]

SAMPLE_RATE = 16000
#: relative tolerance of a verdict: steps smaller than this share of the value scale count as no change
TOLERANCE = 1e-6
#: metrics where a smaller value is better; every other scored metric is "higher is better"
LOWER_IS_BETTER = frozenset({"fid", "kid", "fad", "mel_distance"})
#: task metrics that describe the model's signal tokens, not the quality of the medium
NOT_QUALITY = frozenset({"signal_rate", "signal_exact"})
#: the synthetic world's verifier metrics: robust to the mild degradations above by design (a verifier that
#: misread a slightly noisy image would be useless), so they have their own probes and strengths (VERIFIER_PROBES)
VERIFIED_METRICS = frozenset({"attribute_accuracy", *(spec.name for spec in PER_ATTRIBUTE_METRICS)})
#: verifier metrics of the edit tasks only (not probed: a mild degradation leaves the verifiers' readings, so the
#: edit's success, unchanged by design)
EDIT_VERIFIED_METRICS = frozenset({"edit_success"})
#: KID here is one "subset" of all samples: the unbiased MMD^2 of the full sets.  torch-fidelity's 100 random
#: subsets of 1000 reduce variance at large n; at this check's n they add subset noise larger than a mild
#: degradation's effect, and a permuted set gets other subsets (measured: 100 subsets of n/2 made KID "move" under
#: a pure permutation).
KID_SUBSETS = 1


# --------------------------------------------------------------------------------------------- degradations
def gaussian_noise(media: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """uint8 image or video + N(0, sigma^2) per pixel and channel (sigma on the 0-255 scale), rounded, clipped."""
    noise = rng.standard_normal(media.shape) * sigma
    return np.clip(np.rint(media.astype(np.float64) + noise), 0, 255).astype(np.uint8)


def gaussian_blur(image: np.ndarray, radius: float, rng: np.random.Generator) -> np.ndarray:
    """PIL Gaussian blur of the given radius (pixels of the 64 px render)."""
    if radius == 0:
        return image.copy()
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius)), dtype=np.uint8)


def colour_cast(image: np.ndarray, shift: float, rng: np.random.Generator) -> np.ndarray:
    """Channel shift: red + shift, blue - shift (0-255 scale), clipped -- a colour cast that also tints the
    white/black/gray backgrounds (a hue rotation would leave them unchanged and wrap the palette onto itself)."""
    shifted = image.astype(np.float64) + np.array([shift, 0.0, -shift])
    return np.clip(np.rint(shifted), 0, 255).astype(np.uint8)


def _nested_choice(count: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """The first ``round(fraction * count)`` positions (at least 2 when fraction > 0) of a random order.  The order
    depends on the rng only, so a larger fraction degrades a superset of the positions of a smaller one."""
    chosen = round(fraction * count)
    if fraction > 0:
        chosen = max(chosen, 2)
    return rng.permutation(count)[:min(chosen, count)]


def _rotate(items: Sequence[np.ndarray], positions: np.ndarray) -> list[np.ndarray]:
    """Each chosen position receives the item of the next chosen position: every chosen item moves."""
    out = list(items)
    for i, position in enumerate(positions):
        out[int(position)] = items[int(positions[(i + 1) % len(positions)])]
    return out


def shuffle_frames(video: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A share of the frames change places (each chosen frame goes where another chosen frame was)."""
    return np.stack(_rotate(list(video), _nested_choice(len(video), fraction, rng)))


def freeze_frames(video: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """The video stalls: the last ``round(fraction * (F - 1))`` frames repeat the frame before them (1: a still)."""
    frozen = round(fraction * (len(video) - 1))
    out = video.copy()
    if frozen:
        out[len(video) - frozen:] = video[len(video) - frozen - 1]
    return out


def white_noise(wave: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Additive white Gaussian noise of standard deviation ``std`` (the synthetic tones have amplitude 0.4)."""
    return (wave + rng.standard_normal(wave.shape) * std).astype(np.float32)


def low_pass(wave: np.ndarray, octaves: float, rng: np.random.Generator) -> np.ndarray:
    """8th-order Butterworth low-pass (zero phase) at ``LOW_PASS_TOP / 2**octaves`` Hz; 0 octaves: unfiltered."""
    if octaves == 0:
        return wave.copy()
    from scipy.signal import butter, sosfiltfilt

    sos = butter(8, LOW_PASS_TOP / 2**octaves, fs=SAMPLE_RATE, output="sos")
    return sosfiltfilt(sos, wave.astype(np.float64)).astype(np.float32)


#: low_pass's cutoff at 0 octaves: the synthetic tones span 110-1760 Hz, so cutoffs from here down bite
LOW_PASS_TOP = 3200.0


def pitch_shift(wave: np.ndarray, semitones: float, rng: np.random.Generator) -> np.ndarray:
    """Pitch up by ``semitones`` at the same duration: phase-vocoder time stretch, then FFT resampling back to the
    original length.  (torchaudio.functional.pitch_shift does the same but takes ~50 s per 2 s clip here: its
    polyphase resampler with a ratio of 2**(1/12) has an enormous kernel.)"""
    if semitones == 0:
        return wave.copy()
    import torchaudio.functional as audio_functional
    from scipy.signal import resample

    ratio, n_fft, hop = 2.0 ** (semitones / 12.0), 512, 128
    window = torch.hann_window(n_fft, dtype=torch.float64)
    spectrum = torch.stft(torch.from_numpy(wave.astype(np.float64)), n_fft, hop, window=window, return_complex=True)
    advance = torch.linspace(0, math.pi * hop, spectrum.shape[-2], dtype=torch.float64)[..., None]
    stretched = audio_functional.phase_vocoder(spectrum, 1.0 / ratio, advance)
    longer = torch.istft(stretched, n_fft, hop, window=window, length=round(len(wave) * ratio))
    return resample(longer.numpy(), len(wave)).astype(np.float32)


def per_sample(degrade: MediumDegradation) -> SetDegradation:
    """Lift a per-medium degradation to a set.  Sample ``i`` draws from ``rng(seed, i)`` whatever the strength
    (common random numbers), so strength is the only thing that changes between the rows of a sweep."""
    def apply(media: Sequence[np.ndarray], strength: float, seed: int) -> list[np.ndarray]:
        return [degrade(medium, strength, np.random.default_rng([seed, index])) for index, medium in enumerate(media)]

    return apply


def swap_prompts(media: Sequence[np.ndarray], fraction: float, seed: int) -> list[np.ndarray]:
    """A share of the samples get another sample's reference (the images of other prompts).  The set of media
    is unchanged -- only which prompt each belongs to -- so set metrics (FID, KID) cannot see it by definition."""
    return _rotate(media, _nested_choice(len(media), fraction, np.random.default_rng(seed)))


@dataclass(frozen=True)
class Degradation:
    name: str
    modality: Modality
    #: increasing strengths, the first 0 (no degradation)
    strengths: tuple[float, ...]
    #: what a strength means
    unit: str
    apply: SetDegradation


DEGRADATIONS: dict[tuple[Modality, str], Degradation] = {(d.modality, d.name): d for d in (
    Degradation("noise", "image", (0, 8, 16, 32, 64), "Gaussian sigma (0-255)", per_sample(gaussian_noise)),
    Degradation("blur", "image", (0, 0.5, 1, 2, 4), "Gaussian blur radius (px of 64)", per_sample(gaussian_blur)),
    Degradation("colour-cast", "image", (0, 16, 32, 64, 128), "channel shift s: R+s, B-s (0-255)",
                per_sample(colour_cast)),
    Degradation("swap", "image", (0, 0.25, 0.5, 1), "share of samples given another prompt's image", swap_prompts),
    Degradation("noise", "video", (0, 8, 16, 32, 64), "Gaussian sigma (0-255), every frame",
                per_sample(gaussian_noise)),
    Degradation("shuffle", "video", (0, 0.25, 0.5, 1), "share of frames moved to another frame's place",
                per_sample(shuffle_frames)),
    Degradation("freeze", "video", (0, 0.25, 0.5, 1), "share of frames frozen (1: a still of frame 0)",
                per_sample(freeze_frames)),
    Degradation("swap", "video", (0, 0.25, 0.5, 1), "share of samples given another prompt's video", swap_prompts),
    Degradation("noise", "audio", (0, 0.005, 0.02, 0.05, 0.2), "white noise std (tones peak at 0.4)",
                per_sample(white_noise)),
    Degradation("low-pass", "audio", (0, 1, 2, 3, 4), f"8th-order low-pass, octaves below {LOW_PASS_TOP:.0f} Hz",
                per_sample(low_pass)),
    Degradation("pitch-shift", "audio", (0, 0.5, 1, 2, 4), "semitones up (phase vocoder, same duration)",
                per_sample(pitch_shift)),
    # strong enough to defeat the synthetic world's verifiers (VERIFIER_PROBES): they read every reference right
    # up to about sigma 96 (images, videos) and white noise of std 0.2 (tones)
    Degradation("strong-noise", "image", (0, 112, 144, 192, 256), "Gaussian sigma (0-255)",
                per_sample(gaussian_noise)),
    Degradation("strong-noise", "video", (0, 128, 192, 224, 256), "Gaussian sigma (0-255), every frame",
                per_sample(gaussian_noise)),
    Degradation("strong-noise", "audio", (0, 0.5, 0.8, 1.2, 1.6), "white noise std (tones peak at 0.4)",
                per_sample(white_noise)),
)}


# ------------------------------------------------------------------------------------------------- probes
@dataclass(frozen=True)
class Probe:
    """A task whose outputs are replaced by degraded references."""

    task: str
    degradations: tuple[str, ...]
    #: samples per set, above the toy features' dims (FID's rank warning): 96 images for 64-d features, 24 videos =
    #: 192 frames, 32 clips = 64 VGGish examples for 16-d features (canonical networks: all rank-deficient)
    samples: int


#: the synthetic world drawn for every probe (its first ``Probe.samples`` samples are scored)
WORLD_SIZE = 96
IMAGE_DEGRADATIONS = ("noise", "blur", "colour-cast", "swap")
VIDEO_DEGRADATIONS = ("noise", "shuffle", "freeze", "swap")
AUDIO_DEGRADATIONS = ("noise", "low-pass", "pitch-shift")
PROBES: tuple[Probe, ...] = (
    Probe("t2i", IMAGE_DEGRADATIONS, 96), Probe("edit-image", IMAGE_DEGRADATIONS, 96),
    Probe("t2v", VIDEO_DEGRADATIONS, 24), Probe("edit-video", VIDEO_DEGRADATIONS, 24),
    Probe("t2a", AUDIO_DEGRADATIONS, 32), Probe("edit-audio", AUDIO_DEGRADATIONS, 32),
)


@dataclass(frozen=True)
class Expectation:
    """What the toy networks give: a verdict the test asserts, or None (measured and reported, not asserted)."""

    verdict: Verdict | None
    why: str = ""


_PERMUTED = Expectation("invariant", "the output set is a permutation of the reference set: a set metric cannot "
                                     "see which prompt an output belongs to (CLIP score is the metric that can)")
_FRAME_ORDER = Expectation("invariant", "pools or averages over frames: frame order is invisible by definition "
                                        "(only CLIP-I, which pairs frames, can see it)")
_TOY_CLIP = Expectation(None, "the toy CLIP's text and image encoders are random and unrelated, so any trend is "
                              "chance (about half the cosines are negative and clamped to 0); with an aligned "
                              "stand-in CLIP the same task path responds (second table)")
#: (task, metric, degradation) -> what the toy networks give; absent entries are expected (and asserted)
#: "monotonic".  Measured with seed 0 and the sample counts of PROBES.
EXPECTED: dict[tuple[str, str, str], Expectation] = {
    **{(task, metric, d): _TOY_CLIP for task, metric in (("t2i", "clip_score"), ("edit-image", "clip_t"))
       for d in IMAGE_DEGRADATIONS},
    **{(task, metric, d): _TOY_CLIP for task, metric in (("t2v", "clipsim"), ("edit-video", "clip_t"))
       for d in ("noise", "freeze", "swap")},
    **{(task, metric, "swap"): _PERMUTED for task in ("t2i", "edit-image", "t2v") for metric in ("fid", "kid")},
    **{(task, metric, "shuffle"): _FRAME_ORDER
       for task, metric in (("t2v", "fid"), ("t2v", "kid"), ("t2v", "clipsim"), ("edit-video", "clip_t"))},
    **{(task, "kid", "blur"): Expectation(None, "blur up to 1 px moves the toy features by ~1e-5 (FID); the "
                                                "unbiased MMD^2 first falls by ~1e-5 (also against an independent "
                                                "reference half), then rises")
       for task in ("t2i", "edit-image")},
    ("edit-image", "clip_i", "blur"): Expectation(None, "a 0.5 px blur moves CLIP-I by 2e-7, under the 1e-6 "
                                                        "resolution (the toy encoder averages a 32 px resize); "
                                                        "monotonic from 0.5 px on"),
    ("t2v", "kid", "freeze"): Expectation(None, "falls: frozen frames repeat earlier frames, i.e. copies of "
                                                "reference frames, which the unbiased MMD^2 rewards"),
}


#: the verifier metrics (attribute_accuracy and the per-attribute accuracies) of the text -> X tasks, against noise
#: that defeats the verifiers: attribute_accuracy must fall at every step (asserted); each attribute is reported
VERIFIER_PROBES: tuple[Probe, ...] = (
    Probe("t2i", ("strong-noise",), 96), Probe("t2v", ("strong-noise",), 48), Probe("t2a", ("strong-noise",), 48))
_ONE_ATTRIBUTE = Expectation(None, "one attribute: reported, not asserted (some hardly move: an image's background "
                                   "is the median of its border, a video's motion a line fitted to 4 to 8 centroids)")
VERIFIER_EXPECTED: dict[tuple[str, str, str], Expectation] = {
    (probe.task, spec.name, "strong-noise"): _ONE_ATTRIBUTE for probe in VERIFIER_PROBES
    for spec in PER_ATTRIBUTE_METRICS}


# -------------------------------------------------------------------------------- an aligned stand-in CLIP
def _pixel_arrays(images: object) -> list[np.ndarray]:
    """(H, W, 3) uint8 arrays from the image forms the CLIP metrics pass: a (N, 3, H, W) tensor batch, a
    (N, H, W, 3) numpy batch, or a sequence of (H, W, 3) arrays, (3, H, W) tensors or PIL images."""
    if isinstance(images, torch.Tensor):
        return list(images.cpu().numpy().transpose(0, 2, 3, 1))
    if isinstance(images, np.ndarray):
        return list(images)
    out = []
    for image in images:  # type: ignore[attr-defined]
        if isinstance(image, Image.Image):
            out.append(np.asarray(image.convert("RGB")))
        elif isinstance(image, torch.Tensor):
            out.append(image.cpu().numpy().transpose(1, 2, 0))
        else:
            out.append(np.asarray(image))
    return out


class ColourOracleCLIP(torch.nn.Module):
    """A CLIP stand-in that *is* aligned on the synthetic world, to tell a wiring bug from a toy network.

    The seeded toy CLIP has random, unrelated text and image encoders, so its CLIP score cannot fall when prompts
    get the wrong images.  Here a text embeds as the indicator of the palette colour words it names, and an image
    as the share of its pixels near each palette colour (Gaussian kernel, sigma ``SIGMA`` on the 0-255 scale):
    cos(image, prompt) is high exactly when the image shows the prompt's colour.  If a CLIP metric still does not
    fall when outputs are swapped between prompts, the task pairs prompts and images wrongly."""

    name = "colour-oracle-clip"
    weights_sha256 = None
    image_preprocessing = "none (palette-colour histogram of the pixels)"
    context_length = 77
    SIGMA = 30.0

    def __init__(self) -> None:
        super().__init__()
        from benchmarks.datasets.synthetic import COLOURS

        self.words = tuple(COLOURS)
        self.palette = np.array([COLOURS[w] for w in self.words], dtype=np.float64)

    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, list[bool]]:
        rows = [[float(word in text.lower().replace(",", " ").split()) for word in self.words] for text in texts]
        return torch.tensor(rows, dtype=torch.float64), [False] * len(texts)

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens

    def encode_image(self, images: object) -> torch.Tensor:
        rows = []
        for pixels in _pixel_arrays(images):
            distance2 = ((pixels.reshape(-1, 1, 3).astype(np.float64) - self.palette[None]) ** 2).sum(-1)
            rows.append(np.exp(-distance2 / (2 * self.SIGMA**2)).mean(0))
        return torch.from_numpy(np.stack(rows))


class OracleClipContext(ScoringContext):
    """The runner's ScoringContext with ColourOracleCLIP in the CLIP role (FID/FAD networks unchanged)."""

    def extractor(self, role: str) -> object:
        if role == "clip":
            return ColourOracleCLIP()
        return super().extractor(role)


#: the metrics the oracle checks, and where: swapping prompts must lower every CLIP metric of every task
CLIP_METRICS = frozenset({"clip_score", "clip_t", "clip_i", "clipsim"})
ORACLE_PROBES: tuple[Probe, ...] = (
    Probe("t2i", ("swap",), 32), Probe("edit-image", ("swap",), 32),
    Probe("t2v", ("swap", "noise"), 16), Probe("edit-video", ("swap",), 16),
)


# ---------------------------------------------------------------------------------------------- measuring
@dataclass(frozen=True)
class Trend:
    """One metric of one task along one degradation's strengths."""

    task: str
    metric: str
    modality: Modality
    degradation: str
    strengths: tuple[float, ...]
    values: tuple[float, ...]
    verdict: Verdict
    expected: Expectation

    @property
    def best_at_zero(self) -> bool:
        worse = _badness(self.values, self.metric)
        return bool(np.all(worse[1:] > worse[0]))

    @property
    def as_expected(self) -> bool:
        return self.expected.verdict is None or self.verdict == self.expected.verdict


def _badness(values: Sequence[float], metric: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    return array if metric in LOWER_IS_BETTER else -array


def verdict(values: Sequence[float], metric: str, tolerance: float = TOLERANCE) -> Verdict:
    """``monotonic`` / ``invariant`` / ``not monotonic`` (see the module docstring) of values ordered by strength."""
    worse = _badness(values, metric)
    scale = max(1.0, float(np.max(np.abs(worse))))
    if np.all(np.abs(worse - worse[0]) <= tolerance * scale):
        return "invariant"
    if np.all(np.diff(worse) > tolerance * scale):
        return "monotonic"
    return "not monotonic"


ContextFactory = Callable[[ScoredTask, Dataset, dict[tuple[str, int], Generation], ResultsStore, str, int, int],
                          ScoringContext]


def read_reference(sample: Sample, modality: Modality) -> np.ndarray:
    """The sample's target as the scorer reads it (the undegraded "output")."""
    target = next(f for f in sample.targets if f.modality == modality)
    return read_media(modality, target.path, sample_rate=SAMPLE_RATE)  # the check degrades 16 kHz references


def _encode(medium: np.ndarray, modality: Modality, audio_rate: int) -> bytes:
    """The bytes the runner stores for a generated medium (nextgpt.core.media)."""
    if modality == "image":
        return encode_image(Image.fromarray(medium))
    if modality == "video":
        return encode_video(medium)
    return encode_audio(medium, audio_rate)


def record_outputs(store: ResultsStore, task: Task, samples: Sequence[Sample], media: Sequence[np.ndarray],
                   label: str, audio_rate: int = SAMPLE_RATE) -> dict[tuple[str, int], Generation]:
    """Record ``media`` as one run's outputs of ``task`` (one complete signal run each, as an exact answer) and
    read them back the way the runner does before scoring.  Audio is written at ``audio_rate``."""
    modality = task.produced_modality
    assert modality is not None
    run_id, _ = store.start_or_resume(hashlib.sha256(label.encode()).hexdigest(), {"preset": "sensitivity"},
                                      {"tasks": [task.name], "sensitivity": label})
    for sample, medium in zip(samples, media, strict=True):
        stored = store.write_media(_encode(medium, modality, audio_rate), STORED_SUFFIX[modality], modality)
        key = hashlib.sha256(f"{label}\x00{sample.id}".encode()).hexdigest()
        store.record(run_id, Generation(key, task.name, sample.id, 0, 0, "", (stored,),
                                        ({"modality": modality, "status": "complete", "dropped": 0},), 0.0))
    return store.recorded(run_id, task.name)


def kid_of_outputs(context: ScoringContext, reference_cache: dict[str, np.ndarray]) -> float | None:
    """KID (library estimator, ``KID_SUBSETS`` subset of the size of the smaller set) between the context's stored
    outputs and the targets, with the task's image extractor; frames for videos.  None for audio tasks.  The
    targets' features are kept in ``reference_cache`` (they are the same at every strength)."""
    from metrics.kid import kernel_inception_distance

    modality = context.task.produced_modality
    if modality not in ("image", "video"):
        return None
    samples = context.samples()
    extractor = context.extractor("image")

    def features(media: list[np.ndarray]) -> np.ndarray:
        frames = np.stack(media) if modality == "image" else np.concatenate(media)
        return extractor.extract(torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()).numpy()

    key = f"{extractor.identity.name}/{extractor.identity.weights_sha256}/{context.task.name}/" + \
        hashlib.sha256("\n".join(s.id for s in samples).encode()).hexdigest()
    if key not in reference_cache:
        reference_cache[key] = features([read_reference(s, modality) for s in samples])
    generated, reference = features([context.media(s, modality) for s in samples]), reference_cache[key]
    size = min(len(generated), len(reference))
    return kernel_inception_distance(generated, reference, subsets=KID_SUBSETS, subset_size=size).kid_mean.value


def score_sweep_point(store: ResultsStore, task: Task, dataset: Dataset, media: Sequence[np.ndarray], label: str,
                      extractors: str, seed: int, context_factory: ContextFactory = ScoringContext,
                      metrics: frozenset[str] | None = None, reference_cache: dict[str, np.ndarray] | None = None
                      ) -> dict[str, float]:
    """Quality metrics (``metrics``, default all but VERIFIED_METRICS) of one degraded output set, scored through
    the task path (no bootstrap; only the wanted metrics are computed), plus KID beside a task's FID."""
    outputs = record_outputs(store, task, dataset.samples, media, label)
    scoring = task.scoring()
    unprobed = VERIFIED_METRICS | EDIT_VERIFIED_METRICS
    wanted = tuple(m for m in scoring.metrics if (m not in unprobed if metrics is None else
                                                  m in metrics or (m == "fid" and "kid" in metrics)))
    context = context_factory(replace(scoring, metrics=wanted), dataset, outputs, store, extractors, 0, seed)
    values = score_task(context).metrics
    scores = {v.metric: float(v.value) for v in values if v.metric not in NOT_QUALITY and v.value is not None}
    if "fid" in scores and (metrics is None or "kid" in metrics):
        kid = kid_of_outputs(context, {} if reference_cache is None else reference_cache)
        if kid is not None:
            scores["kid"] = kid
    return {m: v for m, v in scores.items() if metrics is None or m in metrics}


def sweep(probe: Probe, store: ResultsStore, *, extractors: str = "toy", seed: int = 0,
          cache_dir: Path | None = None, context_factory: ContextFactory = ScoringContext,
          samples: int | None = None, metrics: frozenset[str] | None = None,
          expected: dict[tuple[str, str, str], Expectation] | None = None, world: int | None = None
          ) -> list[Trend]:
    """Every degradation of ``probe`` at every strength -> one Trend per (metric, degradation).  ``seed`` drives
    the degradations' randomness and the scorer; ``expected`` defaults to ``EXPECTED`` (absent entries:
    ``monotonic``); ``world`` is the synthetic world's size."""
    expected = EXPECTED if expected is None else expected
    task = get_task(probe.task)
    modality = task.produced_modality
    assert modality in ("image", "video", "audio"), f"{task.name} does not produce a medium"
    count = samples or probe.samples
    # The runner resolves the family with --limit (world seed 0); one world of ``world`` samples serves every probe
    # (sample i is the same scene whatever the world's size).
    dataset = resolve_dataset(task.family, None, limit=max(world or 0, count), cache_dir=cache_dir).limit(count)
    references = [read_reference(s, modality) for s in dataset.samples]
    reference_cache: dict[str, np.ndarray] = {}
    trends: list[Trend] = []
    for name in probe.degradations:
        degradation = DEGRADATIONS[(modality, name)]
        label = f"{context_factory.__name__}/{extractors}/{task.name}/{name}/{seed}/{count}"
        rows = [score_sweep_point(store, task, dataset, degradation.apply(references, strength, seed),
                                  f"{label}/{strength}", extractors, seed, context_factory, metrics,
                                  reference_cache)
                for strength in degradation.strengths]
        for metric in rows[0]:
            if any(metric not in row for row in rows):
                raise RuntimeError(f"{task.name}: {metric} has no value at some strength of {name}: "
                                   f"{[row.get(metric) for row in rows]}")
            values = tuple(row[metric] for row in rows)
            trends.append(Trend(task.name, metric, modality, name, degradation.strengths, values,
                                verdict(values, metric),
                                expected.get((task.name, metric, name), Expectation("monotonic"))))
    return trends


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the block with ``count`` torch threads (None: unchanged).  On the shared 2-core machines torch's
    thread pool spin-waits against other processes: one thread made this check 15x faster (log-mel of a 2 s clip:
    45 ms -> 3 ms) under load."""
    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def measure(probes: Sequence[Probe] = PROBES, *, extractors: str = "toy", seed: int = 0,
            cache_dir: Path | None = None, context_factory: ContextFactory = ScoringContext,
            samples: int | None = None, metrics: frozenset[str] | None = None,
            expected: dict[tuple[str, str, str], Expectation] | None = None, threads: int | None = 1
            ) -> list[Trend]:
    """The sensitivity table: every probe, in a throw-away results store.  ``samples`` overrides each probe's
    sample count; ``cache_dir`` is where the synthetic world is written (default: the benchmark cache);
    ``context_factory`` builds the ScoringContext (the runner's by default); ``metrics`` keeps only some metrics."""
    with tempfile.TemporaryDirectory(prefix="nextgpt-sensitivity-") as folder, torch_threads(threads):
        store = ResultsStore(folder)
        try:
            return [trend for probe in probes for trend in sweep(
                probe, store, extractors=extractors, seed=seed, cache_dir=cache_dir,
                context_factory=context_factory, samples=samples, metrics=metrics, expected=expected,
                world=WORLD_SIZE)]
        finally:
            store.close()


def measure_oracle_clip(*, seed: int = 0, cache_dir: Path | None = None, samples: int | None = None
                        ) -> list[Trend]:
    """``ORACLE_PROBES`` with ColourOracleCLIP: every CLIP metric must be ``monotonic``."""
    return measure(ORACLE_PROBES, seed=seed, cache_dir=cache_dir, context_factory=OracleClipContext,
                   samples=samples, metrics=CLIP_METRICS, expected={})


def measure_verifiers(*, seed: int = 0, cache_dir: Path | None = None, samples: int | None = None
                      ) -> list[Trend]:
    """``VERIFIER_PROBES``: the verifier metrics against strong noise (attribute_accuracy must be ``monotonic``)."""
    return measure(VERIFIER_PROBES, seed=seed, cache_dir=cache_dir, samples=samples, metrics=VERIFIED_METRICS,
                   expected=VERIFIER_EXPECTED)


def unexpected(trends: Sequence[Trend]) -> list[Trend]:
    """Trends whose verdict is not the asserted one (entries expected ``monotonic`` or ``invariant``)."""
    return [t for t in trends if not t.as_expected]


def missing_canonical_weights() -> list[str]:
    """File names of the canonical networks' weights (the ``canonical`` extractor set the runner uses) that are
    in none of the folders metrics.weights searches; empty when ``extractors="canonical"`` can run."""
    from benchmarks.scoring.scorers import EXTRACTOR_SETS
    from metrics.extractors.registry import extractor_spec
    from metrics.weights import candidate_paths

    missing = []
    for name in EXTRACTOR_SETS["canonical"].values():
        spec = extractor_spec(name).weights
        paths = candidate_paths(spec) if spec is not None else []
        if spec is not None and not any(path.is_file() for path in paths):
            missing.append(f"{spec.file_name} ({name}; looked in {', '.join(str(p.parent) for p in paths)})")
    return missing


# ------------------------------------------------------------------------------------------------ report
def _number(value: float) -> str:
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2e}"


def degradations_table(trends: Sequence[Trend]) -> str:
    """The degradations the trends use: modality, name, strengths and what a strength means."""
    used = dict.fromkeys((t.modality, t.degradation) for t in trends)
    lines = ["| modality | degradation | strengths | strength is |", "|---|---|---|---|"]
    for key in used:
        d = DEGRADATIONS[key]
        lines.append(f"| {d.modality} | {d.name} | {', '.join(f'{s:g}' for s in d.strengths)} | {d.unit} |")
    return "\n".join(lines)


def markdown_table(trends: Sequence[Trend]) -> str:
    """One row per trend: values by strength, the verdict, what the test asserts; reasons as numbered notes."""
    notes: dict[str, int] = {}
    lines = ["| task | metric | degradation | values by strength | verdict | test asserts |",
             "|---|---|---|---|---|---|"]
    for t in trends:
        asserted = t.expected.verdict or "nothing"
        if t.expected.why:
            asserted += f" [{notes.setdefault(t.expected.why, len(notes) + 1)}]"
        verdict = t.verdict if t.as_expected else f"**{t.verdict} (unexpected)**"
        arrow = "↓" if t.metric in LOWER_IS_BETTER else "↑"
        lines.append(f"| {t.task} | {t.metric} {arrow} | {t.degradation} | "
                     f"{', '.join(_number(v) for v in t.values)} | {verdict} | {asserted} |")
    lines += ["", *(f"{number}. {why}" for why, number in notes.items())] if notes else []
    return "\n".join(lines)


def _plain_lines(trends: Sequence[Trend]) -> str:
    return "\n".join(f"{t.task:11s} {t.metric:13s} {t.degradation:12s} {t.verdict:14s} "
                     f"{' '.join(_number(v) for v in t.values)}{'' if t.as_expected else '  UNEXPECTED'}"
                     for t in trends)


def _print_verifier_table(seed: int, samples: int | None, markdown: bool, started: float) -> int:
    trends = measure_verifiers(seed=seed, samples=samples)
    if markdown:
        print(degradations_table(trends) + "\n")
    print((markdown_table if markdown else _plain_lines)(trends))
    bad = unexpected(trends)
    print(f"\n{len(trends)} trends, {len(bad)} unexpected, {time.perf_counter() - started:.0f} s (seed {seed})",
          file=sys.stderr)
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the table (``--markdown``: as in metrics/README.md); exit 1 on an unexpected verdict."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sensitivity", description=__doc__.split("\n")[0])
    parser.add_argument("--extractors", choices=("toy", "canonical"), default="toy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=None, help="override every probe's sample count")
    parser.add_argument("--tasks", default=None, help="comma-separated subset of " + ",".join(p.task for p in PROBES))
    parser.add_argument("--no-oracle", action="store_true", help="skip the aligned stand-in CLIP table")
    parser.add_argument("--markdown", action="store_true", help="print the README tables")
    parser.add_argument("--verifiers", action="store_true",
                        help="only the synthetic world's verifier metrics against strong noise (docs/verifiers.md)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    wanted = set(args.tasks.split(",")) if args.tasks else None
    started = time.perf_counter()
    if args.verifiers:
        return _print_verifier_table(args.seed, args.samples, args.markdown, started)
    trends = measure([p for p in PROBES if wanted is None or p.task in wanted], extractors=args.extractors,
                     seed=args.seed, samples=args.samples, threads=1 if args.extractors == "toy" else None)
    oracle = [] if args.no_oracle else [t for t in measure_oracle_clip(seed=args.seed, samples=args.samples)
                                        if wanted is None or t.task in wanted]
    show = markdown_table if args.markdown else _plain_lines
    if args.markdown:
        print(degradations_table([*trends, *oracle]) + "\n")
    print(show(trends))
    if oracle:
        print(f"\nCLIP metrics with {ColourOracleCLIP.name} (aligned stand-in):\n")
        print(show(oracle))
    bad = unexpected([*trends, *oracle])
    print(f"\n{len(trends) + len(oracle)} trends, {len(bad)} unexpected, {time.perf_counter() - started:.0f} s "
          f"({args.extractors} networks, seed {args.seed})", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
