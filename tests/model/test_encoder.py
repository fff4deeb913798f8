"""Our ImageBind front end against ImageBind's own code: same embeddings, same audio preprocessing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nextgpt.model.encoder import media
from nextgpt.model.encoder.imagebind_import import import_imagebind
from nextgpt.model.nextgpt_model import NextGPT


@pytest.mark.parametrize("modality, key, shape", [
    ("image", "vision", (2, 3, 224, 224)),
    ("video", "vision", (2, 3, 3, 2, 224, 224)),
    ("audio", "audio", (2, 3, 1, 128, 204)),
])
def test_pooled_embedding_equals_imagebind_forward(tiny_model: NextGPT, modality: str, key: str,
                                                   shape: tuple[int, ...]) -> None:
    batch = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    ours = tiny_model.encoder.encode(modality, batch)  # type: ignore[arg-type]
    with torch.no_grad():
        reference = tiny_model.encoder.model({key: batch})[key]
    assert torch.allclose(ours.pooled, reference, atol=1e-6)
    assert ours.grid.shape[0] == shape[0] and ours.grid.shape[-1] == tiny_model.config.encoder.out_embed_dim


def _imagebind_audio_reference(waveform: np.ndarray, clips: int) -> torch.Tensor:
    """imagebind.data.load_and_transform_audio_data without its file reading (torchaudio.load needs torchcodec)."""
    from pytorchvideo.data.clip_sampling import ConstantClipsPerVideoSampler
    from torchvision import transforms

    _, data = import_imagebind()
    wave = torch.from_numpy(waveform).unsqueeze(0)
    sampler = ConstantClipsPerVideoSampler(clip_duration=2, clips_per_video=clips)
    out = []
    for start, end in data.get_clip_timepoints(sampler, wave.size(1) / 16000):
        piece = wave[:, int(start * 16000):int(end * 16000)].clone()
        mel = data.waveform2melspec(piece, 16000, 128, 204)
        out.append(transforms.Normalize(mean=-4.268, std=9.138)(mel))
    return torch.stack(out)


@pytest.mark.parametrize("seconds, clips", [(5.3, 3), (2.0, 3), (7.0, 5)])
def test_audio_clips_equal_imagebind_preprocessing(seconds: float, clips: int) -> None:
    rng = np.random.default_rng(int(seconds * 10))
    waveform = (0.3 * rng.standard_normal(int(seconds * 16000))).astype(np.float32)
    ours = media.waveform_to_clips(waveform, clips)
    reference = _imagebind_audio_reference(waveform, clips)
    assert ours.shape == reference.shape == (clips, 1, 128, 204)
    assert torch.allclose(ours, reference, atol=1e-4)


def test_image_preprocessing_equals_imagebind(tmp_path: object) -> None:
    from PIL import Image

    _, data = import_imagebind()
    path = f"{tmp_path}/photo.png"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (300, 420, 3), dtype=np.uint8)).save(path)
    reference = data.load_and_transform_vision_data([path], "cpu")[0]
    assert torch.allclose(media.load_image(path), reference, atol=1e-6)
