"""The synthetic world's verifiers (benchmarks/datasets/verifiers): their readings, their validation on the
world's own references (docs/verifiers.md, README "Verifying generated media"), and their errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFilter

from benchmarks import sensitivity as s
from benchmarks.datasets.samples import Sample
from benchmarks.datasets.synthetic import (
    COLOURS,
    MOTIONS,
    PATTERNS,
    PITCHES,
    POSITIONS,
    SHAPES,
    SIZES,
    Scene,
    Tone,
    draw_scene,
    render_tone,
    render_video,
)
from benchmarks.datasets.verifiers import (
    AUDIO_ATTRIBUTES,
    IMAGE_ATTRIBUTES,
    NONE,
    VERIFIED_ATTRIBUTES,
    VIDEO_ATTRIBUTES,
    read_audio,
    read_image,
    read_video,
)
from benchmarks.datasets.verifiers import validation as v
from benchmarks.scoring.scorers import ScoringContext
from nextgpt.core.errors import MediaError

ROOT = Path(__file__).resolve().parents[2]


def _scene(**changes: str) -> Scene:
    base = {"colour": "red", "shape": "circle", "position": "center", "size": "large", "background": "white",
            "motion": "right"}
    return Scene(**{**base, **changes})


def _image_truth(scene: Scene) -> dict[str, str]:
    return {a: getattr(scene, a) for a in IMAGE_ATTRIBUTES}


# ------------------------------------------------------------------------------------------------ readings
def test_the_attribute_lists_are_the_interface() -> None:
    assert IMAGE_ATTRIBUTES == ("colour", "shape", "size", "position", "background")
    assert VIDEO_ATTRIBUTES == ("colour", "shape", "background", "motion")
    assert AUDIO_ATTRIBUTES == ("pitch", "pattern")
    assert VERIFIED_ATTRIBUTES == {"image": IMAGE_ATTRIBUTES, "video": VIDEO_ATTRIBUTES, "audio": AUDIO_ATTRIBUTES}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("size", SIZES)
def test_every_shape_and_size_is_read_on_every_background(shape: str, size: str) -> None:
    for colour, position, background in zip(COLOURS, [*POSITIONS, "center"], ["white", "black", "gray"] * 2,
                                            strict=True):
        scene = _scene(colour=colour, shape=shape, size=size, position=position, background=background)
        assert read_image(np.asarray(draw_scene(scene))) == _image_truth(scene)


def test_an_image_is_read_at_the_sizes_models_write_and_when_blurred() -> None:
    scene = _scene(colour="purple", shape="triangle", size="small", position="top right", background="gray")
    picture = draw_scene(scene)
    for size in (32, 48, 512):
        assert read_image(np.asarray(picture.resize((size, size), Image.Resampling.BILINEAR))) == _image_truth(scene)
    assert read_image(np.asarray(picture.filter(ImageFilter.GaussianBlur(2)))) == _image_truth(scene)
    assert read_image(np.asarray(picture).astype(np.float32)) == _image_truth(scene)  # 0-255 floats


def test_a_blank_image_has_a_background_and_nothing_else() -> None:
    blank = np.zeros((64, 64, 3), dtype=np.uint8)
    assert read_image(blank) == {"colour": NONE, "shape": NONE, "size": NONE, "position": NONE,
                                 "background": "black"}
    speck = np.full((64, 64, 3), 255, dtype=np.uint8)
    speck[30:32, 30:32] = COLOURS["red"]  # 4 pixels: too small to be a drawn shape
    assert read_image(speck)["shape"] == NONE


def test_random_pixels_are_not_read_as_a_scene() -> None:
    """An untrained decoder's noise must not score by chance: object colours scattered everywhere are no shape."""
    rng = np.random.default_rng(0)
    shapes = [read_image(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))["shape"]
              for size in (32, 64) for _ in range(15)]
    assert shapes.count(NONE) >= 28


@pytest.mark.parametrize("motion", MOTIONS)
def test_every_motion_is_read_from_the_centroid_track(motion: str) -> None:
    scene = _scene(motion=motion, shape="square", colour="green", background="black", size="small")
    frames = render_video(scene)
    expected = {"colour": "green", "shape": "square", "background": "black", "motion": motion}
    assert read_video(frames) == expected
    assert read_video(frames[[0, 2, 5, 7]]) == expected  # 4 frames, as the tiny decoders write


def test_a_still_or_empty_video_has_no_motion() -> None:
    still = np.stack([np.asarray(draw_scene(_scene()))] * 4)
    assert read_video(still)["motion"] == NONE
    assert read_video(np.zeros((4, 32, 32, 3), dtype=np.uint8)) == {
        "colour": NONE, "shape": NONE, "background": "black", "motion": NONE}


@pytest.mark.parametrize("pitch", PITCHES)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_tone_is_read_whole_and_cut_to_the_tiny_decoders_length(pitch: str, pattern: str) -> None:
    wave = render_tone(Tone(pitch, pattern))
    assert read_audio(wave, 16000) == {"pitch": pitch, "pattern": pattern}
    assert read_audio(wave[:16384], 16000) == {"pitch": pitch, "pattern": pattern}


def test_silence_and_noise_have_no_pitch_and_another_sample_rate_is_read_as_such() -> None:
    assert read_audio(np.zeros(16000, dtype=np.float32), 16000) == {"pitch": NONE, "pattern": NONE}
    hiss = np.random.default_rng(0).standard_normal(16384).astype(np.float32) * 0.3  # an untrained decoder's
    assert read_audio(hiss, 16000) == {"pitch": NONE, "pattern": NONE}
    t = np.arange(22050) / 22050
    assert read_audio((0.3 * np.sin(2 * np.pi * 880 * t)).astype(np.float32), 22050) == {
        "pitch": "high", "pattern": "steady"}


