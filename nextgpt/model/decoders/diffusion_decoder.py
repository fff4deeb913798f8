"""Frozen diffusion decoders driven by projected conditions instead of text prompts.

Each decoder keeps the components of one diffusers pipeline (UNet, VAE, text encoder, tokenizer, scheduler, and
for audio the vocoder) and builds the pipeline per call, passing the output projection's result as
``prompt_embeds``.  The text encoder and tokenizer are still needed: classifier-free guidance encodes the empty
negative prompt with them, exactly as the pipelines do for a text prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image
from torch import nn

from nextgpt.core.errors import ConfigError, MediaError
from nextgpt.core.modalities import Modality
from nextgpt.model.config import DecoderConfig


class DiffusionDecoder(nn.Module):
    modality: ClassVar[Modality]
    #: Names of the nn.Module components of the pipeline (counted in the parameter table).
    module_names: ClassVar[tuple[str, ...]] = ("unet", "vae", "text_encoder")

    def __init__(self, config: DecoderConfig, modules: dict[str, nn.Module], tokenizer: Any,
                 scheduler: Any) -> None:
        super().__init__()
        missing = [name for name in self.module_names if name not in modules]
        if missing:
            raise ValueError(f"{type(self).__name__}: missing component(s) {', '.join(missing)}")
        self.config = config
        self.components = nn.ModuleDict({name: modules[name] for name in self.module_names})
        self.tokenizer = tokenizer
        self.scheduler = scheduler

    def pipeline(self) -> Any:
        raise NotImplementedError

    def check_condition(self, condition: torch.Tensor, expected: tuple[int, ...]) -> None:
        if tuple(condition.shape[1:]) != expected:
            raise MediaError(f"{self.modality} decoder: condition must have shape (batch, "
                             f"{', '.join(map(str, expected))}), got {tuple(condition.shape)}")

    def _generator(self, seed: int | Sequence[int], batch: int) -> torch.Generator | list[torch.Generator]:
        """One generator for the whole batch (an int seed), or one per condition row (a seed per row: each
        output's initial noise is then what it would be decoded alone)."""
        device = next(self.components.parameters()).device
        if isinstance(seed, int):
            return torch.Generator(device=device).manual_seed(seed)
        if len(seed) != batch:
            raise ConfigError(f"{self.modality} decoder: {len(seed)} seeds for {batch} conditions")
        return [torch.Generator(device=device).manual_seed(s) for s in seed]

    @torch.no_grad()
    def decode(self, condition: torch.Tensor, *, seed: int | Sequence[int],
               num_inference_steps: int | None = None,
               guidance_scale: float | None = None) -> list[Any]:
        """One output per condition row (PIL image, (F, H, W, 3) uint8 frames, or 16 kHz float32 audio)."""
        raise NotImplementedError

    def _steps(self, num_inference_steps: int | None) -> int:
        """The step count (None: the config's), at most the scheduler's training timesteps (diffusers would
        fail deep inside the pipeline otherwise)."""
        steps = self.config.num_inference_steps if num_inference_steps is None else num_inference_steps
        limit = int(self.scheduler.config.num_train_timesteps)
        if not 1 <= steps <= limit:
            raise ConfigError(f"{self.modality} decoder: num_inference_steps must be from 1 to {limit} (the "
                              f"scheduler's training timesteps), got {steps}")
        return steps

    def _guidance(self, guidance_scale: float | None) -> float:
        return self.config.guidance_scale if guidance_scale is None else guidance_scale

    def _condition_dtype(self, condition: torch.Tensor) -> torch.Tensor:
        param = next(self.components["unet"].parameters())
        return condition.to(device=param.device, dtype=param.dtype)

    @property
    def condition_shape(self) -> tuple[int, ...]:
        """Text-encoder states, (tokens, width): what SD and Zeroscope take as ``prompt_embeds``."""
        text = self.components["text_encoder"].config
        return (text.max_position_embeddings, self.components["unet"].config.cross_attention_dim)

    def _run(self, condition: torch.Tensor, seed: int | Sequence[int], num_inference_steps: int | None,
             guidance_scale: float | None, **settings: Any) -> Any:
        """Check the condition and call the pipeline with it in place of an encoded text prompt."""
        self.check_condition(condition, self.condition_shape)
        return self.pipeline()(prompt_embeds=self._condition_dtype(condition),
                               num_inference_steps=self._steps(num_inference_steps),
                               guidance_scale=self._guidance(guidance_scale),
                               generator=self._generator(seed, condition.shape[0]),
                               **settings)


class ImageDecoder(DiffusionDecoder):
    """Stable Diffusion (1.5 in the paper): condition (B, 77, 768) = CLIP-L text-encoder states."""

    modality = "image"

    def pipeline(self) -> Any:
        from diffusers import StableDiffusionPipeline

        pipe = StableDiffusionPipeline(vae=self.components["vae"], text_encoder=self.components["text_encoder"],
                                       tokenizer=self.tokenizer, unet=self.components["unet"],
                                       scheduler=self.scheduler, safety_checker=None, feature_extractor=None,
                                       requires_safety_checker=False)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    @torch.no_grad()
    def decode(self, condition: torch.Tensor, *, seed: int | Sequence[int],
               num_inference_steps: int | None = None,
               guidance_scale: float | None = None) -> list[Image.Image]:
        out = self._run(condition, seed, num_inference_steps, guidance_scale, height=self.config.height,
                        width=self.config.width, output_type="pil")
        return list(out.images)


class VideoDecoder(DiffusionDecoder):
    """Zeroscope v2 576w (TextToVideoSD): condition (B, 77, 1024) = OpenCLIP-H text-encoder states."""

    modality = "video"

    def pipeline(self) -> Any:
        from diffusers import TextToVideoSDPipeline

        pipe = TextToVideoSDPipeline(vae=self.components["vae"], text_encoder=self.components["text_encoder"],
                                     tokenizer=self.tokenizer, unet=self.components["unet"],
                                     scheduler=self.scheduler)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    @torch.no_grad()
    def decode(self, condition: torch.Tensor, *, seed: int | Sequence[int],
               num_inference_steps: int | None = None,
               guidance_scale: float | None = None) -> list[np.ndarray]:
        out = self._run(condition, seed, num_inference_steps, guidance_scale, height=self.config.height,
                        width=self.config.width, num_frames=self.config.num_frames, output_type="np")
        frames = np.asarray(out.frames)  # (B, F, H, W, 3) floats in [0, 1]
        return [np.clip(np.rint(video * 255.0), 0, 255).astype(np.uint8) for video in frames]


class AudioDecoder(DiffusionDecoder):
    """AudioLDM (l-full in the paper): condition (B, 512) = an L2-normalised CLAP text embedding."""

    modality = "audio"
    module_names = ("unet", "vae", "text_encoder", "vocoder")

    @property
    def condition_shape(self) -> tuple[int, ...]:
        return (self.components["text_encoder"].config.projection_dim,)

    @property
    def sample_rate(self) -> int:
        return int(self.components["vocoder"].config.sampling_rate)

    def pipeline(self) -> Any:
        from diffusers import AudioLDMPipeline

        pipe = AudioLDMPipeline(vae=self.components["vae"], text_encoder=self.components["text_encoder"],
                                tokenizer=self.tokenizer, unet=self.components["unet"], scheduler=self.scheduler,
                                vocoder=self.components["vocoder"])
        pipe.set_progress_bar_config(disable=True)
        return pipe

    @torch.no_grad()
    def decode(self, condition: torch.Tensor, *, seed: int | Sequence[int],
               num_inference_steps: int | None = None,
               guidance_scale: float | None = None) -> list[np.ndarray]:
        out = self._run(condition, seed, num_inference_steps, guidance_scale,
                        audio_length_in_s=self.config.audio_length_s, output_type="np")
        return [np.asarray(wave, dtype=np.float32).reshape(-1) for wave in out.audios]


DECODER_CLASSES: dict[Modality, type[DiffusionDecoder]] = {
    "image": ImageDecoder, "video": VideoDecoder, "audio": AudioDecoder}
