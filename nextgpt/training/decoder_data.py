"""Training renders of the synthetic world's train split for the decoder pre-training, held in memory.

Images and clips are rendered straight from the world's scene descriptions (no files), resized to the decoders'
output size exactly as stage 2 resizes real media (``losses.resize_pixels``); tones become the log-mel
spectrograms that AudioLDM's VAE reads (``losses.audio_log_mel``) and the waveforms the vocoder must reproduce.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from benchmarks.datasets import synthetic
from nextgpt.training.losses import audio_log_mel, resize_pixels


@dataclass(frozen=True)
class CaptionedRenders:
    """``media[i]`` with its reference captions ``captions[i]``: images (N, 3, H, W) in [-1, 1], clips
    (N, F, 3, H, W) in [-1, 1], or log-mels (N, 1, frames, mel bins); ``waves`` (N, samples) for tones only."""

    media: torch.Tensor
    captions: tuple[tuple[str, ...], ...]
    waves: torch.Tensor | None = None


def _train_scenes(kind: str, count: int, seed: int) -> list[synthetic.Scene]:
    world = synthetic.SyntheticWorld(seed, "train")
    return [world.scene(kind, index) for index in range(count)]


def image_renders(count: int, seed: int, size: int) -> CaptionedRenders:
    scenes = _train_scenes("images", count, seed)
    frames = np.stack([np.asarray(synthetic.draw_scene(scene)) for scene in scenes])
    return CaptionedRenders(resize_pixels(frames, size, size),
                            tuple(tuple(synthetic.image_captions(scene)) for scene in scenes))


def video_renders(count: int, seed: int, size: int, num_frames: int) -> CaptionedRenders:
    """Clips of ``num_frames`` frames picked evenly from the world's videos, as stage 2 picks them."""
    scenes = _train_scenes("videos", count, seed)
    picks = np.linspace(0, synthetic.VIDEO_FRAMES - 1, num_frames).round().astype(int)
    clips = torch.stack([resize_pixels(synthetic.render_video(scene)[picks], size, size) for scene in scenes])
    return CaptionedRenders(clips, tuple(tuple(synthetic.video_captions(scene)) for scene in scenes))


def tone_renders(vocoder_config: Any, frames: int) -> CaptionedRenders:
    """Every tone of the world (3 pitches x 4 patterns; a tone is a pure function of its two attributes, so the
    train split holds no others), zero-padded or cut to ``frames`` vocoder frames."""
    tones = [synthetic.Tone(pitch, pattern)
             for pitch, pattern in itertools.product(synthetic.PITCHES, synthetic.PATTERNS)]
    samples = frames * int(np.prod(vocoder_config.upsample_rates))
    waves = np.zeros((len(tones), samples), dtype=np.float32)
    for row, tone in enumerate(tones):
        wave = synthetic.render_tone(tone)[:samples]
        waves[row, :len(wave)] = wave
    mels = torch.stack([audio_log_mel(wave, vocoder_config, frames) for wave in waves])
    return CaptionedRenders(mels, tuple(tuple(synthetic.audio_captions(tone)) for tone in tones),
                            torch.from_numpy(waves))
