"""The paper's training losses.

* language modelling: next-token cross-entropy on the answer tokens (stage 2: only the signal tokens);
* caption alignment (stages 2, 3): mean squared error between the output projection's condition and the decoder's
  own text encoding of the caption -- CLIP text states (77 x D) for SD / Zeroscope, the L2-normalised CLAP text
  embedding for AudioLDM -- i.e. what the decoder would have been given for that caption as a text prompt;
* conditional latent denoising (stage 2): the frozen UNet, conditioned on the projected condition, predicts the
  noise added to the VAE latent of the real medium (or the velocity, for a v-prediction scheduler such as the
  pre-trained tiny decoders'); weighted per sample by min-SNR (Hang et al. 2023, ``min(SNR, gamma) / SNR`` for
  epsilon prediction, ``min(SNR, gamma) / (SNR + 1)`` for v-prediction, gamma 5).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nextgpt.core.modalities import Modality

IGNORE = -100


def language_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over labelled positions (labels aligned with inputs)."""
    shifted_logits = logits[:, :-1].reshape(-1, logits.shape[-1]).float()
    shifted_labels = labels[:, 1:].reshape(-1)
    if not bool((shifted_labels != IGNORE).any()):
        return logits.sum() * 0.0
    return F.cross_entropy(shifted_logits, shifted_labels, ignore_index=IGNORE)


@torch.no_grad()
def caption_targets(decoder: Any, modality: Modality, captions: list[str]) -> torch.Tensor:
    """The decoder's own conditioning for ``captions`` (what its pipeline computes from a text prompt)."""
    text_encoder, tokenizer = decoder.components["text_encoder"], decoder.tokenizer
    device = next(text_encoder.parameters()).device
    tokens = tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                       return_tensors="pt").to(device)
    if modality == "audio":
        embeds = text_encoder(tokens.input_ids, attention_mask=tokens.attention_mask).text_embeds
        return F.normalize(embeds, dim=-1)
    return text_encoder(tokens.input_ids).last_hidden_state


def alignment_loss(conditions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(conditions.float(), targets.float())


# ------------------------------------------------------------------------------------------- denoising
def resize_pixels(frames: np.ndarray, height: int, width: int) -> torch.Tensor:
    """(N, H, W, 3) uint8 -> (N, 3, height, width) in [-1, 1]."""
    pixels = torch.from_numpy(np.array(frames, dtype=np.uint8)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    return F.interpolate(pixels, size=(height, width), mode="bilinear", align_corners=False, antialias=True)


def audio_log_mel(waveform: np.ndarray, vocoder_config: Any, frames: int) -> torch.Tensor:
    """AudioLDM's VAE input: log-mel (1, frames, n_mels) with the vocoder's hop (its total upsampling) and mel
    count, n_fft 1024, fmax 8 kHz, log of max(x, 1e-5); cropped or zero-padded to ``frames``."""
    import torchaudio

    hop = int(np.prod(vocoder_config.upsample_rates))
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=vocoder_config.sampling_rate, n_fft=1024, win_length=1024, hop_length=hop, f_min=0.0,
        f_max=8000.0, n_mels=vocoder_config.model_in_dim, power=1.0, norm="slaney", mel_scale="slaney")
    spectrum = torch.log(torch.clamp(mel(torch.from_numpy(waveform.astype(np.float32))), min=1e-5)).T
    if spectrum.shape[0] < frames:
        spectrum = F.pad(spectrum, (0, 0, 0, frames - spectrum.shape[0]), value=float(np.log(1e-5)))
    return spectrum[:frames].unsqueeze(0)


def target_latents(decoder: Any, modality: Modality, media: list[Any], generator: torch.Generator) -> torch.Tensor:
    """VAE latents of real media at the decoder's output size."""
    vae = decoder.components["vae"]
    config = decoder.config
    device, dtype = next(vae.parameters()).device, next(vae.parameters()).dtype
    if modality == "image":
        pixels = torch.cat([resize_pixels(m[None], config.height, config.width) for m in media])
    elif modality == "video":
        picks = [m[np.linspace(0, len(m) - 1, config.num_frames).round().astype(int)] for m in media]
        pixels = torch.cat([resize_pixels(p, config.height, config.width) for p in picks])
    else:
        vocoder = decoder.components["vocoder"].config
        frames = int(config.audio_length_s * vocoder.sampling_rate / np.prod(vocoder.upsample_rates))
        scale = 2 ** (len(vae.config.block_out_channels) - 1)
        frames = int(np.ceil(frames / scale) * scale)
        pixels = torch.stack([audio_log_mel(m, vocoder, frames) for m in media])
    posterior = vae.encode(pixels.to(device=device, dtype=dtype)).latent_dist
    latents = posterior.sample(generator=generator) * vae.config.scaling_factor
    if modality == "video":  # (B*F, C, h, w) -> (B, C, F, h, w), the UNet3D layout
        latents = latents.reshape(len(media), config.num_frames, *latents.shape[1:]).permute(0, 2, 1, 3, 4)
    return latents


def denoising_loss(decoder: Any, modality: Modality, conditions: torch.Tensor, media: list[Any],
                   generator: torch.Generator, snr_gamma: float = 5.0) -> torch.Tensor:
    """Min-SNR weighted denoising loss (the scheduler's prediction type) of the frozen UNet conditioned on
    ``conditions``."""
    from diffusers import DDPMScheduler

    unet = decoder.components["unet"]
    with torch.no_grad():
        latents = target_latents(decoder, modality, media, generator)
    scheduler = DDPMScheduler.from_config(decoder.scheduler.config)
    noise = torch.randn(latents.shape, generator=generator, device=latents.device, dtype=latents.dtype)
    steps = torch.randint(0, scheduler.config.num_train_timesteps, (latents.shape[0],), generator=generator,
                          device=latents.device)
    noisy = scheduler.add_noise(latents, noise, steps)
    condition = conditions.to(latents.dtype)
    if modality == "audio":
        prediction = unet(noisy, steps, encoder_hidden_states=None, class_labels=condition).sample
    else:
        prediction = unet(noisy, steps, encoder_hidden_states=condition).sample
    alphas = scheduler.alphas_cumprod.to(latents.device)[steps]
    snr = alphas / (1 - alphas)
    if scheduler.config.prediction_type == "v_prediction":  # the pre-trained tiny decoders (zero terminal SNR)
        target = scheduler.get_velocity(latents, noise, steps)
        weights = torch.clamp(snr, max=snr_gamma) / (snr + 1)
    else:
        target = noise
        weights = torch.clamp(snr, max=snr_gamma) / torch.clamp(snr, min=1e-8)
    per_sample = F.mse_loss(prediction.float(), target.float(), reduction="none").flatten(1).mean(1)
    return (weights * per_sample).mean()
