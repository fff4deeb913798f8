"""Train the tiny HiFi-GAN vocoder (``SpeechT5HifiGan``) of the audio decoder: log-mel -> waveform.

No discriminator: a multi-resolution STFT loss (spectral convergence + log-magnitude L1 at three FFT sizes, as
in Parallel WaveGAN) carries the pitch and the envelope, and a small waveform L1 term anchors the phase.  The
inputs are jittered with Gaussian noise so that the vocoder also reads the slightly off spectrograms that the
VAE decodes from generated latents.  Training runs on random crops of the spectrograms.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

import torch
import torch.nn.functional as F

from nextgpt.training.latent_diffusion import _schedule
from nextgpt.training.schedule import PretrainingSchedule, freeze, log_step, optimiser_step

FFT_SIZES = (256, 512, 1024)


@dataclass(frozen=True)
class VocoderTraining(PretrainingSchedule):
    crop_frames: int = 16
    input_noise: float = 0.3
    waveform_weight: float = 0.5


def stft_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Multi-resolution STFT loss of (B, samples) waveforms."""
    total = prediction.new_zeros(())
    for n_fft in FFT_SIZES:
        window = torch.hann_window(n_fft)
        spectra = [torch.stft(wave, n_fft, hop_length=n_fft // 4, window=window, return_complex=True).abs()
                   for wave in (prediction, target)]
        predicted, wanted = (torch.clamp(s, min=1e-5) for s in spectra)
        convergence = torch.linalg.norm(wanted - predicted) / torch.linalg.norm(wanted)
        total = total + convergence + F.l1_loss(torch.log(predicted), torch.log(wanted))
    return total / len(FFT_SIZES)


def train_vocoder(vocoder: Any, mels: torch.Tensor, waves: torch.Tensor, config: VocoderTraining, *,
                  progress: TextIO | None = sys.stderr) -> list[float]:
    """``mels`` (N, 1, frames, bins) and ``waves`` (N, frames * hop); returns the loss per step."""
    torch.manual_seed(config.seed)
    vocoder.train()
    parameters = list(vocoder.parameters())
    for param in parameters:
        param.requires_grad_(True)
    optimizer, schedule = _schedule(config, parameters)
    generator = torch.Generator().manual_seed(config.seed)
    spectra = mels[:, 0]
    frames = spectra.shape[1]
    hop = waves.shape[1] // frames
    crop = min(config.crop_frames, frames)
    losses: list[float] = []
    started = time.perf_counter()
    for step in range(1, config.steps + 1):
        rows = torch.randint(len(spectra), (config.batch_size,), generator=generator)
        starts = torch.randint(frames - crop + 1, (config.batch_size,), generator=generator)
        inputs = torch.stack([spectra[r, s:s + crop] for r, s in zip(rows.tolist(), starts.tolist())])
        inputs = inputs + config.input_noise * torch.randn(inputs.shape, generator=generator)
        targets = torch.stack([waves[r, s * hop:(s + crop) * hop] for r, s in zip(rows.tolist(), starts.tolist())])
        predicted = vocoder(inputs)
        loss = stft_loss(predicted, targets) + config.waveform_weight * F.l1_loss(predicted, targets)
        losses.append(optimiser_step(loss, optimizer, schedule, parameters))
        log_step(progress, "audio vocoder", step, config, losses[-1], started)
    freeze(vocoder)
    return losses
