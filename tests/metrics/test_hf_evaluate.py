"""The Hugging Face ``evaluate`` modules give the library's numbers exactly, combine, save, and refuse bad input.

Every module is loaded the way a user loads it (``evaluate.load`` of the script inside the installed package,
through ``nextgpt_bench_evaluate``) and computed on toy networks and small generated inputs; its result must equal
the library's own class or function fed the same inputs in the same batches: the value, and the whole provenance
(``MetricResult.from_dict(result["provenance"][name]) == native``). evaluate's caches go to a temporary folder,
never to ``~/.cache``. The offline (socket guard) and packaging checks are in test_hf_evaluate_offline.py.
"""

from __future__ import annotations

import inspect
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from metric_test_helpers import make_caption_corpus, needs_java
from PIL import Image

from benchmarks.datasets.samples import MediaFile, Sample
from benchmarks.scoring.attribute_accuracy import ATTRIBUTE_ACCURACY, named_attribute_share
from benchmarks.scoring.hf_evaluate import load as nextgpt_bench_evaluate
from benchmarks.scoring.hf_evaluate import module_names, module_path
from benchmarks.scoring.mean_metric import mean_result
from metrics.audio_files import load_audio
from metrics.captions.suite import score_captions
from metrics.clip_metrics import CLIPSIM, CLIPImageSimilarity, CLIPScore
from metrics.errors import ConfigError, MediaError, MissingWeightsError
from metrics.frechet_metrics import FrechetAudioDistance, FrechetInceptionDistance
from metrics.hf_evaluate.arguments import SUITE_ARGUMENTS
from metrics.hf_evaluate.results import NotComparableWarning
from metrics.kid import KernelInceptionDistance
from metrics.provenance import MetricResult
from nextgpt.core.media import write_png, write_wav

COCO_METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider")
CAPTIONS = ["a man riding a wave on top of a surfboard.", "two dogs playing with a frisbee in the park",
            "a plate of food with broccoli and rice", "a red double decker bus driving down a street",
            "a cat sitting on a laptop keyboard"]
REFERENCES: list[Any] = [
    ["A man riding a wave on a surfboard.", "A surfer rides a large wave in the ocean."],
    ["Two dogs run after a frisbee on the grass.", "Dogs playing in a park with a frisbee.",
     "two brown dogs chasing a flying disc"],
    "A plate with broccoli, rice and chicken.",  # one reference may be a bare string
    ["A red bus is driving down the street.", "A double-decker bus on a city road."],
    ["A cat lies on the keyboard of a laptop.", "A gray cat sitting on a computer keyboard."],
]
SCENES = [  # synthetic-world metadata: every field of a scene, of which images use colour, shape, size, background
    {"colour": "red", "shape": "circle", "position": "left", "size": "small", "background": "white", "motion": "up"},
    {"colour": "blue", "shape": "triangle", "position": "top", "size": "large", "background": "black",
     "motion": "left"},
    {"colour": "green", "shape": "square", "size": "small"},  # no background: this caption is not scored
]
SCENE_CAPTIONS = ["a small red circle on a white background", "a big blue square", "a small green square"]


@pytest.fixture(scope="session")
def hf_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """evaluate's caches (copied module scripts, stored predictions) in a temporary folder, offline."""
    home = tmp_path_factory.mktemp("hf_home")
    folders = {"HF_MODULES_CACHE": home / "modules", "HF_EVALUATE_CACHE": home / "evaluate",
               "HF_METRICS_CACHE": home / "metrics"}
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in {"HF_HOME": home, **folders}.items():
            patch.setenv(variable, str(value))
        for variable in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
            patch.setenv(variable, "1")
        import evaluate.config  # reads the variables when first imported; patched below in case it was earlier

        patch.setattr(evaluate.config, "HF_CACHE_HOME", str(home))
        for name, folder in folders.items():
            patch.setattr(evaluate.config, name, folder)
        patch.setattr(evaluate.config, "HF_EVALUATE_OFFLINE", True)
        yield home


@pytest.fixture
def load(hf_home: Path) -> Any:
    return nextgpt_bench_evaluate


# --- inputs and the library's side ------------------------------------------------------------------------------
def images(count: int, seed: int, size: tuple[int, int] = (24, 24)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*size, 3), dtype=np.uint8) for _ in range(count)]


