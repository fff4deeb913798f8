"""The two trainings of a tiny latent diffusion decoder: its VAE, then its UNet jointly with its text encoder.

* ``train_autoencoder``: reconstruction (L1 + MSE) plus a small KL term, on the decoder's own renders; then
  ``scaling_factor`` is set so that scaled latents have unit standard deviation (SD's 0.18215 plays that role).
* ``train_denoiser``: the DDPM loss of the scheduler's prediction type (v-prediction here) on the scaled latents,
  the text encoder learning with the UNet; a share of the captions is replaced by the empty caption so that
  classifier-free guidance (which encodes the empty negative prompt) has an unconditional model to step away from.

Latents are encoded once (posterior mean and standard deviation) and sampled per step, so the VAE encoder does
not run in the denoiser's loop.  Media and latents may have any layout (images, clips, spectrograms): the loop
only samples rows.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import torch
import torch.nn.functional as F

from nextgpt.core.errors import ConfigError
from nextgpt.training.schedule import PretrainingSchedule, freeze, log_step, optimiser_step

#: maps token ids and attention mask (B, L) to the UNet's conditioning keyword arguments
Conditioning = Callable[[torch.Tensor, torch.Tensor], dict[str, Any]]


@dataclass(frozen=True)
class AutoencoderTraining(PretrainingSchedule):
    kl_weight: float = 1e-4
    #: train on random square crops of this side (0: whole renders); a convolutional VAE learns the same local
    #: reconstruction from a quarter of the pixels, four times faster
    crop_size: int = 0
    #: weight of the pixels that differ from the render's corner pixel (its background) in the reconstruction
    #: loss: a shape covers 2-20% of a render, and without this its colour is learnt last (the decoder first
    #: paints every shape in the mean colour of all shapes)
    foreground_weight: float = 1.0


@dataclass(frozen=True)
class DenoiserTraining(PretrainingSchedule):
    #: share of training captions replaced by "" (the unconditional model of classifier-free guidance)
    empty_caption_rate: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.empty_caption_rate < 1:
            raise ConfigError(f"DenoiserTraining.empty_caption_rate must be in [0, 1), got {self.empty_caption_rate}")


def _schedule(config: PretrainingSchedule, parameters: list[torch.nn.Parameter]
              ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """AdamW, 5% warm-up, then cosine decay to a tenth of the rate."""
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    warmup = max(1, config.steps // 20)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, config.steps - warmup)
        return 0.1 + 0.45 * (1 + float(np.cos(np.pi * min(progress, 1.0))))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def train_autoencoder(vae: Any, data: torch.Tensor, config: AutoencoderTraining, *, label: str,
                      progress: TextIO | None = sys.stderr) -> list[float]:
    """Train ``vae`` (an AutoencoderKL) to reconstruct rows of ``data`` (N, C, H, W); returns the loss per step
    and leaves the VAE frozen with its ``scaling_factor`` set."""
    torch.manual_seed(config.seed)
    _narrow_initial_posterior(vae)
    vae.train()
    parameters = [p for p in vae.parameters()]
    for param in parameters:
        param.requires_grad_(True)
    optimizer, schedule = _schedule(config, parameters)
    generator = torch.Generator().manual_seed(config.seed)
    losses: list[float] = []
    started = time.perf_counter()
    for step in range(1, config.steps + 1):
        batch = _crop(data[torch.randint(len(data), (min(config.batch_size, len(data)),), generator=generator)],
                      config.crop_size, generator)
        posterior = vae.encode(batch).latent_dist
        reconstruction = vae.decode(posterior.sample()).sample
        weights = _foreground_weights(batch, config.foreground_weight)
        error = (reconstruction - batch).abs()
        loss = ((weights * (error + error**2)).mean() / weights.mean()
                + config.kl_weight * posterior.kl().mean() / batch[0].numel())
        losses.append(optimiser_step(loss, optimizer, schedule, parameters))
        log_step(progress, f"{label} autoencoder", step, config, losses[-1], started)
    freeze(vae)
    mean, _ = encode_posteriors(vae, data)
    vae.register_to_config(scaling_factor=float(1.0 / mean.std()))
    return losses


@torch.no_grad()
def _narrow_initial_posterior(vae: Any, log_variance: float = -10.0) -> None:
    """Start the posterior's log-variance at ``log_variance`` (std 0.007) instead of ~0 (std 1).  A fresh encoder's
    means are small, so unit-variance samples would drown them and the decoder would first learn only the mean
    colour of the data; from a narrow posterior it learns as a plain autoencoder, and the small KL term keeps the
    latents bounded."""
    quant = vae.quant_conv
    if quant is None:
        return
    channels = quant.out_channels // 2
    quant.weight[channels:].zero_()
    quant.bias[channels:].fill_(log_variance)


def _foreground_weights(batch: torch.Tensor, weight: float) -> torch.Tensor:
    """(B, 1, H, W): ``weight`` where a pixel differs from the top-left pixel of its render, else 1."""
    if weight == 1.0:
        return torch.ones_like(batch[:, :1])
    differs = (batch - batch[..., :1, :1]).abs().amax(dim=1, keepdim=True) > 0.1
    return 1.0 + (weight - 1.0) * differs.to(batch.dtype)


def _crop(batch: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """One random ``size`` x ``size`` window per batch (the whole batch when ``size`` is 0 or too large)."""
    height, width = batch.shape[-2:]
    if size <= 0 or (size >= height and size >= width):
        return batch
    top = int(torch.randint(max(1, height - size + 1), (1,), generator=generator))
    left = int(torch.randint(max(1, width - size + 1), (1,), generator=generator))
    return batch[..., top:top + size, left:left + size]


@torch.no_grad()
def encode_posteriors(vae: Any, data: torch.Tensor, batch_size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Unscaled posterior means and standard deviations of ``data`` (N, C, H, W)."""
    means, stds = [], []
    for start in range(0, len(data), batch_size):
        posterior = vae.encode(data[start:start + batch_size]).latent_dist
        means.append(posterior.mean)
        stds.append(posterior.std)
    return torch.cat(means), torch.cat(stds)


