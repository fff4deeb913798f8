"""Which transformers captioners the captioner adapter reads, told apart from ``config.json`` alone.

Every family has a published captioner checkpoint a user can save locally:

=====================  ==================================  =====  ==================================================
model_type             class                               reads  published example
=====================  ==================================  =====  ==================================================
vision-encoder-decoder VisionEncoderDecoderModel           image  nlpconnect/vit-gpt2-image-captioning (ViT + GPT-2)
  (image encoder)
vision-encoder-decoder VisionEncoderDecoderModel           video  Neleac/timesformer-gpt2-video-captioning
  (TimeSformer)                                                   (TimeSformer + GPT-2)
blip                   BlipForConditionalGeneration        image  Salesforce/blip-image-captioning-base / -large
git                    GitForCausalLM                      image  microsoft/git-base-coco (video when the config sets
                                                                  num_image_with_embedding: microsoft/git-base-vatex)
whisper                WhisperForConditionalGeneration     audio  Whisper fine-tuned for audio captioning
=====================  ==================================  =====  ==================================================

(``AutoModelForVision2Seq`` is gone in transformers 5; ``AutoModelForImageTextToText`` maps BLIP and GIT among
many chat VLMs, so the adapter names its classes explicitly: the list above is exactly what it reads.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nextgpt.adapters.transformers_folders import model_type, refuse_unsupported_type
from nextgpt.core.errors import CheckpointError, ConfigError
from nextgpt.core.modalities import Modality

ADAPTER_NAME = "transformers-captioner"

#: Encoders of a VisionEncoderDecoderModel that read one image as ``(batch, 3, H, W)`` pixels and return a
#: sequence of patch states.
IMAGE_ENCODERS = ("vit", "deit", "beit", "swin")
#: Encoders that read a clip as ``(batch, frames, 3, H, W)``; the frame count is ``encoder.num_frames``.
VIDEO_ENCODERS = ("timesformer",)

SUPPORTED: dict[str, str] = {
    "vision-encoder-decoder": f"VisionEncoderDecoderModel: image with a {'/'.join(IMAGE_ENCODERS)} encoder, video "
                              f"with a {'/'.join(VIDEO_ENCODERS)} encoder",
    "blip": "BlipForConditionalGeneration: image",
    "git": "GitForCausalLM: image, video when num_image_with_embedding is set",
    "whisper": "WhisperForConditionalGeneration: audio",
}


@dataclass(frozen=True)
class CaptionerFamily:
    """One architecture of captioner: how it is loaded and what it reads."""

    model_type: str
    model_class: str
    modality: Modality
    #: Frames a video captioner reads per clip (None for images and audio).
    frames: int | None = None
    #: Whether the decoder can start from a text prefix (BLIP and GIT: "a picture of ...").
    takes_prefix: bool = False


def captioner_family(config: dict[str, Any], config_file: Path) -> CaptionerFamily:
    """The family of the captioner whose parsed ``config.json`` (at ``config_file``) is ``config``."""
    kind = model_type(config, config_file)
    if kind == "vision-encoder-decoder":
        return _encoder_decoder_family(config, config_file)
    if kind == "blip":
        return CaptionerFamily(kind, "BlipForConditionalGeneration", "image", takes_prefix=True)
    if kind == "git":
        frames = config.get("num_image_with_embedding")
        if frames is None:
            return CaptionerFamily(kind, "GitForCausalLM", "image", takes_prefix=True)
        return CaptionerFamily(kind, "GitForCausalLM", "video", frames=_frame_count(frames, config_file,
                                                                                       "num_image_with_embedding"),
                               takes_prefix=True)
    if kind == "whisper":
        return CaptionerFamily(kind, "WhisperForConditionalGeneration", "audio")
    refuse_unsupported_type(kind, config_file, SUPPORTED, adapter=ADAPTER_NAME)
    raise AssertionError("unreachable")  # refuse_unsupported_type always raises


def _encoder_decoder_family(config: dict[str, Any], config_file: Path) -> CaptionerFamily:
    encoder = config.get("encoder")
    if not isinstance(encoder, dict) or not isinstance(encoder.get("model_type"), str):
        raise CheckpointError(f"{config_file}: a vision-encoder-decoder config needs an encoder object with its "
                              "model_type")
    encoder_type = encoder["model_type"]
    if encoder_type in IMAGE_ENCODERS:
        return CaptionerFamily("vision-encoder-decoder", "VisionEncoderDecoderModel", "image")
    if encoder_type in VIDEO_ENCODERS:
        return CaptionerFamily("vision-encoder-decoder", "VisionEncoderDecoderModel", "video",
                               frames=_frame_count(encoder.get("num_frames", 8), config_file, "encoder.num_frames"))
    raise ConfigError(f"{config_file}: encoder.model_type is {encoder_type!r}; the {ADAPTER_NAME} adapter reads "
                      f"vision-encoder-decoder captioners with an image encoder ({', '.join(IMAGE_ENCODERS)}) or a "
                      f"video encoder ({', '.join(VIDEO_ENCODERS)})")


def _frame_count(value: object, config_file: Path, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CheckpointError(f"{config_file}: {field} must be a positive frame count, got {value!r}")
    return value
