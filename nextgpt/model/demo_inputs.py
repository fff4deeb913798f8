"""Small synthetic inputs for the any-to-any demo: a picture, a clip and a tone, drawn by the project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from nextgpt.core.media import write_video, write_wav


def red_circle_image(size: int = 96) -> Image.Image:
    image = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(image).ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), fill=(220, 30, 30))
    return image


def moving_square_frames(frames: int = 16, size: int = 64) -> np.ndarray:
    """A blue square sliding left to right over a white background: (frames, size, size, 3) uint8."""
    video = np.full((frames, size, size, 3), 255, dtype=np.uint8)
    side = size // 4
    for t in range(frames):
        x = int((size - side) * t / max(frames - 1, 1))
        video[t, size // 2 - side // 2:size // 2 + side // 2, x:x + side] = (30, 30, 220)
    return video


def tone(frequency: float = 440.0, seconds: float = 2.0, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def write_demo_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    image = folder / "red_circle.png"
    red_circle_image().save(image)
    video = write_video(moving_square_frames(), folder / "blue_square.mp4", fps=8)
    audio = write_wav(tone(), folder / "tone_440hz.wav")
    return {"image": image, "video": video, "audio": audio}
