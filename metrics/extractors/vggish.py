"""VGGish (Hershey et al. 2017) as a torch module, and its log-mel front end.

Architecture and parameter names follow the torchvggish port (``features.{0,3,6,8,11,13}``,
``embeddings.{0,2,4}``) so the canonical ``vggish-10086976.pth`` loads with ``strict=True``. For FAD the
128-d embedding is taken *before* the final ReLU and without PCA/quantisation (Google's FAD reference uses the
raw ``fc2`` output; torchvggish appends a ReLU, which would zero negative dimensions).

Front end (Google's ``vggish_input.py`` / ``mel_features.py``), written here in torch: 16 kHz mono float
waveform in [-1, 1] -> 25 ms periodic-Hann frames every 10 ms, 512-point FFT magnitude -> 64 HTK mel bands
(125-7500 Hz, DC bin zeroed) -> log(mel + 0.01) -> non-overlapping 96-frame (0.96 s) examples.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from metrics.defaults import VGGISH_SAMPLE_RATE
from metrics.errors import MediaError
from metrics.extractors.base import ExtractorIdentity, FeatureExtractor

STFT_WINDOW_SECONDS = 0.025
STFT_HOP_SECONDS = 0.010
NUM_MEL_BINS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96  # 0.96 s of 10 ms hops
MEL_BREAK_FREQUENCY_HERTZ = 700.0
MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(hertz: torch.Tensor) -> torch.Tensor:
    return MEL_HIGH_FREQUENCY_Q * torch.log(1.0 + hertz / MEL_BREAK_FREQUENCY_HERTZ)


def mel_matrix(num_spectrogram_bins: int, sample_rate: int = VGGISH_SAMPLE_RATE) -> torch.Tensor:
    """(num_spectrogram_bins, 64) triangular HTK-mel weights, float64."""
    nyquist = sample_rate / 2.0
    bins_mel = _hertz_to_mel(torch.linspace(0.0, nyquist, num_spectrogram_bins, dtype=torch.float64))
    edges = torch.linspace(
        float(_hertz_to_mel(torch.tensor(MEL_MIN_HZ, dtype=torch.float64))),
        float(_hertz_to_mel(torch.tensor(MEL_MAX_HZ, dtype=torch.float64))),
        NUM_MEL_BINS + 2,
        dtype=torch.float64,
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel[:, None] - lower[None, :]) / (center - lower)[None, :]
    falling = (upper[None, :] - bins_mel[:, None]) / (upper - center)[None, :]
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    weights[0, :] = 0.0  # HTK excludes the DC bin
    return weights


def _frames(signal: torch.Tensor, window: int, hop: int) -> torch.Tensor:
    if signal.shape[-1] < window:
        return signal.new_zeros((0, window))
    return signal.unfold(-1, window, hop)


def log_mel_spectrogram(waveform: torch.Tensor, sample_rate: int = VGGISH_SAMPLE_RATE) -> torch.Tensor:
    """(T,) float waveform -> (frames, 64) log-mel, float64."""
    window_length = round(sample_rate * STFT_WINDOW_SECONDS)
    hop_length = round(sample_rate * STFT_HOP_SECONDS)
    fft_length = 2 ** math.ceil(math.log2(window_length))
    frames = _frames(waveform.to(torch.float64), window_length, hop_length)
    periodic_hann = 0.5 - 0.5 * torch.cos(2 * math.pi / window_length *
                                          torch.arange(window_length, dtype=torch.float64))
    magnitude = torch.fft.rfft(frames * periodic_hann, n=fft_length).abs()
    mel = magnitude @ mel_matrix(fft_length // 2 + 1, sample_rate)
    return torch.log(mel + LOG_OFFSET)


def waveform_to_examples(waveform: torch.Tensor, sample_rate: int = VGGISH_SAMPLE_RATE) -> torch.Tensor:
    """(T,) 16 kHz mono waveform -> (n_examples, 1, 96, 64) float32 VGGish input."""
    if sample_rate != VGGISH_SAMPLE_RATE:
        raise MediaError(f"VGGish needs {VGGISH_SAMPLE_RATE} Hz audio, got {sample_rate} Hz; resample explicitly "
                         "(metrics.audio_files.load_audio(..., resample=True)) so the method is recorded")
    if waveform.ndim != 1:
        raise MediaError(f"VGGish needs a mono waveform of shape (T,), got {tuple(waveform.shape)}")
    log_mel = log_mel_spectrogram(waveform, sample_rate)
    if log_mel.shape[0] < EXAMPLE_FRAMES:
        raise MediaError(f"audio of {waveform.shape[0] / sample_rate:.3f} s is shorter than one 0.96 s VGGish "
                         "example; it cannot be embedded")
    examples = log_mel.unfold(0, EXAMPLE_FRAMES, EXAMPLE_FRAMES).permute(0, 2, 1)  # (n, 96, 64)
    return examples[:, None].to(torch.float32)


class VGGish(FeatureExtractor):
    """(N, 1, 96, 64) log-mel examples -> (N, 128) embeddings (no final ReLU, no PCA)."""

    def __init__(self, identity: ExtractorIdentity) -> None:
        super().__init__(identity)
        layers: list[nn.Module] = []
        in_channels = 1
        for item in (64, "M", 128, "M", 256, 256, "M", 512, 512, "M"):
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(in_channels, int(item), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                in_channels = int(item)
        self.features = nn.Sequential(*layers)
        self.embeddings = nn.Sequential(
            nn.Linear(512 * 4 * 6, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, 128),
        )

    def forward(self, examples: torch.Tensor) -> torch.Tensor:
        x = self.features(examples)
        x = x.permute(0, 2, 3, 1).contiguous()  # flatten in TF's NHWC order, as the ported weights expect
        return self.embeddings(x.reshape(x.shape[0], -1))
