"""Named model presets.

* ``tiny``: every component at toy size with random (seeded) weights; builds in seconds on a CPU and runs
  any-to-any generation end to end at 32 x 32 pixels, 4 frames and ~1 s of audio.
* ``paper-7b``: the paper's architecture at full size -- ImageBind-Huge, Vicuna-7B v0, SD-1.5, Zeroscope v2 576w,
  AudioLDM-l-full with their published configs -- and the grouping input projection.  Built on the meta device
  for parameter counting; pointed at local weight folders (``with_local_weights``) it is the real model.
* ``paper-7b-legacy``: the same with the legacy linear input projection (the released 7b_tiva_v0 checkpoint);
  ``tiny-legacy`` is its toy-sized counterpart.

A config's ``preset`` field is a label of provenance (reports print it; the labelled preset's ``local_weights``
decide which local weights a checkpoint needs), so a label naming a preset must match that preset's architecture
(``check_preset_label``, applied when a checkpoint is written and read).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nextgpt.core.errors import ConfigError
from nextgpt.model.config import (
    DecoderConfig,
    DecoderSetConfig,
    EncoderConfig,
    GroupingConfig,
    InputProjectionConfig,
    LLMConfig,
    LoRAConfig,
    NextGPTConfig,
    OutputProjectionConfig,
    OutputProjectionSetConfig,
    SignalTokenConfig,
    TextGenerationConfig,
    TokenizerConfig,
)

# ------------------------------------------------------------------------------------------ paper scale
# Published component configs (diffusers / transformers field names).
SD15_UNET: dict[str, Any] = {
    "sample_size": 64, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
    "block_out_channels": [320, 640, 1280, 1280], "attention_head_dim": 8, "cross_attention_dim": 768,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "norm_num_groups": 32,
}
SD_VAE: dict[str, Any] = {
    "sample_size": 512, "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2,
    "block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4, "norm_num_groups": 32,
}
CLIP_L_TEXT: dict[str, Any] = {
    "vocab_size": 49408, "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
    "num_attention_heads": 12, "max_position_embeddings": 77, "hidden_act": "quick_gelu", "projection_dim": 768,
}
ZEROSCOPE_UNET: dict[str, Any] = {
    "sample_size": 32, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
    "block_out_channels": [320, 640, 1280, 1280], "attention_head_dim": 64, "cross_attention_dim": 1024,
    "down_block_types": ["CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"],
    "up_block_types": ["UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"],
    "norm_num_groups": 32,
}
OPENCLIP_H_TEXT: dict[str, Any] = {
    "vocab_size": 49408, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 23,
    "num_attention_heads": 16, "max_position_embeddings": 77, "hidden_act": "gelu", "projection_dim": 512,
}
AUDIOLDM_L_UNET: dict[str, Any] = {
    "sample_size": 128, "in_channels": 8, "out_channels": 8, "layers_per_block": 2,
    "block_out_channels": [256, 512, 768, 1280], "cross_attention_dim": [256, 512, 768, 1280],
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "class_embed_type": "simple_projection", "projection_class_embeddings_input_dim": 512,
    "class_embeddings_concat": True,
}
AUDIOLDM_VAE: dict[str, Any] = {
    "sample_size": 512, "in_channels": 1, "out_channels": 1, "latent_channels": 8, "layers_per_block": 2,
    "block_out_channels": [128, 256, 512], "down_block_types": ["DownEncoderBlock2D"] * 3,
    "up_block_types": ["UpDecoderBlock2D"] * 3,
}
CLAP_TEXT: dict[str, Any] = {
    "vocab_size": 50265, "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
    "num_attention_heads": 12, "max_position_embeddings": 514, "type_vocab_size": 1, "projection_dim": 512,
}
HIFIGAN_16K: dict[str, Any] = {
    "model_in_dim": 64, "sampling_rate": 16000, "upsample_initial_channel": 1024,
    "upsample_rates": [5, 4, 2, 2, 2], "upsample_kernel_sizes": [16, 16, 8, 4, 4],
    "resblock_kernel_sizes": [3, 7, 11], "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    "normalize_before": False,
}

#: The paper gives 28M for the grouping module without its MLP width.  The 2024 code's GroupProjector uses
#: MLP ratio 4 (53.1M at 512-d); ratio 1 (31.1M) is the standard width closest to the paper's budget.
PAPER_GROUPING = GroupingConfig(embed_dim=512, depths=(6, 3, 3), num_heads=(8, 8, 8), group_tokens=(64, 8, 0),
                                output_groups=(64, 8), mlp_ratio=1.0, qkv_bias=False)


def _paper_7b(input_projection: str) -> NextGPTConfig:
    return NextGPTConfig(
        preset="paper-7b" if input_projection == "grouping" else "paper-7b-legacy",
        encoder=EncoderConfig(),
        input_projection=InputProjectionConfig(kind=input_projection, grouping=PAPER_GROUPING),  # type: ignore[arg-type]
        llm=LLMConfig(),
        lora=LoRAConfig(r=32, alpha=32, dropout=0.1),
        signal_tokens=SignalTokenConfig(image=4, video=24, audio=8),
        output_projections=OutputProjectionSetConfig(
            image=OutputProjectionConfig(num_queries=77, out_dim=768),
            video=OutputProjectionConfig(num_queries=77, out_dim=1024),
            audio=OutputProjectionConfig(num_queries=1, out_dim=512, l2_normalize=True)),
        decoders=DecoderSetConfig(
            image=DecoderConfig(kind="stable-diffusion", architecture={
                "unet": SD15_UNET, "vae": SD_VAE, "text_encoder": CLIP_L_TEXT}, height=512, width=512),
            video=DecoderConfig(kind="text-to-video-sd", architecture={
                "unet": ZEROSCOPE_UNET, "vae": SD_VAE, "text_encoder": OPENCLIP_H_TEXT},
                height=320, width=576, num_frames=24),
            audio=DecoderConfig(kind="audioldm", architecture={
                "unet": AUDIOLDM_L_UNET, "vae": AUDIOLDM_VAE, "text_encoder": CLAP_TEXT,
                "vocoder": HIFIGAN_16K}, audio_length_s=5.12)),
        tokenizer=TokenizerConfig(kind="llm"),
        text_generation=TextGenerationConfig(max_new_tokens=256),
    )


# ------------------------------------------------------------------------------------------------ tiny
def _tiny_unet2d(cross_attention_dim: int) -> dict[str, Any]:
    return {"sample_size": 16, "in_channels": 4, "out_channels": 4, "layers_per_block": 1,
            "block_out_channels": [32, 64], "attention_head_dim": 8, "cross_attention_dim": cross_attention_dim,
            "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
            "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"], "norm_num_groups": 32}


def _tiny_vae(channels: int, latent: int) -> dict[str, Any]:
    return {"sample_size": 32, "in_channels": channels, "out_channels": channels, "latent_channels": latent,
            "layers_per_block": 1, "block_out_channels": [32, 64], "norm_num_groups": 32,
            "down_block_types": ["DownEncoderBlock2D"] * 2, "up_block_types": ["UpDecoderBlock2D"] * 2}


def _tiny_clip_text(hidden: int) -> dict[str, Any]:
    return {"vocab_size": 514, "hidden_size": hidden, "intermediate_size": 2 * hidden, "num_hidden_layers": 1,
            "num_attention_heads": 4, "max_position_embeddings": 77, "hidden_act": "quick_gelu",
            "projection_dim": hidden, "bos_token_id": 512, "eos_token_id": 513, "pad_token_id": 513}


def tiny() -> NextGPTConfig:
    tiny_output = {"hidden_dim": 32, "num_heads": 2, "encoder_layers": 1, "decoder_layers": 1,
                   "feedforward_dim": 64}
    return NextGPTConfig(
        preset="tiny",
        encoder=EncoderConfig(
            vision_embed_dim=32, vision_num_blocks=1, vision_num_heads=2, text_embed_dim=32, text_num_blocks=1,
            text_num_heads=2, audio_embed_dim=32, audio_num_blocks=1, audio_num_heads=2, depth_embed_dim=16,
            depth_num_blocks=1, depth_num_heads=2, thermal_embed_dim=16, thermal_num_blocks=1,
            thermal_num_heads=2, imu_embed_dim=16, imu_num_blocks=1, imu_num_heads=2, out_embed_dim=32,
            audio_drop_path=0.0, imu_drop_path=0.0, video_clips=2, video_spatial_crops=1, audio_clips=2),
        input_projection=InputProjectionConfig(kind="grouping", grouping=GroupingConfig(
            embed_dim=32, depths=(1, 1, 1), num_heads=(2, 2, 2), group_tokens=(8, 4, 0), output_groups=(8, 4),
            mlp_ratio=2.0)),
        llm=LLMConfig(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, max_position_embeddings=512),
        lora=LoRAConfig(r=4, alpha=8, dropout=0.1),
        signal_tokens=SignalTokenConfig(image=4, video=24, audio=8),
        output_projections=OutputProjectionSetConfig(
            image=OutputProjectionConfig(num_queries=77, out_dim=32, **tiny_output),
            video=OutputProjectionConfig(num_queries=77, out_dim=48, **tiny_output),
            audio=OutputProjectionConfig(num_queries=1, out_dim=32, l2_normalize=True, **tiny_output)),
        decoders=DecoderSetConfig(
            image=DecoderConfig(kind="stable-diffusion", architecture={
                "unet": _tiny_unet2d(32), "vae": _tiny_vae(3, 4), "text_encoder": _tiny_clip_text(32)},
                num_inference_steps=2, height=32, width=32),
            video=DecoderConfig(kind="text-to-video-sd", architecture={
                "unet": {**_tiny_unet2d(48), "down_block_types": ["DownBlock3D", "CrossAttnDownBlock3D"],
                         "up_block_types": ["CrossAttnUpBlock3D", "UpBlock3D"]},
                "vae": _tiny_vae(3, 4), "text_encoder": _tiny_clip_text(48)},
                num_inference_steps=2, height=32, width=32, num_frames=4),
            audio=DecoderConfig(kind="audioldm", architecture={
                "unet": {**_tiny_unet2d(32), "cross_attention_dim": [32, 64],
                         "class_embed_type": "simple_projection", "projection_class_embeddings_input_dim": 32,
                         "class_embeddings_concat": True},
                "vae": _tiny_vae(1, 4),
                "text_encoder": {"vocab_size": 261, "hidden_size": 32, "intermediate_size": 64,
                                 "num_hidden_layers": 1, "num_attention_heads": 4, "max_position_embeddings": 80,
                                 "type_vocab_size": 1, "projection_dim": 32, "bos_token_id": 0,
                                 "eos_token_id": 2, "pad_token_id": 1},
                "vocoder": {"model_in_dim": 8, "sampling_rate": 16000, "upsample_initial_channel": 32,
                            "upsample_rates": [8, 8, 4], "upsample_kernel_sizes": [16, 16, 8],
                            "resblock_kernel_sizes": [3], "resblock_dilation_sizes": [[1, 3]],
                            "normalize_before": False}},
                num_inference_steps=2, audio_length_s=1.024)),
        tokenizer=TokenizerConfig(kind="built-in-tiny", vocab_size=512),
        text_generation=TextGenerationConfig(max_new_tokens=24),
        init_seed=0,
    )


def tiny_legacy() -> NextGPTConfig:
    """``tiny`` with the legacy linear input projection (the shape of the released 7b_tiva_v0 model)."""
    return tiny().replace(preset="tiny-legacy", input_projection=InputProjectionConfig(kind="linear"))


#: The frozen components whose weights can come from local files, as the loader and the CLI name them.
WeightSlot = Literal["imagebind", "llm", "image_decoder", "video_decoder", "audio_decoder"]
WEIGHT_SLOTS: tuple[WeightSlot, ...] = ("imagebind", "llm", "image_decoder", "video_decoder", "audio_decoder")


@dataclass(frozen=True)
class Preset:
    """A named model: its config, and what using it takes beyond the config."""

    config: Callable[[], NextGPTConfig]
    #: Components whose seeded random weights are no usable model at this size: the loader refuses to build the
    #: preset (with or without a checkpoint, which stores only the trainable part) until each has a local path.
    local_weights: tuple[WeightSlot, ...] = ()
    #: The paper's component sizes: the model card explains where its counts differ from the paper's figures.
    paper_scale: bool = False


PRESETS: dict[str, Preset] = {
    "tiny": Preset(tiny),
    "tiny-legacy": Preset(tiny_legacy),
    "paper-7b": Preset(lambda: _paper_7b("grouping"), local_weights=WEIGHT_SLOTS, paper_scale=True),
    "paper-7b-legacy": Preset(lambda: _paper_7b("linear"), local_weights=WEIGHT_SLOTS, paper_scale=True),
}


def preset_info(name: str) -> Preset:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    return PRESETS[name]


def get_preset(name: str) -> NextGPTConfig:
    return preset_info(name).config()


def with_local_weights(config: NextGPTConfig, *, imagebind: str | Path | None = None, llm: str | Path | None = None,
                       image_decoder: str | Path | None = None, video_decoder: str | Path | None = None,
                       audio_decoder: str | Path | None = None) -> NextGPTConfig:
    """Point a config's frozen components at local files (nothing is downloaded): imagebind_huge.pth, a
    transformers Vicuna-7B v0 folder, and diffusers folders of SD-1.5, Zeroscope v2 576w and AudioLDM-l-full.
    Components given no path keep what the config says."""
    decoders = config.decoders

    def decoder(current: DecoderConfig, path: str | Path | None) -> DecoderConfig:
        return current if path is None else dataclasses.replace(current, path=str(path), architecture=None)

    encoder = config.encoder if imagebind is None else dataclasses.replace(config.encoder, checkpoint=str(imagebind))
    return config.replace(
        encoder=encoder,
        llm=config.llm if llm is None else dataclasses.replace(config.llm, path=str(llm)),
        decoders=DecoderSetConfig(image=decoder(decoders.image, image_decoder),
                                  video=decoder(decoders.video, video_decoder),
                                  audio=decoder(decoders.audio, audio_decoder)))


# ------------------------------------------------------------------------------------ preset labels
#: A preset label names an architecture.  These fields do not change it: local weight paths, generation
#: defaults, media preprocessing, the init seed, the tokenizer source and LoRA dropout (training only).
_MISSING = object()


def architecture(config: NextGPTConfig) -> dict[str, Any]:
    """The fields that determine the model's structure, flattened to ``{dotted.path: JSON value}``."""
    data = config.to_dict()
    projection: dict[str, Any] = {"kind": config.input_projection.kind}
    if config.input_projection.kind == "grouping":  # a linear projection ignores its grouping settings
        projection["grouping"] = data["input_projection"]["grouping"]
    described = {
        "encoder": config.encoder.imagebind_kwargs(),
        "input_projection": projection,
        "llm": {name: value for name, value in data["llm"].items() if name != "path"},
        "lora": {name: data["lora"][name] for name in ("r", "alpha", "target_modules")},
        "signal_tokens": data["signal_tokens"],
        "output_projections": data["output_projections"],
        "decoders": {m: {"kind": d["kind"], "architecture": d["architecture"]} for m, d in data["decoders"].items()},
    }
    return _flatten(json.loads(json.dumps(described)))  # tuples -> lists, as in config.json


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def architecture_differences(config: NextGPTConfig, preset: NextGPTConfig) -> list[tuple[str, Any, Any]]:
    """``(field, config's value, preset's value)`` where the architectures differ.  A decoder loaded from a local
    folder (no ``architecture`` in the config) is not compared: its folder defines it."""
    ours, theirs = architecture(config), architecture(preset)
    local = {f"decoders.{m}." for m in ("image", "video", "audio") if ours.get(f"decoders.{m}.architecture",
                                                                                 _MISSING) is None}
    keys = [k for k in sorted(set(ours) | set(theirs)) if not any(k.startswith(prefix) for prefix in local)]
    return [(k, ours.get(k, _MISSING), theirs.get(k, _MISSING)) for k in keys
            if ours.get(k, _MISSING) != theirs.get(k, _MISSING)]


