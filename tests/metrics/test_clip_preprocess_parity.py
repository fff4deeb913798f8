"""CLIP score, CLIP-I and CLIPSIM equal open_clip's own pipeline, image for image, on images of many sizes.

The reference side uses only open_clip: the transform ``create_model_and_transforms(...)[2]`` on PIL images,
``model.encode_image`` / ``encode_text`` and the documented formula max(100 cos, 0) (CLIP-I: cos). The suite
side wraps the *same* tiny randomly initialised open_clip model (a ViT config made here; nothing downloads)
in ``OpenClipModel`` and feeds the metrics uint8 arrays, PIL images, files and float tensors. The tiny ViT
average-pools its patch tokens (``pool_type: avg``) so that its embeddings follow the pixels closely, and each
image's prompt is the one of a fixed pool with the highest reference cosine, so no score is clamped to 0 (a
clamped 0 would hide a difference). A float-torch bicubic resize (the preprocessing before issue 11) is shown
to miss the tolerance by far, so the tests can fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from metrics.clip_metrics import CLIPSIM, CLIPImageSimilarity, CLIPScore
from metrics.errors import MediaError
from metrics.extractors.clip import ClipImagePreprocess, OpenClipModel, quantise_to_uint8, rgb_uint8_images

open_clip = pytest.importorskip("open_clip")

TOLERANCE = 1e-4
TINY_NAME = "nextgpt-bench-test-tiny-vit"
TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 224, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32,
                   "pool_type": "avg"},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
#: (width, height): square, landscape, portrait, extreme, odd crop offsets, smaller than 224
SIZES = [(224, 224), (512, 512), (640, 480), (300, 500), (1000, 200), (97, 61), (150, 200), (225, 224), (224, 227)]
PROMPT_POOL = [f"a photo of {a} {b}" for a in ("a red", "two", "a small", "a blue", "an old", "three")
               for b in ("dog", "cars", "houses", "cat on a bench", "boats at sea", "people in a park")]


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Callable[[Image.Image], torch.Tensor], Any]:
    """(model, open_clip's eval transform for it, tokenizer): random weights from a fixed seed."""
    folder = tmp_path_factory.mktemp("open_clip_config")
    (folder / f"{TINY_NAME}.json").write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(folder / f"{TINY_NAME}.json")
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms(TINY_NAME, pretrained=None)
    return model.eval(), preprocess, open_clip.get_tokenizer(TINY_NAME)


@pytest.fixture(scope="module")
def suite_model(tiny_clip: tuple[Any, Any, Any]) -> OpenClipModel:
    model, _, tokenizer = tiny_clip
    return OpenClipModel(TINY_NAME, model, tokenizer, weights_sha256=None)


def _image(width: int, height: int, seed: int) -> np.ndarray:
    """uint8 (H, W, 3): smooth colour gradients, a few blocks and noise, so resampling filters matter."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width]).reshape(2, 1, 1)
    base = np.stack([np.sin(6 * x + c) * np.cos(4 * y - c) for c in rng.uniform(0, 3, 3)], -1) * 90 + 128
    for _ in range(4):
        top, left = rng.integers(0, height), rng.integers(0, width)
        base[top:top + height // 4, left:left + width // 5] = rng.uniform(0, 255, 3)
    return np.clip(base + rng.normal(0, 25, base.shape), 0, 255).round().astype(np.uint8)


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    return [_image(w, h, seed) for seed, (w, h) in enumerate(SIZES)]


@torch.no_grad()
def _best_prompts(tiny_clip: tuple[Any, Any, Any], image_groups: list[list[np.ndarray]]) -> list[str]:
    """Per group of images, the pool prompt with the highest mean reference cosine (computed by open_clip)."""
    model, _, tokenizer = tiny_clip
    text = F.normalize(model.encode_text(tokenizer(PROMPT_POOL)).double(), dim=-1)
    best = []
    for group in image_groups:
        cosines = F.normalize(_ref_image_embeddings(tiny_clip, _pil(group)), dim=-1) @ text.T
        best.append(PROMPT_POOL[int(cosines.mean(0).argmax())])
    return best


@pytest.fixture(scope="module")
def prompts(tiny_clip, images) -> list[str]:
    return _best_prompts(tiny_clip, [[image] for image in images])


# --- the reference: open_clip only -----------------------------------------------------------------------

@torch.no_grad()
def _ref_image_embeddings(tiny_clip: tuple[Any, Any, Any], pil_images: list[Image.Image]) -> torch.Tensor:
    model, preprocess, _ = tiny_clip
    return model.encode_image(torch.stack([preprocess(image) for image in pil_images])).double()


@torch.no_grad()
def _ref_clip_scores(tiny_clip: tuple[Any, Any, Any], pil_images: list[Image.Image], prompts: list[str]
                     ) -> np.ndarray:
    model, _, tokenizer = tiny_clip
    text = model.encode_text(tokenizer(prompts)).double()
    cosine = F.cosine_similarity(_ref_image_embeddings(tiny_clip, pil_images), text, dim=-1)
    return (100 * cosine).clamp(min=0).numpy()


def _pil(arrays: list[np.ndarray]) -> list[Image.Image]:
    return [Image.fromarray(a) for a in arrays]


def _per_sample(metric: Any) -> np.ndarray:
    per = metric.per_sample
    return (torch.cat(per) if isinstance(per, list) else per).numpy()


# --- pixels ------------------------------------------------------------------------------------------------

def test_preprocessed_pixels_are_open_clips_bit_for_bit(tiny_clip, images) -> None:
    ours = ClipImagePreprocess.for_model(tiny_clip[0])(images)
    reference = torch.stack([tiny_clip[1](image) for image in _pil(images)])
    assert ours.shape == reference.shape == (len(SIZES), 3, 224, 224)
    assert torch.equal(ours, reference)


def test_an_openai_checkpoint_gets_open_clips_openai_preprocessing(tmp_path: Path, images) -> None:
    """The canonical path (``OpenClipModel.from_openai_file``, what ``clip-vit-b-32`` builds): a tiny checkpoint
    in OpenAI's layout gets the transform ``create_model_and_transforms("ViT-B-32", pretrained="openai")``
    would build (open_clip's defaults + the ``openai`` tag's settings + the model's input size)."""
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
    from open_clip.transform import PreprocessCfg, image_transform_v2, merge_preprocess_dict

    torch.manual_seed(1)
    source = CLIP(16, CLIPVisionCfg(layers=1, width=64, patch_size=32, image_size=224),
                  CLIPTextCfg(context_length=77, vocab_size=49408, width=64, heads=1, layers=1), quick_gelu=True)
    torch.save(source.state_dict(), tmp_path / "ViT-tiny.pt")
    model = OpenClipModel.from_openai_file("clip-tiny", "ViT-B-32", tmp_path / "ViT-tiny.pt", "0" * 64)
    tag = open_clip.get_pretrained_cfg("ViT-B-32", "openai")
    reference = image_transform_v2(PreprocessCfg(**merge_preprocess_dict(PreprocessCfg(), tag)), is_train=False)
    assert model.image_preprocessing == "pil-bicubic+center-crop (open_clip)"
    assert torch.equal(model.preprocess(images), torch.stack([reference(image) for image in _pil(images)]))


@pytest.mark.parametrize("resize_mode", ["longest", "squash"])
def test_other_open_clip_resize_modes_and_the_per_image_fallback(images, resize_mode, monkeypatch) -> None:
    from open_clip.transform import PreprocessCfg, image_transform_v2

    config = {"size": 96, "resize_mode": resize_mode, "interpolation": "bilinear"}
    reference = image_transform_v2(PreprocessCfg(**config), is_train=False)
    expected = torch.stack([reference(image) for image in _pil(images)])
    preprocess = ClipImagePreprocess(config)
    assert preprocess.name == f"pil-bilinear+{'pad' if resize_mode == 'longest' else 'squash'} (open_clip)"
    assert torch.equal(preprocess(images), expected)
    monkeypatch.setattr(ClipImagePreprocess, "_split", staticmethod(lambda transform: (None, None)))
    assert torch.equal(ClipImagePreprocess(config)(images), expected)


# --- scores ------------------------------------------------------------------------------------------------

def test_clip_score_equals_open_clip_for_every_size_and_input_form(tiny_clip, suite_model, images, prompts,
                                                                   tmp_path: Path) -> None:
    reference = _ref_clip_scores(tiny_clip, _pil(images), prompts)
    assert reference.min() > 1, "a clamped score would hide differences"
    paths = []
    for i, image in enumerate(images):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(image).save(paths[-1])
    float_tensors = [torch.from_numpy(image).permute(2, 0, 1).float() / 255 for image in images]
    for form in (images, _pil(images), paths, [str(p) for p in paths], float_tensors):
        metric = CLIPScore(model=suite_model, keep_per_sample=True)
        metric.update(form, prompts)
        result = metric.compute()
        np.testing.assert_allclose(_per_sample(metric), reference, rtol=0, atol=TOLERANCE)
        assert result.value == pytest.approx(float(reference.mean()), abs=TOLERANCE)
        assert result.provenance.resize == "pil-bicubic+center-crop (open_clip)"


def test_clip_score_of_float_input_is_open_clip_of_the_rounded_uint8(tiny_clip, suite_model, prompts) -> None:
    rng = np.random.default_rng(5)
    floats = torch.from_numpy(rng.uniform(0, 1, (3, 3, 180, 260)).astype(np.float32))
    rounded = (floats * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()  # the documented rule
    metric = CLIPScore(model=suite_model, keep_per_sample=True)
    metric.update(floats, prompts[:3])
    reference = _ref_clip_scores(tiny_clip, _pil(list(rounded)), prompts[:3])
    np.testing.assert_allclose(_per_sample(metric), reference, rtol=0, atol=TOLERANCE)


def test_clip_i_equals_open_clip_for_pairs_of_different_sizes(tiny_clip, suite_model, images) -> None:
    others = images[1:] + images[:1]  # every pair mixes two sizes
    reference = F.cosine_similarity(_ref_image_embeddings(tiny_clip, _pil(images)),
                                    _ref_image_embeddings(tiny_clip, _pil(others)), dim=-1).numpy()
    metric = CLIPImageSimilarity(model=suite_model, keep_per_sample=True)
    metric.update(images, _pil(others))
    np.testing.assert_allclose(_per_sample(metric), reference, rtol=0, atol=TOLERANCE)
    assert metric.compute().provenance.resize == "pil-bicubic+center-crop (open_clip)"


def test_clipsim_frames_equal_open_clip(tiny_clip, suite_model) -> None:
    video_a = np.stack([_image(320, 240, 100 + f) for f in range(4)])  # (F, H, W, 3) uint8
    video_b = torch.from_numpy(np.stack([_image(120, 200, 200 + f) for f in range(3)])).permute(0, 3, 1, 2)
    video_b = video_b.float() / 255  # (F, 3, H, W) floats that are exact levels
    video_c = [Image.fromarray(_image(500, 90, 300 + f)) for f in range(2)]  # a list of PIL frames
    frames = [list(video_a), list((video_b * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()),
              [np.asarray(f) for f in video_c]]
    prompts = _best_prompts(tiny_clip, frames)
    reference = [_ref_clip_scores(tiny_clip, _pil(video), [prompt] * len(video)).mean()
                 for video, prompt in zip(frames, prompts, strict=True)]
    metric = CLIPSIM(model=suite_model, keep_per_sample=True)
    metric.update([video_a, video_b, video_c], prompts)
    np.testing.assert_allclose(_per_sample(metric), reference, rtol=0, atol=TOLERANCE)
    assert metric.compute().value == pytest.approx(float(np.mean(reference)), abs=TOLERANCE)


def test_the_old_float_torch_resize_misses_the_tolerance(tiny_clip, images, prompts) -> None:
    """The check above can fail: torch's antialiased bicubic on floats (the suite's resize before issue 11)
    gives scores that differ from open_clip's by far more than the tolerance on non-224 images."""
    model, _, tokenizer = tiny_clip
    mean = torch.tensor((0.48145466, 0.4578275, 0.40821073)).view(1, 3, 1, 1)
    std = torch.tensor((0.26862954, 0.26130258, 0.27577711)).view(1, 3, 1, 1)

    def old_preprocess(image: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
        scale = 224 / min(x.shape[-2:])
        h, w = (max(224, round(n * scale)) for n in x.shape[-2:])
        x = F.interpolate(x, size=(h, w), mode="bicubic", antialias=True).clamp(0, 1)
        top, left = (h - 224) // 2, (w - 224) // 2
        return (x[..., top:top + 224, left:left + 224] - mean) / std

    with torch.no_grad():
        old = model.encode_image(torch.cat([old_preprocess(image) for image in images])).double()
        text = model.encode_text(tokenizer(prompts)).double()
    old_scores = (100 * F.cosine_similarity(old, text, dim=-1)).clamp(min=0).numpy()
    difference = np.abs(old_scores - _ref_clip_scores(tiny_clip, _pil(images), prompts))
    assert difference[0] < TOLERANCE  # 224x224 needs no resize: both agree
    assert difference.max() > 100 * TOLERANCE


# --- input rules -------------------------------------------------------------------------------------------

def test_floats_are_rounded_not_truncated_and_bad_inputs_are_named_errors() -> None:
    assert quantise_to_uint8(torch.tensor([0.0, 0.002, 0.5, 0.999, 1.0]), "x").tolist() == [0, 1, 128, 255, 255]
    assert quantise_to_uint8(torch.tensor([-0.5 / 255, 1 + 0.4 / 255]), "x").tolist() == [0, 255]
    with pytest.raises(MediaError, match=r"frames.*\[0, 1\].*max 254"):
        quantise_to_uint8(torch.tensor([0.0, 254.0]), "frames")
    with pytest.raises(MediaError, match="NaN"):
        quantise_to_uint8(torch.tensor([float("nan")]), "x")
    with pytest.raises(MediaError, match="int32"):
        rgb_uint8_images(np.zeros((1, 4, 4, 3), np.int32), "x")
    with pytest.raises(MediaError, match=r"\(N, 3, H, W\)"):
        rgb_uint8_images(torch.zeros(2, 8, 8, 3, dtype=torch.uint8), "batch")
    with pytest.raises(MediaError, match=r"channels last"):
        rgb_uint8_images(np.zeros((2, 3, 8, 8), np.uint8), "batch")
    with pytest.raises(MediaError, match=r"imgs\[1\].*\(H, W, 3\)"):
        rgb_uint8_images([np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8)], "imgs")
    with pytest.raises(MediaError, match="wrap one image in a list"):
        rgb_uint8_images(Image.new("RGB", (4, 4)), "x")
    with pytest.raises(MediaError, match=r"missing\.png"):
        rgb_uint8_images(["missing.png"], "x")
    gray = rgb_uint8_images([Image.new("L", (5, 4), 77)], "x")[0]
    assert gray.shape == (4, 5, 3) and int(gray[0, 0, 2]) == 77


def test_metrics_refuse_empty_and_mismatched_inputs(suite_model) -> None:
    with pytest.raises(MediaError, match="no images"):
        CLIPScore(model=suite_model).update([], [])
    with pytest.raises(MediaError, match="2 images but 1 prompts"):
        CLIPScore(model=suite_model).update(np.zeros((2, 8, 8, 3), np.uint8), ["a"])
    with pytest.raises(MediaError, match=r"clipsim video 1 frames: no images"):
        CLIPSIM(model=suite_model).update([np.zeros((1, 8, 8, 3), np.uint8), []], ["a", "b"])
