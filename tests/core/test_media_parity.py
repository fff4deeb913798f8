"""Every reader and writer that nextgpt.core.media replaced gives the same arrays and bytes as before.

The pinned values were computed at commit 86ecb54, before the media module existed, with the readers and writers
it replaced: ``benchmarks/runner/media_codec.py`` (the store's encoders and the scorers', pairing's and trainer's
readers), ``nextgpt/model/encoder/media.py`` (the model's readers, and its ImageBind preprocessing on top),
``metrics/audio_files.py`` / ``metrics/image_files.py`` (the metric library's), and
``nextgpt/model/media_writers.py`` (the synthetic world's and the CLI's writers). Each is ``dtype(shape):`` plus the
first 16 hex digits of the sha256 of the array's bytes (or of the file's bytes), on the pinned stack of
pyproject.toml. The synthetic world is written afresh (2 samples, seed 0), so its files are checked too: the
default run's scores can only stay byte-identical if these do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from benchmarks.datasets import synthetic
from metrics.audio_files import load_audio as metrics_load_audio
from metrics.image_files import load_image as metrics_load_image
from nextgpt.core.media import (
    audio_sample_rate,
    decode_video,
    encode_audio,
    encode_image,
    encode_video,
    read_audio,
    read_image,
    read_media,
    read_video,
    write_png,
    write_video,
    write_wav,
)
from nextgpt.model.encoder import media as imagebind_media

#: world v3: the edit manifests gained the target's and source's attributes (every medium is unchanged)
WORLD_FILES = {
    "audio/edited-0000.wav": "5a6daa78f03f4275", "audio/edited-0001.wav": "94a2077418d5a4f8",
    "audio/tone-0000.wav": "fa776ecf2cd82a6a", "audio/tone-0001.wav": "23ffeb171a46f326",
    "audio.jsonl": "f32a86fa6e0ca32d", "audio_edits.jsonl": "e66e3f081d2d2064", "dialogues.jsonl": "082e80e75dfc18e4",
    "image_edits.jsonl": "24f0c0c7dc8efd69", "images.jsonl": "02f093bdd7e5511b",
    "images/edited-0000.png": "cb8bb79aa6053371", "images/edited-0001.png": "acd6ecf535f36c08",
    "images/scene-0000.png": "6456f5d6d08d075d", "images/scene-0001.png": "4ed26b69f0bda556",
    "video_edits.jsonl": "e04cfb359022d73d", "videos.jsonl": "cbccba4ce3549c81",
    "videos/edited-0000.mp4": "51071621f628269d", "videos/edited-0001.mp4": "b33338d64f4279d8",
    "videos/motion-0000.mp4": "e36daa3b1106acfc", "videos/motion-0001.mp4": "716c117815c8cb25",
    "world.json": "8d593278f1f2f283",
}
#: file -> (what media_codec / the model encoder read, what the metric library read)
IMAGES = {
    "images/edited-0000.png": ("uint8(64, 64, 3):47ed63a9852e3d7d", "uint8(3, 64, 64):10e9841525f63569"),
    "images/edited-0001.png": ("uint8(64, 64, 3):465aac93c427f0d0", "uint8(3, 64, 64):260a61c4c24d3ef9"),
    "images/scene-0000.png": ("uint8(64, 64, 3):8c107641c18e1f6c", "uint8(3, 64, 64):e42190ea3f6300c8"),
    "images/scene-0001.png": ("uint8(64, 64, 3):8180f5e6b6679b39", "uint8(3, 64, 64):2f2510383e4d4246"),
}
#: file -> what media_codec.read_video and the encoder's read_video_frames (at 4 fps) read
VIDEOS = {
    "videos/edited-0000.mp4": "uint8(8, 64, 64, 3):a05f269367e41bd7",
    "videos/edited-0001.mp4": "uint8(8, 64, 64, 3):5f4ab1befff257b8",
    "videos/motion-0000.mp4": "uint8(8, 64, 64, 3):c7bf0979f8f779e9",
    "videos/motion-0001.mp4": "uint8(8, 64, 64, 3):3fc5e8289d25d4f1",
}
#: file -> (what media_codec.read_audio and the encoder's read_wav_mono read, what the metric library read)
AUDIO = {
    "audio/edited-0000.wav": ("float32(32000,):71b634ae57b6dc95", "float64(32000,):a7d91576f64102a7"),
    "audio/edited-0001.wav": ("float32(32000,):7d14b877bcbd1488", "float64(32000,):20d3a66bfcff78d8"),
    "audio/tone-0000.wav": ("float32(32000,):409a8a609376d862", "float64(32000,):755f9d081558f839"),
    "audio/tone-0001.wav": ("float32(32000,):1cf26f96385d643b", "float64(32000,):26fefb91ee5f9974"),
}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _array(values: np.ndarray | torch.Tensor) -> str:
    array = values.numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    return f"{array.dtype}{array.shape}:" + _digest(np.ascontiguousarray(array).tobytes())


def _float_wav(data: bytes) -> str:
    """A float WAV's digest without its PEAK chunk's timestamp: libsndfile writes the current time there, so
    the store's WAV bytes differed between two writes of the same samples before this module existed too."""
    assert data[48:52] == b"PEAK"
    return _digest(data[:60] + bytes(4) + data[64:])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic.synthetic_world_folder(2, seed=0, split="test", cache_dir=tmp_path_factory.mktemp("cache"))


