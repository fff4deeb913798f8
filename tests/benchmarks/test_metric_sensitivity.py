"""Every set metric responds to quality through the task path (benchmarks/sensitivity.py; table in
metrics/README.md, "Sensitivity").  The toy-network table runs once per module (~60 s of one core): its tests
and the aligned-CLIP table's are end-to-end checks (marker e2e: left out of `pytest -q`, CI runs -m e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import sensitivity as s
from benchmarks.datasets.registry import resolve_dataset
from benchmarks.datasets.samples import Sample
from benchmarks.scoring.scorers import ScoringContext, score_task
from benchmarks.store import ResultsStore
from benchmarks.tasks.task import get_task
from nextgpt.core.errors import MediaError
from nextgpt.core.media import encode_video, read_video

#: every quality metric the harness scores on a produced medium, per task (KID computed beside the FID)
SET_METRICS = {"t2i": {"fid", "kid", "clip_score"}, "edit-image": {"fid", "kid", "clip_t", "clip_i"},
               "t2v": {"fid", "kid", "clipsim"}, "edit-video": {"clip_t", "clip_i"}, "t2a": {"fad"},
               "edit-audio": {"fad", "mel_distance"}}
#: text-image CLIP metrics: random with the toy CLIP, checked with the aligned stand-in
TEXT_CLIP = {"clip_score", "clip_t", "clipsim"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("world")


@pytest.fixture(scope="module")
def table(world: Path) -> list[s.Trend]:
    return s.measure(cache_dir=world)


@pytest.fixture(scope="module")
def oracle_table(world: Path) -> list[s.Trend]:
    return s.measure_oracle_clip(cache_dir=world)


def _describe(trends: list[s.Trend]) -> str:
    return "\n".join(f"{t.task} {t.metric} {t.degradation}: {t.verdict} (expected {t.expected.verdict}) "
                     f"{[float(f'{v:.6g}') for v in t.values]}" for t in trends)


# ------------------------------------------------------------------------------------------- the table
@pytest.mark.slow
@pytest.mark.e2e
def test_table_covers_every_set_metric_and_degradation(table: list[s.Trend]) -> None:
    measured = {(t.task, t.metric, t.degradation) for t in table}
    wanted = {(p.task, m, d) for p in s.PROBES for m in SET_METRICS[p.task] for d in p.degradations}
    assert measured == wanted
    assert all(len(t.strengths) >= 4 and t.strengths[0] == 0 for t in table)


@pytest.mark.slow
@pytest.mark.e2e
def test_each_metric_moves_as_the_table_says(table: list[s.Trend]) -> None:
    assert not s.unexpected(table), _describe(s.unexpected(table))
    assert all(t.best_at_zero for t in table if t.expected.verdict == "monotonic")


@pytest.mark.slow
@pytest.mark.e2e
def test_every_set_metric_responds_to_some_degradation(table: list[s.Trend]) -> None:
    """The claim of the check, per task and metric.  The text-image CLIP metrics cannot respond with the random
    toy CLIP: the aligned stand-in covers them (test below)."""
    for task, metrics in SET_METRICS.items():
        for metric in metrics - TEXT_CLIP:
            asserted = {t.degradation for t in table if (t.task, t.metric) == (task, metric)
                        and t.expected.verdict == "monotonic"}
            assert asserted, (task, metric)


@pytest.mark.slow
@pytest.mark.e2e
def test_every_degradation_moves_some_metric_of_its_task(table: list[s.Trend]) -> None:
    """Except where no toy metric can see the degradation: swapping outputs between prompts of a text -> X task
    (only CLIP score / CLIPSIM could, FID and KID cannot by definition, and the toy CLIP is not aligned: the
    stand-in CLIP covers them), and shuffling the frames of t2v (FID over frames and CLIPSIM are blind to frame
    order by definition: t2v has no temporal metric; edit-video's frame-paired CLIP-I sees it)."""
    blind = {("t2i", "swap"), ("t2v", "swap"), ("t2v", "shuffle")}
    for probe in s.PROBES:
        for degradation in probe.degradations:
            verdicts = {t.verdict for t in table if (t.task, t.degradation) == (probe.task, degradation)}
            assert ("monotonic" in verdicts) != ((probe.task, degradation) in blind), (
                probe.task, degradation, verdicts)


@pytest.mark.slow
@pytest.mark.e2e
def test_clip_metrics_fall_when_prompts_get_other_outputs_with_an_aligned_clip(oracle_table: list[s.Trend]) -> None:
    """The toy CLIP cannot align text and images; the stand-in can, so this is the wiring check of CLIP score,
    CLIP-T, CLIP-I and CLIPSIM: each falls as more outputs belong to other prompts."""
    assert {(t.task, t.metric) for t in oracle_table if t.degradation == "swap"} == {
        ("t2i", "clip_score"), ("edit-image", "clip_t"), ("edit-image", "clip_i"), ("t2v", "clipsim"),
        ("edit-video", "clip_t"), ("edit-video", "clip_i")}
    assert all(t.verdict == "monotonic" for t in oracle_table), _describe(oracle_table)
    assert all(t.values[0] > 95 for t in oracle_table if t.metric != "clip_i")


# ------------------------------------------------------------------------------------- the check can fail
class ReferenceAsOutput(ScoringContext):
    """Miswired on purpose: the sample's target is scored as its output (the reference set as generated set)."""

    def media(self, sample: Sample, modality: str) -> Any:
        return s.read_reference(sample, modality)  # type: ignore[arg-type]


class OutputOfNextSample(s.OracleClipContext):
    """Miswired on purpose: each prompt is scored with the next sample's output."""

    def media(self, sample: Sample, modality: str) -> Any:
        samples = self.samples()
        return super().media(samples[(samples.index(sample) + 1) % len(samples)], modality)


def test_a_scorer_fed_the_reference_set_fails_the_check(world: Path) -> None:
    probes = [s.Probe("t2i", ("noise",), 96), s.Probe("t2a", ("noise",), 32)]
    trends = s.measure(probes, cache_dir=world, context_factory=ReferenceAsOutput)
    assert {t.verdict for t in trends} == {"invariant"}
    assert {(t.task, t.metric) for t in s.unexpected(trends)} == {("t2i", "fid"), ("t2i", "kid"), ("t2a", "fad")}


def test_a_scorer_pairing_prompts_with_other_outputs_fails_the_check(world: Path) -> None:
    trends = s.measure([s.Probe("t2i", ("swap",), 32)], cache_dir=world, context_factory=OutputOfNextSample,
                       metrics=s.CLIP_METRICS, expected={})
    assert [t.metric for t in s.unexpected(trends)] == ["clip_score"], _describe(trends)


# ------------------------------------------------------------------------------------------------ verdicts
@pytest.mark.parametrize(("values", "metric", "expected"), [
    ((0.0, 0.1, 0.5, 2.0), "fid", "monotonic"),
    ((30.0, 29.0, 25.0, 10.0), "clip_score", "monotonic"),
    ((30.0, 31.0, 35.0, 40.0), "clip_score", "not monotonic"),  # rises: the wrong direction
    ((0.0, 0.1, 0.1, 2.0), "fad", "not monotonic"),  # a flat step is no response
    ((0.0, 0.2, 0.1, 2.0), "mel_distance", "not monotonic"),
    ((1e-10, 3e-10, 0.0, 2e-10), "fid", "invariant"),  # float noise around 0
    ((5.0, 5.0, 5.0, 5.0), "clipsim", "invariant"),
])
def test_verdict(values: tuple[float, ...], metric: str, expected: str) -> None:
    assert s.verdict(values, metric) == expected


# ------------------------------------------------------------------------------------------- degradations
def _image() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)


