"""The VGGish front end equals torchvggish's (Google's mel_features.py) on the same waveform.

The reference below re-implements mel_features.py / vggish_input.py step by step in numpy (framing with
as_strided, periodic Hann, rfft magnitude, HTK mel matrix with the DC row zeroed, log(mel + 0.01), 96-frame
examples), independently of the torch implementation under test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metrics.errors import MediaError
from metrics.extractors.vggish import VGGish, waveform_to_examples


def _frame(data, window_length, hop_length):
    num_samples = data.shape[0]
    num_frames = 1 + int(np.floor((num_samples - window_length) / hop_length))
    shape = (num_frames, window_length, *data.shape[1:])
    strides = (data.strides[0] * hop_length, *data.strides)
    return np.lib.stride_tricks.as_strided(data, shape=shape, strides=strides)


def _hertz_to_mel(f):
    return 1127.0 * np.log(1.0 + f / 700.0)


def _reference_examples(data, sample_rate=16000):
    window_length = round(sample_rate * 0.025)
    hop_length = round(sample_rate * 0.010)
    fft_length = 2 ** int(np.ceil(np.log(window_length) / np.log(2.0)))
    frames = _frame(data, window_length, hop_length)
    window = 0.5 - (0.5 * np.cos(2 * np.pi / window_length * np.arange(window_length)))
    spectrogram = np.abs(np.fft.rfft(frames * window, int(fft_length)))
    num_bins = spectrogram.shape[1]
    bins_mel = _hertz_to_mel(np.linspace(0.0, sample_rate / 2.0, num_bins))
    edges = np.linspace(_hertz_to_mel(125.0), _hertz_to_mel(7500.0), 64 + 2)
    weights = np.empty((num_bins, 64))
    for i in range(64):
        lower, center, upper = edges[i : i + 3]
        lower_slope = (bins_mel - lower) / (center - lower)
        upper_slope = (upper - bins_mel) / (upper - center)
        weights[:, i] = np.maximum(0.0, np.minimum(lower_slope, upper_slope))
    weights[0, :] = 0.0
    log_mel = np.log(np.dot(spectrogram, weights) + 0.01)
    return _frame(log_mel, 96, 96)


def test_front_end_matches_reference_on_same_waveform() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(int(16000 * 2.5)) / 16000.0
    waveform = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.normal(size=t.shape)
    expected = _reference_examples(waveform)
    ours = waveform_to_examples(torch.from_numpy(waveform))
    assert ours.shape == (expected.shape[0], 1, 96, 64) == (2, 1, 96, 64)
    np.testing.assert_allclose(ours[:, 0].numpy(), expected, rtol=1e-5, atol=1e-5)


def test_front_end_refuses_wrong_rate_short_and_stereo_input() -> None:
    with pytest.raises(MediaError, match="16000 Hz"):
        waveform_to_examples(torch.zeros(48000), sample_rate=48000)
    with pytest.raises(MediaError, match=r"shorter than one 0\.96 s"):
        waveform_to_examples(torch.zeros(8000))
    with pytest.raises(MediaError, match="mono"):
        waveform_to_examples(torch.zeros(2, 32000))


def test_vggish_parameter_layout_is_torchvggish() -> None:
    from metrics.extractors.base import ExtractorIdentity

    model = VGGish(ExtractorIdentity("vggish", True, None, 128, ""))
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == {
        "features.0.weight": (64, 1, 3, 3), "features.0.bias": (64,),
        "features.3.weight": (128, 64, 3, 3), "features.3.bias": (128,),
        "features.6.weight": (256, 128, 3, 3), "features.6.bias": (256,),
        "features.8.weight": (256, 256, 3, 3), "features.8.bias": (256,),
        "features.11.weight": (512, 256, 3, 3), "features.11.bias": (512,),
        "features.13.weight": (512, 512, 3, 3), "features.13.bias": (512,),
        "embeddings.0.weight": (4096, 12288), "embeddings.0.bias": (4096,),
        "embeddings.2.weight": (4096, 4096), "embeddings.2.bias": (4096,),
        "embeddings.4.weight": (128, 4096), "embeddings.4.bias": (128,),
    }
    out = model.extract(torch.zeros(2, 1, 96, 64))
    assert out.shape == (2, 128)
