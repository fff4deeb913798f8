"""Typed configuration of every NExT-GPT component.

Each dataclass validates itself in ``__post_init__`` so that a bad value fails where it is written, with the
field's name in the message.  ``NextGPTConfig.to_dict`` / ``from_dict`` give the JSON stored beside every
checkpoint; ``from_dict`` rejects unknown fields instead of ignoring them.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import MODALITIES, Modality


def require_positive(owner: object, *names: str) -> None:
    for name in names:
        value = getattr(owner, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{type(owner).__name__}.{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class EncoderConfig:
    """ImageBind (frozen). Field names are ImageBindModel's constructor arguments; defaults are ImageBind-Huge."""

    vision_embed_dim: int = 1280
    vision_num_blocks: int = 32
    vision_num_heads: int = 16
    text_embed_dim: int = 1024
    text_num_blocks: int = 24
    text_num_heads: int = 16
    audio_embed_dim: int = 768
    audio_num_blocks: int = 12
    audio_num_heads: int = 12
    depth_embed_dim: int = 384
    depth_num_blocks: int = 12
    depth_num_heads: int = 8
    thermal_embed_dim: int = 768
    thermal_num_blocks: int = 12
    thermal_num_heads: int = 12
    imu_embed_dim: int = 512
    imu_num_blocks: int = 6
    imu_num_heads: int = 8
    out_embed_dim: int = 1024
    audio_drop_path: float = 0.1
    imu_drop_path: float = 0.7
    #: Local path of ``imagebind_huge.pth``; None builds random (tiny) or meta (paper) weights.
    checkpoint: str | None = None
    #: ImageBind's own media conventions (data.py): 2 s clips, 5 per video and 3 per audio file.
    video_clips: int = 5
    video_spatial_crops: int = 3
    audio_clips: int = 3
    audio_clip_seconds: float = 2.0

    def __post_init__(self) -> None:
        require_positive(self, "vision_embed_dim", "vision_num_blocks", "vision_num_heads", "audio_embed_dim",
                  "audio_num_blocks", "audio_num_heads", "out_embed_dim", "video_clips", "audio_clips")
        for prefix in ("vision", "text", "audio", "depth", "thermal", "imu"):
            dim, heads = getattr(self, f"{prefix}_embed_dim"), getattr(self, f"{prefix}_num_heads")
            if dim % heads:
                raise ConfigError(f"EncoderConfig.{prefix}_embed_dim={dim} is not divisible by "
                                  f"{prefix}_num_heads={heads}")
        if self.video_spatial_crops not in (1, 3):
            raise ConfigError(f"EncoderConfig.video_spatial_crops must be 1 or 3, got {self.video_spatial_crops}")

    def imagebind_kwargs(self) -> dict[str, Any]:
        """The arguments of ``imagebind.models.imagebind_model.ImageBindModel``."""
        own = {f.name for f in dataclasses.fields(self)} - {
            "checkpoint", "video_clips", "video_spatial_crops", "audio_clips", "audio_clip_seconds"}
        return {name: getattr(self, name) for name in sorted(own)}


@dataclass(frozen=True)
class GroupingConfig:
    """GroupViT-style grouping stages of the "concept token" input projection."""

    embed_dim: int = 512
    depths: tuple[int, ...] = (6, 3, 3)
    num_heads: tuple[int, ...] = (8, 8, 8)
    group_tokens: tuple[int, ...] = (64, 8, 0)
    output_groups: tuple[int, ...] = (64, 8)
    mlp_ratio: float = 4.0
    qkv_bias: bool = False

    def __post_init__(self) -> None:
        stages = len(self.depths)
        if not (len(self.num_heads) == len(self.group_tokens) == stages and len(self.output_groups) == stages - 1):
            raise ConfigError(
                "GroupingConfig: depths, num_heads and group_tokens need one entry per stage and output_groups "
                f"one per stage but the last; got {self.depths}, {self.num_heads}, {self.group_tokens}, "
                f"{self.output_groups}")
        if self.group_tokens[-1] != 0:
            raise ConfigError("GroupingConfig.group_tokens: the last stage has no group tokens (use 0)")
        if any(g <= 0 for g in self.group_tokens[:-1]) or any(o <= 0 for o in self.output_groups):
            raise ConfigError("GroupingConfig: group_tokens (but the last) and output_groups must be positive")
        for heads in self.num_heads:
            if self.embed_dim % heads:
                raise ConfigError(f"GroupingConfig.embed_dim={self.embed_dim} not divisible by {heads} heads")