def caption_token_ids(tokenizer: Any, captions: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention masks (N, K, L) of K paraphrases per row, padded as the pipelines pad a prompt."""
    width = max(len(row) for row in captions)
    flat = [row[k % len(row)] for row in captions for k in range(width)]
    tokens = tokenizer(flat, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                       return_tensors="pt")
    shape = (len(captions), width, -1)
    return tokens.input_ids.reshape(shape), tokens.attention_mask.reshape(shape)


def train_denoiser(unet: Any, text_encoder: Any, scheduler: Any, latents: tuple[torch.Tensor, torch.Tensor],
                   tokens: tuple[torch.Tensor, torch.Tensor], empty: tuple[torch.Tensor, torch.Tensor],
                   conditioning: Conditioning, config: DenoiserTraining, *, label: str,
                   progress: TextIO | None = sys.stderr) -> list[float]:
    """Train ``unet`` and ``text_encoder`` together on scaled latents (mean, std; any layout with rows first)
    and their captions' tokens (ids, masks of shape (N, K, L)); ``empty`` is the empty caption's (ids, mask)
    of shape (L,).  Returns the loss per step; both modules are frozen afterwards."""
    torch.manual_seed(config.seed)
    modules = (unet, text_encoder)
    parameters = [p for module in modules for p in module.parameters()]
    for module in modules:
        module.train()
    for param in parameters:
        param.requires_grad_(True)
    optimizer, schedule = _schedule(config, parameters)
    generator = torch.Generator().manual_seed(config.seed + 1)
    mean, std = latents
    ids, masks = tokens
    prediction_type = scheduler.config.prediction_type
    steps_total = int(scheduler.config.num_train_timesteps)
    losses: list[float] = []
    started = time.perf_counter()
    for step in range(1, config.steps + 1):
        size = min(config.batch_size, len(mean))
        rows = torch.randint(len(mean), (size,), generator=generator)
        clean = mean[rows] + std[rows] * torch.randn(mean[rows].shape, generator=generator)
        paraphrase = torch.randint(ids.shape[1], (size,), generator=generator)
        batch_ids, batch_mask = ids[rows, paraphrase], masks[rows, paraphrase]
        dropped = torch.rand(size, generator=generator) < config.empty_caption_rate
        batch_ids = torch.where(dropped[:, None], empty[0][None], batch_ids)
        batch_mask = torch.where(dropped[:, None], empty[1][None], batch_mask)
        noise = torch.randn(clean.shape, generator=generator)
        timesteps = torch.randint(steps_total, (size,), generator=generator)
        noisy = scheduler.add_noise(clean, noise, timesteps)
        target = scheduler.get_velocity(clean, noise, timesteps) if prediction_type == "v_prediction" else noise
        prediction = unet(noisy, timesteps, **conditioning(batch_ids, batch_mask)).sample
        loss = F.mse_loss(prediction, target)
        losses.append(optimiser_step(loss, optimizer, schedule, parameters))
        log_step(progress, f"{label} denoiser", step, config, losses[-1], started)
    for module in modules:
        freeze(module)
    return losses