def tensor_batches(arrays: Sequence[np.ndarray], batch_size: int) -> Iterator[torch.Tensor]:
    for start in range(0, len(arrays), batch_size):
        yield torch.from_numpy(np.stack(arrays[start:start + batch_size])).permute(0, 3, 1, 2).contiguous()


def waveforms(count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(0.3 * rng.standard_normal(int(16000 * rng.uniform(1.0, 2.2)))).astype(np.float32) for _ in range(count)]


def provenance(result: dict[str, Any], name: str) -> MetricResult:
    return MetricResult.from_dict(result["provenance"][name])


def compute_quietly(module: Any, **kwargs: Any) -> dict[str, Any]:
    """compute() of a module whose numbers are not comparable (toy networks): the warning is expected, and it
    points at the line that called compute() (this file), not into evaluate."""
    with pytest.warns(NotComparableWarning, match="NOT comparable with published ones") as caught:
        result = module.compute(**kwargs)
    assert [Path(w.filename) for w in caught if w.category is NotComparableWarning] == [Path(__file__)]
    return result


# --- loading -----------------------------------------------------------------------------------------------------
def test_every_metric_of_the_suite_is_a_module_loaded_from_the_installed_package(hf_home: Path) -> None:
    import evaluate

    assert module_names() == ("attribute_accuracy", "clip_i", "clip_score", "clipsim", "coco_captions", "fad",
                              "fid", "kid")
    for name in module_names():
        module = nextgpt_bench_evaluate(name)
        assert isinstance(module, evaluate.Metric) and module.name == name
        info = module.info
        assert info.description and info.citation.startswith("@") and name in info.inputs_description + info.description
        assert "comparable" in info.inputs_description and "provenance" in info.inputs_description
        assert "predictions" in info.features
        if name != "attribute_accuracy":  # defined by this suite: nothing published to point to
            assert info.reference_urls and info.codebase_urls
        # evaluate imports a copy of the script from its modules cache: the temporary one, never ~/.cache
        assert Path(inspect.getfile(type(module))).is_relative_to(hf_home / "modules")
        assert Path(module_path(name), f"{name}.py").is_file()


def test_direct_evaluate_load_of_the_package_path_works(hf_home: Path) -> None:
    import evaluate

    from metrics import hf_evaluate

    fid = evaluate.load(str(hf_evaluate.module_path("fid")))
    assert fid.name == "fid"
    assert hf_evaluate.module_path("fid") == Path(hf_evaluate.__file__).parent / "fid"
    assert "attribute_accuracy" not in hf_evaluate.module_names()


def test_every_argument_the_modules_take_is_in_the_suite_vocabulary(load: Any) -> None:
    """evaluate.combine passes every keyword to every module; a module ignores only its siblings' names."""
    taken: dict[str, set[str]] = {}
    for name in module_names():
        module = load(name)
        extra_columns = [column for column in module._feature_names() if column not in ("predictions", "references")]
        for argument in [*module.ARGUMENTS, *extra_columns]:
            taken.setdefault(argument, set()).add(name)
    assert {name: set(modules) for name, modules in SUITE_ARGUMENTS.items()} == taken


# --- every module equals the library ------------------------------------------------------------------------------
def test_fid_equals_the_library_on_sets_of_different_sizes(load: Any) -> None:
    generated, real = images(50, 0), images(30, 1)
    result = compute_quietly(load("fid"), predictions=generated, references=real, feature_network="toy")
    native = FrechetInceptionDistance(extractor="toy")
    for batch in tensor_batches(generated, 32):
        native.update(batch, real=False)
    for batch in tensor_batches(real, 32):
        native.update(batch, real=True)
    expected = native.compute()
    assert result["fid"] == expected.value
    assert provenance(result, "fid") == expected
    assert provenance(result, "fid").provenance.n_samples == 50 and expected.provenance.n_reference == 30
    assert result["comparable"] is False
    notes = " | ".join(result["comparability_notes"])
    assert "fid[toy]: extractor 'toy' is not the canonical network" in notes
    assert "not comparable with papers" in notes  # 50 < 64 dims


