"""Bad input fails with a message naming the thing and the expectation; documented conversions are exact."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from nextgpt.core.errors import ConfigError, MediaError
from nextgpt.core.requests import GenerationRequest, MediaInput
from nextgpt.model.config import NextGPTConfig
from nextgpt.model.encoder import media
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.presets import tiny


def test_unreadable_image_names_the_file(tmp_path: Path, tiny_model: NextGPT) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not a png")
    with pytest.raises(MediaError, match=r"image .*broken\.png cannot be read as an image"):
        tiny_model.generate(GenerationRequest.build("look", images=[bad]))


def test_truncated_image_names_the_file(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(MediaError, match=r"truncated\.png"):
        media.load_image(truncated)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"video file .*nope\.mp4 does not exist"):
        media.load_video(tmp_path / "nope.mp4")


def test_grayscale_and_rgba_images_become_rgb(tmp_path: Path) -> None:
    for mode in ("L", "RGBA"):
        path = tmp_path / f"{mode}.png"
        Image.new(mode, (50, 40)).save(path)
        assert media.load_image(path).shape == (3, 224, 224)


def test_wrong_sample_rate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cd_quality.wav"
    soundfile.write(path, np.zeros(44100, dtype=np.float32), 44100)
    with pytest.raises(MediaError, match=r"cd_quality\.wav is sampled at 44100 Hz; expected 16000 Hz"):
        media.load_audio(path)
    assert media.load_audio(path, resample=True).shape == (3, 1, 128, 204)


def test_stereo_is_averaged_to_mono(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    stereo = rng.uniform(-0.5, 0.5, (16000, 2)).astype(np.float32)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, stereo, 16000, subtype="FLOAT")
    assert np.allclose(media.read_wav_mono(path), stereo.mean(axis=1), atol=1e-7)


def test_garbage_audio_and_video(tmp_path: Path) -> None:
    (tmp_path / "noise.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    with pytest.raises(MediaError, match=r"noise\.wav cannot be read"):
        media.load_audio(tmp_path / "noise.wav")
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really")
    with pytest.raises(MediaError, match=r"clip\.mp4"):
        media.load_video(tmp_path / "clip.mp4")


def test_empty_audio(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    soundfile.write(path, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(MediaError, match=r"silence\.wav holds no samples"):
        media.load_audio(path)


@pytest.mark.parametrize("modality, shape", [("image", (3, 64, 64)), ("video", (2, 3, 224, 224)),
                                             ("audio", (1, 128, 204))])
def test_wrong_tensor_shapes(tiny_model: NextGPT, modality: str, shape: tuple[int, ...]) -> None:
    request = GenerationRequest(text="x", media=(MediaInput(modality, torch.zeros(shape)),))  # type: ignore[arg-type]
    with pytest.raises(MediaError, match=rf"a preprocessed {modality} must have shape .*got {re.escape(str(shape))}"):
        tiny_model.generate(request)


def test_nan_tensor(tiny_model: NextGPT) -> None:
    request = GenerationRequest(text="x", media=(MediaInput("image", torch.full((3, 224, 224), float("nan"))),))
    with pytest.raises(MediaError, match="NaN"):
        tiny_model.generate(request)


def test_unknown_modality() -> None:
    with pytest.raises(ConfigError, match="unknown modality 'text'; expected one of image, video, audio"):
        MediaInput("text", "a.txt")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="want: unknown modality 'smell'"):
        GenerationRequest.build("x", want=["smell"])
    with pytest.raises(MediaError, match="PIL image was given as audio"):
        MediaInput("audio", Image.new("RGB", (4, 4)))


def test_invalid_config_values_are_named() -> None:
    data = tiny().to_dict()
    data["lora"]["r"] = 0
    with pytest.raises(ConfigError, match=r"LoRAConfig\.r must be a positive integer, got 0"):
        NextGPTConfig.from_dict(data)
    data = tiny().to_dict()
    data["output_projections"]["audio"]["num_queries"] = 77
    with pytest.raises(ConfigError, match=r"audio\.num_queries must be 1"):
        NextGPTConfig.from_dict(data)


def test_config_round_trip() -> None:
    assert NextGPTConfig.from_dict(tiny().to_dict()) == tiny()