@pytest.mark.parametrize("call, message", [
    (lambda: read_image(np.zeros((64, 64), dtype=np.uint8)), r"image: expected an \(H, W, 3\) RGB array"),
    (lambda: read_image(np.zeros((8, 64, 3), dtype=np.uint8)), "too small to read; expected at least 16x16"),
    (lambda: read_video(np.zeros((1, 32, 32, 3), dtype=np.uint8)), "at least 2 frames"),
    (lambda: read_video(np.zeros((4, 32, 32), dtype=np.uint8)), r"\(F, H, W, 3\)"),
    (lambda: read_audio(np.zeros((2, 16000)), 16000), "mono samples"),
    (lambda: read_audio(np.zeros(4000), 16000), "0.250 s is too short to read; expected at least 0.5 s"),
    (lambda: read_audio(np.zeros(16000), 0), "sample rate 0 is not a positive whole number"),
])
def test_unreadable_input_is_refused_with_what_was_expected(call: object, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        call()  # type: ignore[operator]


# ---------------------------------------------------------------------------------------------- validation
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("world")


def test_a_few_references_are_read_right_in_every_variant(world: Path) -> None:
    results = v.validate(24, cache_dir=world)
    assert {(r.modality, r.variant) for r in results} == {(x.modality, x.label) for x in v.VARIANTS}
    assert not v.failing(results), v.misreadings(results)


def test_the_validation_fails_a_verifier_that_misreads(world: Path) -> None:
    """The check can fail: a reader that always answers "circle" is right on about a third of the scenes."""
    def circles(image: np.ndarray) -> dict[str, str]:
        return {**read_image(image), "shape": "circle"}

    variants = [x for x in v.VARIANTS if x.modality == "image"][:1]
    results = v.validate(24, cache_dir=world, variants=variants, readers={"image": circles})
    assert [(r.attribute, round(r.accuracy, 2)) for r in v.failing(results)] == [("shape", 0.33)]
    assert "triangle read as circle" in v.misreadings(results)
    assert "| shape (true \\ read) | circle | square | triangle |" in v.confusion_table(results[1])
    assert v.readme_confusions(results).startswith("**image shape, 64 px (world), n=24**\n\n| shape (true \\ read)")


#: the validation proper (every variant of 300 scenes) and the noise table are end-to-end checks of a minute or more
#: each (marker e2e: left out of `pytest -q`, run by CI with -m e2e); the small runs above check the same code paths
@pytest.fixture(scope="module")
def validation(world: Path) -> list[v.AttributeValidation]:
    return v.validate(cache_dir=world)


@pytest.mark.slow
@pytest.mark.e2e
def test_every_attribute_reaches_98_percent_on_every_variant(validation: list[v.AttributeValidation]) -> None:
    assert v.SCENES >= 300 and all(r.n == v.SCENES for r in validation)
    assert not v.failing(validation), v.misreadings(validation)


@pytest.mark.slow
@pytest.mark.e2e
def test_the_readme_and_docs_show_the_measured_tables(validation: list[v.AttributeValidation]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Verifying generated media (synthetic world)", 1)[1].split("\n## ", 1)[0]
    assert v.readme_block(validation) in section and v.readme_confusions(validation) in section
    docs = (ROOT / "docs" / "verifiers.md").read_text(encoding="utf-8")
    assert v.readme_block(validation) in docs and v.confusion_tables(validation) in docs


# -------------------------------------------------------------------------------------------- against noise
class ReferenceAsOutput(ScoringContext):
    """Miswired on purpose: the sample's target is scored as its output, so no degradation can reach the score."""

    def media(self, sample: Sample, modality: str) -> Any:
        return s.read_reference(sample, modality)  # type: ignore[arg-type]


def test_the_noise_check_fails_a_scorer_that_does_not_read_the_outputs(world: Path) -> None:
    trends = s.measure([s.Probe("t2a", ("strong-noise",), 8)], cache_dir=world, context_factory=ReferenceAsOutput,
                       metrics=s.VERIFIED_METRICS, expected=s.VERIFIER_EXPECTED)
    assert {t.verdict for t in trends} == {"invariant"}
    assert [(t.task, t.metric) for t in s.unexpected(trends)] == [("t2a", "attribute_accuracy")]


@pytest.fixture(scope="module")
def noise_table(world: Path) -> list[s.Trend]:
    return s.measure_verifiers(cache_dir=world)


@pytest.mark.slow
@pytest.mark.e2e
def test_attribute_accuracy_falls_at_every_step_of_noise(noise_table: list[s.Trend]) -> None:
    assert not s.unexpected(noise_table)
    falling = {t.task for t in noise_table if t.metric == "attribute_accuracy" and t.verdict == "monotonic"}
    assert falling == {"t2i", "t2v", "t2a"}
    assert all(t.values[0] == 1.0 and t.values[-1] < 0.8 for t in noise_table if t.metric == "attribute_accuracy")
    assert {t.metric for t in noise_table} == s.VERIFIED_METRICS


@pytest.mark.slow
@pytest.mark.e2e
def test_the_docs_show_the_measured_noise_table(noise_table: list[s.Trend]) -> None:
    docs = (ROOT / "docs" / "verifiers.md").read_text(encoding="utf-8")
    assert s.degradations_table(noise_table) in docs and s.markdown_table(noise_table) in docs
