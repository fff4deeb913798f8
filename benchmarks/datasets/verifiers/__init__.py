"""Programmatic verifiers of the synthetic world (GenEval / MMMG style): read an image, a video or a tone back
into the world's attributes (colour, shape, size, position, background, motion, pitch, pattern), so that a
generated medium can be checked against the scene it was asked for.  Numpy only, deterministic, a few
milliseconds per item.  Valid on the synthetic world only (benchmarks/datasets/synthetic.py): on any other data
the readings mean nothing.  Their accuracy on the world's own renders: ``python -m
benchmarks.datasets.verifiers.validation --markdown`` (docs/verifiers.md)."""

from benchmarks.datasets.verifiers.audio import read_audio
from benchmarks.datasets.verifiers.image import read_image
from benchmarks.datasets.verifiers.video import read_video
from benchmarks.datasets.verifiers.vocabulary import (
    AUDIO_ATTRIBUTES,
    IMAGE_ATTRIBUTES,
    NONE,
    VERIFIED_ATTRIBUTES,
    VIDEO_ATTRIBUTES,
)

__all__ = ["AUDIO_ATTRIBUTES", "IMAGE_ATTRIBUTES", "NONE", "VERIFIED_ATTRIBUTES", "VIDEO_ATTRIBUTES", "read_audio",
           "read_image", "read_video"]
