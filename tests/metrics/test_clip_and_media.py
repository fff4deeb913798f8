"""CLIP score's per-sample clamp, truncation counting, CLIPSIM; bad image/audio files are clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from metrics.audio_files import load_audio
from metrics.clip_metrics import CLIPSIM, CLIPImageSimilarity, CLIPScore, clip_score
from metrics.errors import FeatureError, MediaError
from metrics.image_files import list_images, load_image


def test_clip_score_clamps_per_sample_not_the_mean() -> None:
    images = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    texts = torch.tensor([[1.0, 1.0], [-1.0, 0.2]])  # cosines 0.707 and -0.98
    per_sample = max(100 * 0.7071067811865476, 0) + max(100 * float(torch.cosine_similarity(
        images[1:], texts[1:]).item()), 0)
    result = clip_score(images, texts, extractor="toy-clip")
    assert result.value == pytest.approx(per_sample / 2)
    batch_mean_clamp = max(100 * float(torch.cosine_similarity(images, texts).mean()), 0)  # torchmetrics' way
    assert result.value != pytest.approx(batch_mean_clamp)
    assert result.qualified_name == "clip_score[toy-clip]" and result.details == {"n_clamped": 1}
    assert result.provenance.warnings == ("1 of 2 samples had a negative cosine, clamped to 0 per sample",)
    with pytest.raises(FeatureError, match="NaN"):
        clip_score(torch.full((1, 2), float("nan")), texts[:1])


def test_clip_score_class_counts_truncation_and_clamps_and_names_backbone() -> None:
    metric = CLIPScore(model="toy-clip", keep_per_sample=True)
    images = torch.randint(0, 256, (4, 3, 40, 40), dtype=torch.uint8)
    prompts = ["a red dog", "x" * 200, "a cat", "two people on a bench"]
    metric.update(images[:2], prompts[:2])
    metric.update(images[2:], prompts[2:])
    result = metric.compute(bootstrap=50, seed=3)
    assert result.qualified_name == "clip_score[toy-clip]"
    assert result.details["n_truncated"] == 1
    assert any("truncated" in w for w in result.provenance.warnings)
    assert result.value >= 0 and result.ci is not None and result.ci.seed == 3
    with pytest.raises(MediaError, match="empty prompt"):
        metric.update(images[:1], [" "])


def test_clipsim_is_mean_over_frames_and_clip_i_pairs_images() -> None:
    model_metric = CLIPSIM(model="toy-clip")
    video = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    model_metric.update([video], ["a dog runs"])
    model = model_metric.model
    tokens, _ = model.tokenize(["a dog runs"])
    torch.set_grad_enabled(False)
    frames, text = model.encode_image(video), model.encode_text(tokens)
    expected = float((100 * torch.cosine_similarity(frames.double(), text.double().expand(3, -1))).clamp(min=0).mean())
    torch.set_grad_enabled(True)
    result = model_metric.compute()
    assert result.value == pytest.approx(expected, rel=1e-6)
    negative = int((torch.cosine_similarity(frames, text.expand(3, -1)) < 0).sum())
    clamp_warnings = [w for w in result.provenance.warnings if "negative cosine" in w]
    assert clamp_warnings == ([f"{negative} of 3 frames had a negative cosine, clamped to 0 per frame"]
                              if negative else [])
    clip_i = CLIPImageSimilarity(model="toy-clip")
    clip_i.update(video, video)
    assert clip_i.compute().value == pytest.approx(1.0)


def test_images_grayscale_rgba_are_logged_conversions_and_broken_files_errors(tmp_path, caplog) -> None:
    Image.fromarray(np.full((8, 8), 100, np.uint8), "L").save(tmp_path / "gray.png")
    Image.fromarray(np.full((8, 8, 4), 50, np.uint8), "RGBA").save(tmp_path / "rgba.png")
    warnings: list[str] = []
    gray, rgba = load_image(tmp_path / "gray.png", warnings), load_image(tmp_path / "rgba.png", warnings)
    assert gray.shape == rgba.shape == (3, 8, 8) and int(gray[2, 0, 0]) == 100
    assert len(warnings) == 2 and "alpha dropped" in warnings[1] and "converted" in caplog.text
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(MediaError, match=r"bad\.png"):
        load_image(tmp_path / "bad.png")
    full = (tmp_path / "gray.png").read_bytes()
    (tmp_path / "trunc.png").write_bytes(full[: len(full) // 2])
    with pytest.raises(MediaError, match=r"trunc\.png"):
        load_image(tmp_path / "trunc.png")
    with pytest.raises(MediaError, match="no images"):
        list_images(_empty(tmp_path))


def _empty(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_audio_wrong_rate_stereo_and_broken_files(tmp_path) -> None:
    t = np.arange(16000) / 16000
    soundfile.write(tmp_path / "mono.wav", 0.1 * np.sin(2 * np.pi * 220 * t), 16000)
    soundfile.write(tmp_path / "stereo.wav", np.stack([np.ones(16000) * 0.2, np.zeros(16000)], 1), 16000)
    soundfile.write(tmp_path / "rate.wav", np.zeros(44100), 44100)
    assert load_audio(tmp_path / "mono.wav").shape == (16000,)
    warnings: list[str] = []
    stereo = load_audio(tmp_path / "stereo.wav", warnings=warnings)
    assert stereo[0] == pytest.approx(0.1, abs=1e-4) and "downmixed 2 channels" in warnings[0]
    with pytest.raises(MediaError, match="44100 Hz"):
        load_audio(tmp_path / "rate.wav")
    assert load_audio(tmp_path / "rate.wav", resample=True, warnings=warnings).shape == (16000,)
    assert "resample_poly" in warnings[-1]
    (tmp_path / "broken.wav").write_bytes(b"RIFF0000WAVEfmt garbage")
    with pytest.raises(MediaError, match=r"broken\.wav"):
        load_audio(tmp_path / "broken.wav")
    full = (tmp_path / "mono.wav").read_bytes()
    (tmp_path / "trunc.wav").write_bytes(full[:40])
    with pytest.raises(MediaError, match=r"trunc\.wav"):
        load_audio(tmp_path / "trunc.wav")
