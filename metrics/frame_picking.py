"""Which frames of a video a per-frame metric (CLIPSIM) scores: at most ``max_frames`` evenly spaced ones, the
first and the last included; a video of at most ``max_frames`` frames is kept whole.

One rule for ``nextgpt-bench score video`` and the ``clipsim`` evaluate module, so both score the same frames of
the same video. The frames are picked *before* they are decoded where the source allows it: a folder of frame
images has only its picked files read (a video file is decoded whole, as FFmpeg has no cheaper exact way).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from metrics.errors import MediaError
from metrics.image_files import list_images, load_image
from nextgpt.core.media import read_video


def evenly_spaced_indices(count: int, max_frames: int) -> list[int]:
    """The indices of the frames scored in a video of ``count`` frames: ``linspace(0, count - 1, k)`` rounded
    half to even, ``k = min(max_frames, count)``."""
    if count < 1:
        raise MediaError(f"a video needs at least one frame to pick from, got {count}")
    if max_frames < 1:
        raise MediaError(f"max_frames must be at least 1, got {max_frames}")
    return [int(i) for i in np.linspace(0, count - 1, min(max_frames, count)).round()]


def read_picked_frames(path: Path, max_frames: int) -> list[np.ndarray]:
    """The picked frames, RGB uint8 (H, W, 3), of the video file or folder of frame images at ``path``; a video
    without frames is a MediaError naming it."""
    if path.is_dir():
        files = list_images(path)  # an empty folder is an error naming it
        return [load_image(files[i]).permute(1, 2, 0).numpy() for i in evenly_spaced_indices(len(files), max_frames)]
    frames = read_video(path)
    if len(frames) == 0:
        raise MediaError(f"video {path} has no frames")
    return [frames[i] for i in evenly_spaced_indices(len(frames), max_frames)]