@dataclass(frozen=True)
class InputProjectionConfig:
    """ImageBind embedding -> LLM input tokens.

    ``linear``: the legacy 7b_tiva_v0 projection, one token per input from the pooled embedding.
    ``grouping``: the paper's grouping module; reads ImageBind's token grid and emits
    ``grouping.output_groups[-1]`` concept tokens per input.
    """

    kind: Literal["linear", "grouping"] = "grouping"
    grouping: GroupingConfig = field(default_factory=GroupingConfig)

    def __post_init__(self) -> None:
        if self.kind not in ("linear", "grouping"):
            raise ConfigError(f"InputProjectionConfig.kind must be 'linear' or 'grouping', got {self.kind!r}")


@dataclass(frozen=True)
class LLMConfig:
    """LLaMA-architecture language model (Vicuna-7B v0 in the paper). ``vocab_size`` is the base vocabulary."""

    vocab_size: int = 32000
    hidden_size: int = 4096
    intermediate_size: int = 11008
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    max_position_embeddings: int = 2048
    rms_norm_eps: float = 1e-6
    #: Local folder with a transformers LLaMA checkpoint and its tokenizer (Vicuna-7B v0 merged weights).
    path: str | None = None

    def __post_init__(self) -> None:
        require_positive(self, "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                  "num_attention_heads", "max_position_embeddings")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(f"LLMConfig.hidden_size={self.hidden_size} not divisible by "
                              f"num_attention_heads={self.num_attention_heads}")


@dataclass(frozen=True)
class LoRAConfig:
    """peft LoRA on the LLM attention projections (stage 3 of the paper: r 32, alpha 32, dropout 0.1)."""

    r: int = 32
    alpha: int = 32
    dropout: float = 0.1
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")

    def __post_init__(self) -> None:
        require_positive(self, "r", "alpha")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"LoRAConfig.dropout must be in [0, 1), got {self.dropout}")
        if not self.target_modules:
            raise ConfigError("LoRAConfig.target_modules is empty")


@dataclass(frozen=True)
class SignalTokenConfig:
    """How many signal tokens each output modality uses ([IMG0..3], [VID0..23], [AUD0..7] in the legacy code)."""

    image: int = 4
    video: int = 24
    audio: int = 8

    def __post_init__(self) -> None:
        require_positive(self, "image", "video", "audio")

    def count(self, modality: Modality) -> int:
        return int(getattr(self, modality))


@dataclass(frozen=True)
class OutputProjectionConfig:
    """Signal-token hidden states -> decoder conditioning (a small encoder-decoder transformer with queries)."""

    hidden_dim: int = 512
    num_heads: int = 4
    encoder_layers: int = 4
    decoder_layers: int = 4
    feedforward_dim: int = 2048
    num_queries: int = 77
    out_dim: int = 768
    #: AudioLDM takes an L2-normalised CLAP text embedding; image and video conditions are not normalised.
    l2_normalize: bool = False
    #: Which LLM hidden layer feeds the projection (-1: the last one, after the final norm, as in the legacy code).
    hidden_layer: int = -1

    def __post_init__(self) -> None:
        require_positive(self, "hidden_dim", "num_heads", "encoder_layers", "decoder_layers", "feedforward_dim",
                  "num_queries", "out_dim")
        if self.hidden_dim % self.num_heads:
            raise ConfigError(f"OutputProjectionConfig.hidden_dim={self.hidden_dim} not divisible by "
                              f"num_heads={self.num_heads}")