def test_fid_reads_arrays_tensors_pil_images_and_files_as_the_library_does(load: Any, tmp_path: Path) -> None:
    arrays = images(6, 2, size=(20, 28))
    write_png(Image.fromarray(arrays[2]), tmp_path / "two.png")
    rgba = Image.fromarray(arrays[3]).convert("RGBA")
    floats = arrays[4].astype(np.float64) / 255.0  # quantised back to the same uint8 (round half to even)
    mixed = [arrays[0], torch.from_numpy(arrays[1]).permute(2, 0, 1), str(tmp_path / "two.png"), rgba, floats,
             Image.fromarray(arrays[5])]
    real = images(7, 3, size=(20, 28))
    fid = load("fid", feature_network="toy")  # a compute argument given to load becomes the module's default
    result = compute_quietly(fid, predictions=mixed, reference_images=real, batch_size=4)
    native = FrechetInceptionDistance(extractor="toy")
    for batch in tensor_batches(arrays, 4):
        native.update(batch, real=False)
    for batch in tensor_batches(real, 4):
        native.update(batch, real=True)
    assert provenance(result, "fid") == native.compute()


def test_kid_equals_the_library(load: Any) -> None:
    generated, real = images(40, 4), images(25, 5)
    result = compute_quietly(load("kid"), predictions=generated, references=real, feature_network="toy",
                             kid_subsets=10)
    native = KernelInceptionDistance(extractor="toy", subsets=10)
    for batch in tensor_batches(generated, 32):
        native.update(batch, real=False)
    for batch in tensor_batches(real, 32):
        native.update(batch, real=True)
    expected = native.compute()
    assert (result["kid_mean"], result["kid_std"]) == (expected.kid_mean.value, expected.kid_std.value)
    assert provenance(result, "kid_mean") == expected.kid_mean and provenance(result, "kid_std") == expected.kid_std
    assert any("clamped to 25" in note for note in result["comparability_notes"])  # subset size 1000 > 25 images


def test_clip_score_equals_the_library_with_its_bootstrap(load: Any) -> None:
    pictures = images(6, 6, size=(30, 40))
    prompts = ["a red circle", "a blue square on black", "two green triangles", "a dog", "a cat on a mat",
               "an orange star"]
    result = compute_quietly(load("clip_score"), predictions=pictures, references=prompts, clip_model="toy-clip",
                             batch_size=4, bootstrap=50, seed=3)
    native = CLIPScore(model="toy-clip", keep_per_sample=True)
    native.update(pictures[:4], prompts[:4])
    native.update(pictures[4:], prompts[4:])
    expected = native.compute(bootstrap=50, seed=3)
    assert result["clip_score"] == expected.value and provenance(result, "clip_score") == expected
    assert expected.ci is not None


def test_clip_i_equals_the_library_on_pairs_of_different_sizes(load: Any) -> None:
    first, second = images(5, 7, size=(32, 32)), images(5, 8, size=(24, 40))
    result = compute_quietly(load("clip_i"), predictions=first, references=second, clip_model="toy-clip")
    native = CLIPImageSimilarity(model="toy-clip")
    native.update(first, second)
    assert provenance(result, "clip_i") == native.compute()


def test_clipsim_equals_the_library_on_arrays_frame_lists_and_frame_folders(load: Any, tmp_path: Path) -> None:
    short = np.stack(images(4, 9, size=(20, 20)))
    frames = images(3, 10, size=(26, 18))
    for index, frame in enumerate(frames):
        write_png(Image.fromarray(frame), tmp_path / f"frame-{index}.png")
    long = np.stack(images(20, 11, size=(16, 16)))
    videos = [short, [Image.fromarray(frame) for frame in frames], str(tmp_path), long]
    prompts = ["a ball bouncing", "a square sliding right", "a circle moving up", "a long video"]
    result = compute_quietly(load("clipsim"), predictions=videos, references=prompts, clip_model="toy-clip",
                             max_frames=5)
    native = CLIPSIM(model="toy-clip")
    # at most 5 evenly spaced frames per video, first and last kept: linspace(0, 19, 5) rounded half to even
    native.update([list(short), frames, frames, list(long[[0, 5, 10, 14, 19]])], prompts)
    assert provenance(result, "clipsim") == native.compute()


