"""The frozen multimodal encoder (ImageBind) and the media preprocessing it expects."""

from nextgpt.model.encoder.imagebind_encoder import EncodedMedia, ImageBindEncoder

__all__ = ["EncodedMedia", "ImageBindEncoder"]
