"""Frozen diffusion decoders (SD-1.5 image, Zeroscope video, AudioLDM audio) conditioned by projections."""

from nextgpt.model.decoders.build import build_decoder, ddim_scheduler
from nextgpt.model.decoders.diffusion_decoder import (
    DECODER_CLASSES,
    AudioDecoder,
    DiffusionDecoder,
    ImageDecoder,
    VideoDecoder,
)

__all__ = ["DECODER_CLASSES", "AudioDecoder", "DiffusionDecoder", "ImageDecoder", "VideoDecoder",
           "build_decoder", "ddim_scheduler"]