def test_the_synthetic_world_writes_the_same_files(world: Path) -> None:
    written = {str(p.relative_to(world)): _digest(p.read_bytes()) for p in world.rglob("*") if p.is_file()}
    assert written == WORLD_FILES


@pytest.mark.parametrize("name", IMAGES)
def test_image_readers(world: Path, name: str) -> None:
    path = world / name
    pixels, channels_first = IMAGES[name]
    assert _array(read_image(path)) == _array(read_media("image", path)) == pixels
    assert _array(metrics_load_image(path)) == channels_first


@pytest.mark.parametrize("name", VIDEOS)
def test_video_readers(world: Path, name: str) -> None:
    path = world / name
    frames, fps = decode_video(path)
    assert _array(read_video(path)) == _array(read_media("video", path)) == _array(frames) == VIDEOS[name]
    assert fps == 4.0


@pytest.mark.parametrize("name", AUDIO)
def test_audio_readers(world: Path, name: str) -> None:
    path = world / name
    mono, metric = AUDIO[name]
    samples, rate = read_audio(path)
    assert rate == 16000
    assert _array(samples) == _array(read_media("audio", path, sample_rate=16000)) == mono
    assert _array(imagebind_media.read_wav_mono(path)) == mono
    assert _array(metrics_load_audio(path)) == metric


def test_imagebind_preprocessing_of_the_world_is_unchanged(world: Path) -> None:
    assert _array(imagebind_media.load_image(world / "images/scene-0000.png")) == (
        "float32(3, 224, 224):26eed919e4ffaf87")
    assert _array(imagebind_media.load_video(world / "videos/motion-0000.mp4")) == (
        "float32(15, 3, 2, 224, 224):560e39e0be8a2390")
    assert _array(imagebind_media.load_audio(world / "audio/tone-0000.wav")) == (
        "float32(3, 1, 128, 204):bcf3ac68b6f7e286")


def test_the_store_encoders_write_the_same_bytes_and_read_back_the_same_arrays(tmp_path: Path) -> None:
    world = synthetic.SyntheticWorld(0)
    scene = world.scene("images", 0)
    video = synthetic.render_video(scene)
    frozen = np.concatenate([video[:3], np.repeat(video[3:4], 5, axis=0)])
    tone = synthetic.render_tone(world.tone("audio", 0))
    image_bytes = encode_image(synthetic.draw_scene(scene))
    assert _digest(image_bytes) == "6456f5d6d08d075d"
    (tmp_path / "i.png").write_bytes(image_bytes)
    assert _array(read_image(tmp_path / "i.png")) == "uint8(64, 64, 3):8c107641c18e1f6c"
    for name, frames, stored, read in [
        ("video", video, "d2f8647e142865ab", "uint8(8, 64, 64, 3):a3892a0899e40832"),
        ("frozen", frozen, "fa6f7837dc282490", "uint8(8, 64, 64, 3):443db4e241c2f682"),
        ("still", np.repeat(video[:1], 4, axis=0), "14fb5f0ac504d061", "uint8(4, 64, 64, 3):ed53af0fb29cf95b"),
    ]:
        data = encode_video(frames)
        assert _digest(data) == stored, name
        (tmp_path / f"{name}.apng").write_bytes(data)
        assert _array(read_video(tmp_path / f"{name}.apng")) == read, name
    for name, samples, rate, stored, read in [
        ("audio", tone, 16000, "0863ad1fa496ecd7", "float32(32000,):01e99b22af1d8bb1"),
        ("audio22k", tone[:11025], 22050, "a33b5f0516d0cffc", "float32(11025,):7e266ef831440570"),
    ]:
        data = encode_audio(samples, rate)
        assert _float_wav(data) == stored, name
        (tmp_path / f"{name}.wav").write_bytes(data)
        assert _array(read_audio(tmp_path / f"{name}.wav")[0]) == read
        assert audio_sample_rate(tmp_path / f"{name}.wav") == rate


def test_the_file_writers_write_the_same_bytes(tmp_path: Path) -> None:
    world = synthetic.SyntheticWorld(0)
    scene = world.scene("images", 0)
    video = synthetic.render_video(scene)
    tone = synthetic.render_tone(world.tone("audio", 0))
    written = {
        "png": write_png(synthetic.draw_scene(scene), tmp_path / "w.png"),
        "mp4": write_video(video, tmp_path / "w.mp4", fps=4),
        "gif": write_video(video[:, :63, :63], tmp_path / "odd.mp4", fps=4),
        "wav": write_wav(tone * 3, tmp_path / "w.wav", 16000),
    }
    assert {name: (path.suffix, _digest(path.read_bytes())) for name, path in written.items()} == {
        "png": (".png", "6456f5d6d08d075d"), "mp4": (".mp4", "7bc0e4078c2fb1c3"),
        "gif": (".gif", "918595097cb47e36"), "wav": (".wav", "2f1df05fde425feb")}


def test_the_metric_librarys_resampling_is_unchanged(tmp_path: Path) -> None:
    """FAD's reference behaviour: 44.1 kHz read in float64 and resampled with resample_poly, as before. (The
    model's ``resample=True`` used torchaudio's sinc before and now uses this resampler too.)"""
    t = np.arange(44100) / 44100
    soundfile.write(tmp_path / "cd.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 44100,
                    subtype="FLOAT")
    assert _array(metrics_load_audio(tmp_path / "cd.wav", resample=True)) == "float64(16000,):3d84488930413654"
    assert _array(read_audio(tmp_path / "cd.wav", 16000, resample=True, dtype="float64")[0]) == (
        "float64(16000,):3d84488930413654")