def test_clipsim_decodes_only_the_frames_it_scores(load: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A 9-frame folder scored with max_frames=3 has only frames 0, 4 and 8 read (frame 1 is not an image at all);
    an in-memory video is stored without encoding a single frame."""
    from metrics.hf_evaluate import media_inputs

    folder = tmp_path / "frames"
    folder.mkdir()
    frames = images(9, 14, size=(12, 12))
    for index, frame in enumerate(frames):
        write_png(Image.fromarray(frame), folder / f"frame-{index}.png")
    (folder / "frame-1.png").write_bytes(b"not a png")  # never picked, so never read
    long = np.stack(images(20, 15, size=(10, 14)))

    def no_encoding(*args: Any) -> bytes:
        raise AssertionError("a video frame was encoded before the frames were picked")

    monkeypatch.setattr(media_inputs, "encode_image", no_encoding)
    result = compute_quietly(load("clipsim"), predictions=[str(folder), long], references=["a", "b"],
                             clip_model="toy-clip", max_frames=3)
    native = CLIPSIM(model="toy-clip")
    native.update([[frames[0], frames[4], frames[8]], list(long[[0, 10, 19]])], ["a", "b"])
    assert provenance(result, "clipsim") == native.compute()


def test_fad_equals_the_library_on_waveforms_dicts_and_files(load: Any, tmp_path: Path) -> None:
    generated, real = waveforms(4, 12), waveforms(3, 13)
    write_wav(real[2], tmp_path / "real.wav", 16000)
    predictions: list[Any] = [generated[0], torch.from_numpy(generated[1]),
                              {"array": generated[2], "sampling_rate": 16000}, generated[3]]
    references = [real[0], real[1], str(tmp_path / "real.wav")]
    result = compute_quietly(load("fad"), predictions=predictions, references=references,
                             feature_network="toy-audio")
    native = FrechetAudioDistance(extractor="toy-audio")
    native.update([torch.from_numpy(w) for w in generated], real=False)
    native.update([torch.from_numpy(real[0]), torch.from_numpy(real[1]), load_audio(tmp_path / "real.wav").float()],
                  real=True)
    assert provenance(result, "fad") == native.compute()


def test_fad_refuses_audio_at_another_rate_unless_asked_to_resample(load: Any) -> None:
    clip = {"array": waveforms(1, 14)[0], "sampling_rate": 8000}
    fad = load("fad", feature_network="toy-audio")
    with pytest.raises(MediaError, match=r"8000 Hz.*resample=True"):
        fad.compute(predictions=[clip, clip], references=waveforms(2, 15))
    result = compute_quietly(fad, predictions=[clip, clip], references=waveforms(2, 15), resample=True)
    assert any("resampled 8000 Hz -> 16000 Hz" in w for w in provenance(result, "fad").provenance.warnings)


def native_captions(captions: Sequence[str], references: Sequence[Any], names: Sequence[str]) -> Any:
    ids = [str(index) for index in range(len(captions))]
    return score_captions(dict(zip(ids, captions, strict=True)),
                          {key: [refs] if isinstance(refs, str) else refs
                           for key, refs in zip(ids, references, strict=True)}, metrics=names)


WITHOUT_METEOR = [name for name in COCO_METRICS if name != "meteor"]


def test_coco_captions_equal_the_library(load: Any) -> None:
    # CIDEr-D over fewer than 10 images warns that it is not comparable, so the module says so too
    result = compute_quietly(load("coco_captions"), predictions=CAPTIONS, references=REFERENCES,
                             caption_metrics=WITHOUT_METEOR)
    native = native_captions(CAPTIONS, REFERENCES, WITHOUT_METEOR)
    for name in WITHOUT_METEOR:
        assert provenance(result, name) == native.results[name], name
        assert result[name] == native.values()[name]
    assert "meteor" not in result and 0 < result["bleu1"] < 1 and result["cider"] > 0


@needs_java
@pytest.mark.slow  # two Java METEOR processes (the module's and the library's)
def test_coco_captions_meteor_equals_the_library(load: Any) -> None:
    result = load("coco_captions").compute(predictions=CAPTIONS, references=REFERENCES, caption_metrics=["meteor"])
    expected = native_captions(CAPTIONS, REFERENCES, ["meteor"]).results["meteor"]
    assert expected.available and provenance(result, "meteor") == expected and result["meteor"] == expected.value


def test_coco_captions_on_ten_items_are_comparable_and_say_so_silently(load: Any) -> None:
    predictions, references = make_caption_corpus(n_images=12, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotComparableWarning)
        result = load("coco_captions").compute(predictions=list(predictions.values()),
                                               references=list(references.values()), caption_metrics=["cider"])
    assert result["comparable"] is True and result["comparability_notes"] == []


def test_coco_captions_without_java_give_meteor_none_and_say_why(load: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "java" else real_which(name, *a, **k))
    with pytest.warns(NotComparableWarning, match="meteor is unavailable"):
        result = load("coco_captions").compute(predictions=CAPTIONS[:2], references=REFERENCES[:2],
                                               caption_metrics=["bleu4", "meteor"])
    assert result["meteor"] is None and result["comparable"] is False
    assert result["provenance"]["meteor"]["available"] is False and result["bleu4"] is not None


def test_attribute_accuracy_equals_the_harness(load: Any) -> None:
    result = compute_quietly(load("attribute_accuracy"), predictions=SCENE_CAPTIONS, attributes=SCENES)
    assert result["attribute_accuracy"] == pytest.approx((1.0 + 0.25) / 2)  # the third scene has no background
    samples = [Sample(id=str(i), inputs=(MediaFile("image", Path("x.png")),), metadata=scene)
               for i, scene in enumerate(SCENES)]
    shares = {s.id: share for s, caption in zip(samples, SCENE_CAPTIONS, strict=True)
              if (share := named_attribute_share(s, caption)) is not None}
    expected = mean_result("attribute_accuracy", shares, ATTRIBUTE_ACCURACY.compute.definition,  # type: ignore[union-attr]
                           bootstrap=0, seed=0)
    assert provenance(result, "attribute_accuracy") == expected
    assert result["comparable"] is False and "no published number" in result["comparability_notes"][0]
    video = compute_quietly(load("attribute_accuracy"), predictions=["a red circle moving up"],
                            attributes=SCENES[:1], input_modality="video")
    assert video["attribute_accuracy"] == 1.0  # colour, shape, motion


def test_a_canonical_image_network_with_another_resize_is_not_comparable() -> None:
    """Published FIDs use the canonical Inception with its canonical resize (tf-bilinear); the same network with
    another resize moves FID by points, so it is not comparable. A CLIP model's resize is its own preprocessing
    and is not judged."""
    from metrics.defaults import DEFAULT_IMAGE_RESIZE
    from metrics.hf_evaluate.results import comparability_notes, module_result
    from metrics.provenance import Provenance

    def fid(resize: str) -> MetricResult:
        return MetricResult("fid", 12.0, Provenance(metric="fid", extractor="inception-2015-12-05",
                                                    extractor_canonical=True, resize=resize, n_samples=3000))

    assert comparability_notes(fid(DEFAULT_IMAGE_RESIZE)) == []
    notes = comparability_notes(fid("pil-bicubic"))
    assert notes == ["fid[inception-2015-12-05]: resize 'pil-bicubic' is not the canonical 'tf-bilinear' of "
                     "inception-2015-12-05 (published numbers use it; the resize filter alone moves FID by several "
                     "points)"]
    with pytest.warns(NotComparableWarning, match="resize 'pil-bicubic'"):
        assert module_result("fid", [fid("pil-bicubic")])["comparable"] is False
    clip = MetricResult("clip_score", 30.0, Provenance(metric="clip_score", extractor="clip-vit-b-32",
                                                       extractor_canonical=True, resize="pil-bicubic+center-crop",
                                                       n_samples=10))
    assert comparability_notes(clip) == []


# --- combine, streaming, save -------------------------------------------------------------------------------------
def test_fid_and_clip_score_combine_with_sets_of_their_own_sizes(load: Any) -> None:
    import evaluate

    pictures, real = images(6, 16), images(9, 17)
    prompts = ["a red circle", "a blue square", "a green triangle", "a dog", "a cat", "a star"]
    combined = evaluate.combine([load("fid"), load("clip_score")])
    with pytest.warns(NotComparableWarning) as caught:
        result = combined.compute(predictions=pictures, references=prompts, reference_images=real,
                                  feature_network="toy", clip_model="toy-clip")
    assert {Path(w.filename) for w in caught if w.category is NotComparableWarning} == {Path(__file__)}, \
        "through evaluate.combine too, the warning points at the caller's line"
    fid = compute_quietly(load("fid"), predictions=pictures, references=real, feature_network="toy")
    clip = compute_quietly(load("clip_score"), predictions=pictures, references=prompts, clip_model="toy-clip")
    assert result["fid"] == fid["fid"] and result["clip_score"] == clip["clip_score"]
    assert result["fid_comparable"] is False and result["clip_score_provenance"] == clip["provenance"]


def test_caption_metrics_and_attribute_accuracy_combine_and_stream(load: Any) -> None:
    import evaluate

    captions = [*SCENE_CAPTIONS, "a small red circle"]
    references = [["a small red circle on white"], ["a large blue triangle on black"], ["a small green square"],
                  ["a red circle"]]
    combined = evaluate.combine([load("coco_captions"), load("attribute_accuracy")])
    combined.add_batch(predictions=captions[:2], references=references[:2], attributes=SCENES[:2])
    with pytest.warns(NotComparableWarning) as caught:
        result = combined.compute(predictions=captions[2:], references=references[2:],
                                  attributes=[SCENES[2], SCENES[0]], caption_metrics=WITHOUT_METEOR)
    messages = [str(warning.message) for warning in caught]
    assert any(m.startswith("attribute_accuracy: ") and "no published number" in m for m in messages)
    assert any(m.startswith("coco_captions: ") and "CIDEr-D over only 4 images" in m for m in messages)
    native = native_captions(captions, references, WITHOUT_METEOR)
    assert {name: result[name] for name in WITHOUT_METEOR} == {name: native.values()[name] for name in WITHOUT_METEOR}
    # the third scene has no background (not scored); "a small red circle" names 3 of the first scene's 4
    assert result["attribute_accuracy"] == pytest.approx((1.0 + 0.25 + 0.75) / 3)


def test_results_save_with_evaluate_save_and_read_back_exactly(load: Any, tmp_path: Path) -> None:
    import evaluate

    result = compute_quietly(load("fid"), predictions=images(8, 18), references=images(8, 19),
                             feature_network="toy")
    path = evaluate.save(tmp_path / "fid.json", **result, model="toy run")
    saved = json.loads(Path(path).read_text())
    assert saved["fid"] == result["fid"] and saved["model"] == "toy run" and saved["comparable"] is False
    assert MetricResult.from_dict(saved["provenance"]["fid"]) == provenance(result, "fid")


# --- bad input --------------------------------------------------------------------------------------------------
BAD_INPUTS = [
    ("fid", {"predictions": 5, "references": images(2, 0), "feature_network": "toy"}, MediaError,
     "fid predictions: expected a list of images"),
    ("fid", {"predictions": [], "references": images(2, 0), "feature_network": "toy"}, MediaError,
     "non-empty list of images"),
    ("fid", {"predictions": images(2, 0), "references": [{"not": "an image"}], "feature_network": "toy"}, MediaError,
     r"fid reference_images\[0\]: cannot read an image from a dict"),
    ("fid", {"predictions": ["/no/such/image.png"], "references": images(2, 0), "feature_network": "toy"},
     MediaError, "/no/such/image.png"),
    ("fid", {"predictions": images(2, 0), "references": images(2, 1), "feature_network": "no-such-net"},
     ConfigError, "unknown feature extractor 'no-such-net'; registered: .*toy"),
    ("fid", {"predictions": images(2, 0), "references": images(2, 1), "feature_network": "toy-audio"},
     ConfigError, "feature_network='toy-audio' is an audio network; fid needs an image network"),
    ("fid", {"predictions": images(2, 0), "references": images(2, 1), "feature_netwrok": "toy"}, ConfigError,
     "fid: unknown argument.*'feature_netwrok'"),
    ("fid", {"predictions": images(2, 0), "feature_network": "toy"}, ConfigError, "fid: no reference set"),
    ("fid", {"predictions": images(2, 0), "references": images(2, 1), "feature_network": "toy", "resize": "cubic"},
     ConfigError, "resize must be one of tf-bilinear"),
    ("kid", {"predictions": images(2, 0), "references": images(2, 1), "feature_network": "toy", "batch_size": 0},
     ConfigError, "kid: batch_size must be an integer >= 1, got int 0"),
    ("clip_score", {"predictions": images(3, 0), "references": ["a", "b"], "clip_model": "toy-clip"}, ConfigError,
     "predictions and references must have the same length, got 3 predictions and 2 references"),
    ("clip_score", {"predictions": images(2, 0), "references": ["a", 7], "clip_model": "toy-clip"}, MediaError,
     r"clip_score references\[1\]: expected a string, got int 7"),
    ("clip_score", {"predictions": images(2, 0), "references": ["a", "b"], "clip_model": "toy"}, ConfigError,
     "clip_model='toy' is an image network; clip_score needs a text-image network: .*toy-clip"),
    ("clip_score", {"predictions": images(2, 0)}, ConfigError, "needs references too"),
    ("clipsim", {"predictions": [np.zeros((0, 8, 8, 3), np.uint8)], "references": ["a"], "clip_model": "toy-clip"},
     MediaError, "no frames"),
    ("clipsim", {"predictions": ["/no/such/video.mp4"], "references": ["a"], "clip_model": "toy-clip"},
     MediaError, "/no/such/video.mp4"),
    ("fad", {"predictions": [np.zeros((2, 16000), np.float32)], "references": waveforms(2, 0),
             "feature_network": "toy-audio"}, MediaError, r"fad predictions\[0\]: expected a non-empty 1-D"),
    ("coco_captions", {"predictions": "a dog", "references": ["a dog"]}, MediaError,
     "coco_captions predictions: expected a list of captions"),
    ("coco_captions", {"predictions": ["a dog"], "references": [[3]]}, MediaError,
     r"coco_captions references\[0\]\[0\]: expected a string, got int 3"),
    ("coco_captions", {"predictions": ["a dog"], "references": ["a dog"], "tokenizer": "nltk"}, ConfigError,
     "unknown caption tokenizer 'nltk'"),
    ("coco_captions", {"predictions": ["a dog"], "references": ["a dog"], "tokenizer": ""}, ConfigError,
     "unknown caption tokenizer ''"),  # never silently the default
    ("coco_captions", {"predictions": ["a dog"], "references": ["a dog"], "caption_metrics": ["bleu5"]}, ConfigError,
     r"unknown caption_metrics \['bleu5'\]; choose from bleu1"),
    ("attribute_accuracy", {"predictions": ["a red circle"], "attributes": ["red"]}, ConfigError,
     r"attribute_accuracy attributes\[0\]: expected a dict of scene attributes"),
    ("attribute_accuracy", {"predictions": ["a red circle"], "attributes": SCENES[:1], "input_modality": "smell"},
     ConfigError, "input_modality must be one of image, video, audio, got 'smell'"),
]


@pytest.mark.parametrize(("module", "kwargs", "error", "message"), BAD_INPUTS,
                         ids=[f"{case[0]}-{i}" for i, case in enumerate(BAD_INPUTS)])
def test_bad_input_is_an_error_naming_the_module_and_what_was_expected(
        load: Any, module: str, kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        load(module).compute(**kwargs)


def test_missing_weights_name_the_folder_and_the_file(load: Any, tmp_path: Path) -> None:
    fid = load("fid")
    for weights in (tmp_path / "no-such-folder", tmp_path):  # a missing folder, and a folder without the file
        with pytest.raises(MissingWeightsError,
                           match=r"weights file .* does not exist \(expected pt_inception-2015-12-05-6726825d\.pth"):
            fid.compute(predictions=images(2, 0), references=images(2, 1), weights=weights)


def test_misused_entry_points_are_errors(load: Any) -> None:
    with pytest.raises(ConfigError, match=r"no nextgpt-bench evaluate module named 'fidd'; available: .*fid"):
        nextgpt_bench_evaluate("fidd")
    with pytest.raises(ConfigError, match=r"unknown argument.*'feature_netwrok' for evaluate\.load"):
        load("fid", feature_netwrok="toy")
    fid = load("fid")
    with pytest.raises(ConfigError, match=r"add_batch takes predictions \(the generated set\).*compute\(references"):
        fid.add_batch(predictions=images(2, 0), references=images(2, 1))
    with pytest.raises(ConfigError, match="fid: nothing to score"):
        fid.compute(references=images(2, 1), feature_network="toy")


# --- the documentation ------------------------------------------------------------------------------------------
DOCS = Path(__file__).resolve().parents[2] / "docs" / "evaluate.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def test_the_docs_examples_run_in_order_as_one_program(load: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    blocks = PYTHON_BLOCK.findall(DOCS.read_text(encoding="utf-8"))
    assert len(blocks) == 4
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotComparableWarning)
        for block in blocks:
            exec(compile(block, str(DOCS), "exec"), namespace)
    printed = capsys.readouterr().out
    assert str(module_names()) in printed
    saved = json.loads((tmp_path / "results" / "t2i.json").read_text())
    assert saved["model"] == "toy" and saved["fid_comparable"] is False and saved["clip_score"] > 0
