"""Reading a synthetic-world video back into its attributes: background, colour, shape and motion direction.

The world's videos move one shape of an image scene left, right, up or down by 0.3 of the frame over the clip
(benchmarks/datasets/synthetic.py).  Each frame is read as an image (benchmarks/datasets/verifiers/image.py):

* background: the median colour of the border pixels of every frame, named by the nearest background colour;
* motion: the object's centre of mass is found in every frame and a straight line fitted to its track; the
  larger of the horizontal and vertical displacements over the clip gives the direction ("none" when the object
  moves by less than ``MIN_TRAVEL`` of the frame, or is found in fewer than two frames);
* colour and shape: read on the frames nearest the middle of the clip where the object does not reach the border
  (it may be cut off there at the start or end of a clip; when it reaches the border in every frame, every frame
  counts), the most frequent reading winning (ties: the frame nearest the middle).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from benchmarks.datasets.synthetic import BACKGROUNDS, MOTIONS
from benchmarks.datasets.verifiers.image import (
    MIN_SIDE,
    SceneObject,
    as_rgb_array,
    background_colour,
    border_pixels,
    describe_object,
    object_region,
    touches_border,
    working_copy,
)
from benchmarks.datasets.verifiers.vocabulary import NONE
from nextgpt.core.errors import MediaError

#: the smallest displacement over the clip, as a share of the frame, that counts as motion (the world's: 0.3)
MIN_TRAVEL = 0.05
#: frames are read at about this many pixels (the world's 64 px frames at half size: 8 frames cost what one
#: 64 px image does, and the tiny decoders write 32 px frames)
FRAME_WORKING_SIZE = 32
#: frames read for colour and shape (the ones nearest the middle of the clip)
DESCRIBED_FRAMES = 3


def read_video(frames: np.ndarray) -> dict[str, str]:
    """The video's colour, shape, background and motion in the world's words ("none": not there).
    ``frames``: (F, H, W, 3), uint8 or 0-255 floats, F at least 2, H and W at least 16."""
    array = np.asarray(frames)
    if array.ndim != 4 or array.shape[0] < 2:
        raise MediaError(f"video: expected an (F, H, W, 3) array of at least 2 frames, got shape {array.shape}")
    if array.shape[-1] != 3 or min(array.shape[1:3]) < MIN_SIDE:
        raise MediaError(f"video: expected RGB frames of at least {MIN_SIDE}x{MIN_SIDE} pixels, got shape "
                         f"{array.shape}")
    working = [working_copy(as_rgb_array(frame, "video frame"), FRAME_WORKING_SIZE) for frame in array]
    background = background_colour(np.concatenate([border_pixels(frame) for frame in working]))
    regions = [object_region(frame, background) for frame in working]
    found = _described(working, background, regions)
    return {"colour": _vote([o.colour for o in found]), "shape": _vote([o.shape for o in found]),
            "background": min(BACKGROUNDS, key=lambda b: float(((np.array(BACKGROUNDS[b]) - background) ** 2).sum())),
            "motion": _motion(regions)}


def _described(working: list[np.ndarray], background: np.ndarray,
               regions: list[np.ndarray | None]) -> list[SceneObject]:
    """The object as read on up to DESCRIBED_FRAMES frames, nearest the middle first; frames where it reaches
    the border only when it does in every frame."""
    middle = (len(working) - 1) / 2
    order = sorted((i for i, region in enumerate(regions) if region is not None), key=lambda i: abs(i - middle))
    whole = [i for i in order if not touches_border(regions[i])]  # type: ignore[arg-type]
    described = [describe_object(working[i], background, regions[i])  # type: ignore[arg-type]
                 for i in (whole or order)[:DESCRIBED_FRAMES]]
    return [o for o in described if o is not None]


def _vote(readings: list[str]) -> str:
    """The most frequent reading; ties go to the one read first (nearest the middle); none read: "none"."""
    if not readings:
        return NONE
    counts = Counter(readings)
    return max(readings, key=lambda r: (counts[r], -readings.index(r)))


def _motion(regions: list[np.ndarray | None]) -> str:
    """The direction of the fitted centre-of-mass track (see the module docstring)."""
    track = [(t, *_centre_of_mass(region)) for t, region in enumerate(regions) if region is not None]
    if len(track) < 2:
        return NONE
    times, xs, ys = (np.array(column, dtype=np.float64) for column in zip(*track, strict=True))
    span = len(regions) - 1
    dx, dy = np.polyfit(times, xs, 1)[0] * span, np.polyfit(times, ys, 1)[0] * span
    if max(abs(dx), abs(dy)) < MIN_TRAVEL:
        return NONE
    step = (int(np.sign(dx)), 0) if abs(dx) >= abs(dy) else (0, int(np.sign(dy)))
    return next(name for name, direction in MOTIONS.items() if direction == step)


def _centre_of_mass(region: np.ndarray) -> tuple[float, float]:
    """(x, y) as shares of the frame width and height."""
    ys, xs = np.nonzero(region)
    return (float(xs.mean()) + 0.5) / region.shape[1], (float(ys.mean()) + 0.5) / region.shape[0]