def _video() -> np.ndarray:
    return np.stack([np.full((4, 4, 3), i, dtype=np.uint8) for i in range(8)])


def _tone(hertz: float = 440.0) -> np.ndarray:
    t = np.arange(s.SAMPLE_RATE) / s.SAMPLE_RATE
    return (0.4 * np.sin(2 * np.pi * hertz * t)).astype(np.float32)


def _peak_hertz(wave: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return float(np.fft.rfftfreq(len(wave), 1 / s.SAMPLE_RATE)[np.argmax(spectrum)])


@pytest.mark.parametrize("key", sorted(s.DEGRADATIONS))
def test_strength_zero_leaves_the_references_unchanged(key: tuple[str, str]) -> None:
    medium = {"image": _image(), "video": _video(), "audio": _tone()}[key[0]]
    degradation = s.DEGRADATIONS[key]
    assert degradation.strengths[0] == 0 and list(degradation.strengths) == sorted(degradation.strengths)
    assert len(degradation.strengths) >= 4
    out = degradation.apply([medium, medium + 1], 0, 0)
    assert np.array_equal(out[0], medium) and np.array_equal(out[1], medium + 1)


def test_swap_gives_each_chosen_sample_another_sample_and_grows_the_chosen_set() -> None:
    media = [np.full((2, 2, 3), i, dtype=np.uint8) for i in range(8)]
    moved = [{i for i, m in enumerate(s.swap_prompts(media, f, 0)) if m[0, 0, 0] != i} for f in (0.25, 0.5, 1)]
    assert [len(m) for m in moved] == [2, 4, 8] and moved[0] <= moved[1] <= moved[2]
    assert sorted(int(m[0, 0, 0]) for m in s.swap_prompts(media, 1, 0)) == list(range(8))  # same set


def test_frame_shuffle_and_freeze() -> None:
    video, rng = _video(), np.random.default_rng(0)
    shuffled = s.shuffle_frames(video, 0.5, rng)
    assert sorted(shuffled[:, 0, 0, 0]) == list(range(8)) and (shuffled[:, 0, 0, 0] != range(8)).sum() == 4
    assert list(s.freeze_frames(video, 0.5, rng)[:, 0, 0, 0]) == [0, 1, 2, 3, 3, 3, 3, 3]
    assert list(s.freeze_frames(video, 1, rng)[:, 0, 0, 0]) == [0] * 8


def test_pitch_shift_moves_the_tone_and_keeps_the_duration() -> None:
    shifted = s.pitch_shift(_tone(440.0), 4, np.random.default_rng(0))
    assert len(shifted) == s.SAMPLE_RATE
    assert _peak_hertz(shifted) == pytest.approx(440.0 * 2 ** (4 / 12), abs=3.0)


def test_low_pass_removes_what_lies_above_the_cutoff() -> None:
    rng = np.random.default_rng(0)
    cutoff = s.LOW_PASS_TOP / 2**2
    below, above = s.low_pass(_tone(cutoff / 2), 2, rng), s.low_pass(_tone(cutoff * 2), 2, rng)
    assert np.std(below) == pytest.approx(np.std(_tone()), rel=0.02) and np.std(above) < 0.01 * np.std(_tone())


def test_noise_and_colour_cast_stay_uint8_and_grow_with_strength() -> None:
    image = _image()
    distances = [np.abs(s.gaussian_noise(image, sigma, np.random.default_rng(1)).astype(int) - image).mean()
                 for sigma in (0, 8, 32)]
    assert distances[0] == 0 < distances[1] < distances[2]
    cast = s.colour_cast(np.full((1, 1, 3), 100, dtype=np.uint8), 50, np.random.default_rng(0))
    assert cast.dtype == np.uint8 and cast[0, 0].tolist() == [150, 100, 50]


# --------------------------------------------------------------------------------- wiring found by the check
def test_audio_that_is_not_16_khz_is_refused_not_scored_as_16_khz(world: Path, tmp_path: Path) -> None:
    """Found by this check: the scorer dropped the stored rate, so a correctly labelled 32 kHz copy of each
    reference scored FAD 0.82 and mel_distance 3.0 against itself.  Now it is an error naming the file."""
    from scipy.signal import resample_poly

    task = get_task("edit-audio")
    dataset = resolve_dataset(task.family, None, limit=s.WORLD_SIZE, cache_dir=world).limit(4)
    media = [resample_poly(s.read_reference(x, "audio"), 2, 1).astype(np.float32) for x in dataset.samples]
    store = ResultsStore(tmp_path)
    outputs = s.record_outputs(store, task, dataset.samples, media, "32 kHz", audio_rate=32000)
    with pytest.raises(MediaError, match="32000 Hz"):
        score_task(ScoringContext(task.scoring(), dataset, outputs, store, "toy", 0, 0))
    store.close()


def test_a_stored_video_keeps_every_frame(tmp_path: Path) -> None:
    """Found by this check: Pillow merges identical consecutive frames of an animated PNG, so a frozen tail was
    stored as fewer frames (a still as one) and frame-paired CLIP-I compared the wrong frames."""
    frames = np.random.default_rng(0).integers(0, 256, (8, 8, 8, 3), dtype=np.uint8)
    for video in (s.freeze_frames(frames, 0.5, np.random.default_rng(0)), np.repeat(frames[:1], 8, axis=0)):
        path = tmp_path / "video.apng"
        path.write_bytes(encode_video(video))
        assert np.array_equal(read_video(path), video)


# ------------------------------------------------------------------------------------- canonical networks
@pytest.mark.slow
def test_canonical_networks_respond_as_the_toy_table_says(world: Path) -> None:
    missing = s.missing_canonical_weights()
    if missing:
        pytest.skip("canonical sensitivity needs the weights file(s) " + "; ".join(missing))
    trends = s.measure(extractors="canonical", cache_dir=world, threads=None)
    others = [t for t in trends if t.metric not in TEXT_CLIP]  # unasserted with the toy CLIP; swaps below
    assert not s.unexpected(others), _describe(s.unexpected(others))
    swaps = [t for t in trends if t.degradation == "swap" and t.metric in TEXT_CLIP]
    assert all(t.verdict == "monotonic" for t in swaps), _describe(swaps)
