"""Write generated media: PNG images, MP4 (or GIF) videos, 16-bit PCM WAV audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_png(image: Image.Image, path: str | Path) -> Path:
    path = Path(path)
    image.save(path, format="PNG")
    return path


def write_video(frames: np.ndarray, path: str | Path, fps: int = 8) -> Path:
    """(F, H, W, 3) uint8 -> ``path``; ``.mp4`` is encoded with FFmpeg's MPEG-4 codec, ``.gif`` with Pillow.
    MPEG-4 needs even frame sizes; other sizes fall back to GIF (the returned path says which)."""
    path = Path(path)
    frames = np.asarray(frames, dtype=np.uint8)
    height, width = frames.shape[1:3]
    if path.suffix.lower() == ".mp4" and height % 2 == 0 and width % 2 == 0:
        import av

        with av.open(str(path), mode="w") as container:
            stream = container.add_stream("mpeg4", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"qscale": "2"}
            for frame in frames:
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            container.mux(stream.encode())
        return path
    path = path.with_suffix(".gif")
    pictures = [Image.fromarray(frame) for frame in frames]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=int(1000 / fps), loop=0)
    return path


def write_wav(samples: np.ndarray, path: str | Path, sample_rate: int = 16000) -> Path:
    """Mono float samples in [-1, 1] -> 16-bit PCM WAV (values outside are clipped)."""
    import soundfile

    path = Path(path)
    soundfile.write(str(path), np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0), sample_rate,
                    subtype="PCM_16")
    return path