@dataclass(frozen=True)
class DecoderConfig:
    """A frozen diffusion decoder: either a local diffusers folder (``path``) or an architecture to build.

    ``architecture`` maps component names (unet, vae, text_encoder, vocoder) to the config dicts of their
    diffusers/transformers classes; it is how the tiny and the meta-device paper presets are built.
    """

    kind: Literal["stable-diffusion", "text-to-video-sd", "audioldm"]
    path: str | None = None
    architecture: dict[str, dict[str, Any]] | None = None
    num_inference_steps: int = 50
    guidance_scale: float = 7.5
    height: int = 512
    width: int = 512
    num_frames: int = 16
    audio_length_s: float = 5.12

    def __post_init__(self) -> None:
        if self.kind not in ("stable-diffusion", "text-to-video-sd", "audioldm"):
            raise ConfigError(f"DecoderConfig.kind: unknown decoder {self.kind!r}")
        if (self.path is None) == (self.architecture is None):
            raise ConfigError(f"DecoderConfig({self.kind}): give exactly one of path (a local diffusers folder) "
                              "or architecture (component configs to build)")
        require_positive(self, "num_inference_steps", "height", "width", "num_frames")
        if self.audio_length_s <= 0:
            raise ConfigError(f"DecoderConfig.audio_length_s must be positive, got {self.audio_length_s}")


@dataclass(frozen=True)
class DecoderSetConfig:
    image: DecoderConfig
    video: DecoderConfig
    audio: DecoderConfig

    def for_modality(self, modality: Modality) -> DecoderConfig:
        return typing.cast(DecoderConfig, getattr(self, modality))


@dataclass(frozen=True)
class OutputProjectionSetConfig:
    image: OutputProjectionConfig
    video: OutputProjectionConfig
    audio: OutputProjectionConfig

    def for_modality(self, modality: Modality) -> OutputProjectionConfig:
        return typing.cast(OutputProjectionConfig, getattr(self, modality))


@dataclass(frozen=True)
class TokenizerConfig:
    """``built-in-tiny``: a byte-level BPE trained locally at build time; ``llm``: the tokenizer in LLMConfig.path."""

    kind: Literal["built-in-tiny", "llm"] = "llm"
    vocab_size: int = 512

    def __post_init__(self) -> None:
        if self.kind not in ("built-in-tiny", "llm"):
            raise ConfigError(f"TokenizerConfig.kind must be 'built-in-tiny' or 'llm', got {self.kind!r}")


@dataclass(frozen=True)
class TextGenerationConfig:
    """Defaults of the LLM's decoding (greedy unless ``do_sample``)."""

    max_new_tokens: int = 64
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        from nextgpt.core import validation

        require_positive(self, "max_new_tokens")
        validation.positive_float(self.temperature, name="TextGenerationConfig.temperature")
        validation.probability(self.top_p, name="TextGenerationConfig.top_p")


@dataclass(frozen=True)
class NextGPTConfig:
    preset: str
    encoder: EncoderConfig
    input_projection: InputProjectionConfig
    llm: LLMConfig
    lora: LoRAConfig
    signal_tokens: SignalTokenConfig
    output_projections: OutputProjectionSetConfig
    decoders: DecoderSetConfig
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    text_generation: TextGenerationConfig = field(default_factory=TextGenerationConfig)
    #: Seed of the random initialisation of every component that is not loaded from a file.
    init_seed: int = 0

    def __post_init__(self) -> None:
        for modality in MODALITIES:
            projection = self.output_projections.for_modality(modality)
            if modality == "audio" and projection.num_queries != 1:
                raise ConfigError("output_projections.audio.num_queries must be 1: AudioLDM takes one CLAP vector")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NextGPTConfig:
        return _build(cls, data, "config")

    def replace(self, **changes: Any) -> NextGPTConfig:
        return dataclasses.replace(self, **changes)


def _build(cls: type, data: Any, where: str) -> Any:
    """Rebuild a (nested) config dataclass from plain JSON data, naming the path of any bad field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object for {cls.__name__}, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)} for {cls.__name__}")
    values = {}
    for name, value in data.items():
        values[name] = _convert(hints[name], value, f"{where}.{name}")
    try:
        return cls(**values)
    except TypeError as error:
        raise ConfigError(f"{where}: {error}") from error


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type, hint), value, where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return tuple(value)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, where) if len(args) == 1 else value
    return value