def preset_of_architecture(config: NextGPTConfig) -> str | None:
    """The preset whose architecture ``config`` has, or None for a custom architecture."""
    for name in PRESETS:
        if not architecture_differences(config, get_preset(name)):
            return name
    return None


def check_preset_label(config: NextGPTConfig, *, where: str) -> None:
    """Refuse a ``preset`` label naming a preset whose architecture ``config`` does not have (the label is
    provenance: reports print it and the labelled preset decides which local weights are needed).  A label that
    is not a preset name claims nothing and passes."""
    if config.preset not in PRESETS:
        return
    differences = architecture_differences(config, get_preset(config.preset))
    if not differences:
        return
    differences.sort(key=lambda item: (item[0].count("."), item[0]))  # headline fields (e.g. a kind) first
    shown = "; ".join(f"{field} is {_show(ours)} where preset {config.preset!r} has {_show(theirs)}"
                      for field, ours, theirs in differences[:3])
    more = f" (and {len(differences) - 3} more fields)" if len(differences) > 3 else ""
    actual = preset_of_architecture(config)
    fix = (f'set "preset" to {actual!r}, the preset whose architecture this is' if actual is not None else
           f'this architecture is no preset\'s: label it with a name that is not a preset, e.g. '
           f'"{config.preset}-custom"')
    raise ConfigError(f"{where}: field \"preset\" is {config.preset!r} but the architecture it labels differs: "
                      f"{shown}{more}. Fix: {fix}")


def _show(value: Any) -> str:
    return "absent" if value is _MISSING else repr(value)
