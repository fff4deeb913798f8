"""What the verifiers read: the attributes of each modality, in the synthetic world's own words, and the helpers
that map a measured colour or frequency onto the nearest word of that vocabulary."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from benchmarks.datasets.synthetic import BACKGROUNDS, COLOURS, MOTIONS, PATTERNS, PITCHES, POSITIONS, SHAPES, SIZES

#: the reading of an attribute that is not there (a blank image has no shape, a silent clip no pitch)
NONE = "none"

IMAGE_ATTRIBUTES: tuple[str, ...] = ("colour", "shape", "size", "position", "background")
VIDEO_ATTRIBUTES: tuple[str, ...] = ("colour", "shape", "background", "motion")
AUDIO_ATTRIBUTES: tuple[str, ...] = ("pitch", "pattern")
#: per produced modality, the attributes its verifier reads (and the metrics score)
VERIFIED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "image": IMAGE_ATTRIBUTES, "video": VIDEO_ATTRIBUTES, "audio": AUDIO_ATTRIBUTES}

#: every attribute's values, in the world's order (a reading is one of them or NONE)
ATTRIBUTE_VALUES: dict[str, tuple[str, ...]] = {
    "colour": tuple(COLOURS), "shape": SHAPES, "size": tuple(SIZES), "position": tuple(POSITIONS),
    "background": tuple(BACKGROUNDS), "motion": tuple(MOTIONS), "pitch": tuple(PITCHES), "pattern": PATTERNS}

#: the object colours as an (n, 3) float array, in COLOURS order
OBJECT_PALETTE = np.array(list(COLOURS.values()), dtype=np.float64)
OBJECT_COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)


def nearest_colour(rgb: np.ndarray, palette: Mapping[str, tuple[int, int, int]]) -> str:
    """The name of the palette colour nearest (Euclidean, 0-255 RGB) to ``rgb``."""
    names = list(palette)
    entries = np.array([palette[n] for n in names], dtype=np.float64)
    return names[int(np.argmin(((entries - np.asarray(rgb, dtype=np.float64)) ** 2).sum(-1)))]


def nearest_pitch(frequency: float) -> str:
    """The pitch word whose frequency is nearest to ``frequency`` in log frequency (octaves)."""
    names = list(PITCHES)
    octaves = np.abs(np.log2(np.array([PITCHES[n] for n in names])) - np.log2(frequency))
    return names[int(np.argmin(octaves))]
