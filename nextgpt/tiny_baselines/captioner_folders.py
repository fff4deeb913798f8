"""Tiny captioner folders: random-weight captioners of the published architectures, saved with ``save_pretrained``
together with their tokenizer and image processor / feature extractor, as a user's local captioner folder is.

One family per modality by default, the classic published ones:

* ``image``: ``vit-gpt2``, a VisionEncoderDecoderModel (ViT encoder + GPT-2 decoder) with a ViTImageProcessor;
  ``blip`` (BlipForConditionalGeneration) and ``git`` (GitForCausalLM) can be written too;
* ``video``: ``timesformer-gpt2``, a VisionEncoderDecoderModel (TimeSformer encoder reading 4 frames + GPT-2)
  with a VideoMAEImageProcessor; ``git-video`` (GitForCausalLM with 4 frame embeddings, as GIT's VATEX
  captioner) can be written too;
* ``audio``: ``whisper``, a WhisperForConditionalGeneration with a WhisperFeatureExtractor at 16 kHz whose
  window is 2 s (published Whisper reads 30 s; the tiny one keeps the encoder to 100 positions).

Every network has hidden size 32 and one layer per stack, images are 32 x 32 (the synthetic world's), and the
tokenizer is the tiny NExT-GPT byte-level BPE (512 tokens: ``<unk>`` 0, ``<s>`` 1 starts a caption, ``</s>`` 2
ends it and pads). Each folder is a few hundred kilobytes, and writing it twice gives the same files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import check_modality
from nextgpt.model.tiny_tokenizers import build_llm_tokenizer
from nextgpt.tiny_baselines.atomic_folder import write_folder_atomically

VOCAB_SIZE = 512
BOS, EOS = 1, 2
HIDDEN = 32
IMAGE_SIZE = 32
VIDEO_FRAMES = 4
#: Weight init spread: at the usual 0.02 a tiny random decoder ignores its encoder and writes the same caption for
#: every input; at 0.3 the caption depends on the medium, so tests can tell inputs apart.
INIT_STD = 0.3
#: The family written for each modality when none is named.
DEFAULT_FAMILIES = {"image": "vit-gpt2", "video": "timesformer-gpt2", "audio": "whisper"}
#: Every family this module writes, with the modality it reads.
FAMILY_MODALITIES = {"vit-gpt2": "image", "blip": "image", "git": "image", "timesformer-gpt2": "video",
                     "git-video": "video", "whisper": "audio"}

_SMALL = {"hidden_size": HIDDEN, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 2 * HIDDEN,
          "initializer_range": INIT_STD}
_VISION = {**_SMALL, "image_size": IMAGE_SIZE, "patch_size": 8}
_TOKENS = {"bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": EOS}


def write_tiny_captioner(modality: str, folder: Path, *, family: str | None = None) -> Path:
    """Save a tiny random-weight captioner reading ``modality`` into ``folder`` (new or empty) and return the
    folder. ``family`` picks the architecture (see ``FAMILY_MODALITIES``; default: ``DEFAULT_FAMILIES``)."""
    modality = check_modality(modality, where="write_tiny_captioner modality")
    chosen = DEFAULT_FAMILIES[modality] if family is None else family
    if FAMILY_MODALITIES.get(chosen) != modality:
        known = ", ".join(name for name, reads in FAMILY_MODALITIES.items() if reads == modality)
        raise ConfigError(f"write_tiny_captioner: family {chosen!r} is not a tiny {modality} captioner; "
                          f"{modality} families: {known}")
    return write_folder_atomically(Path(folder), _WRITERS[chosen], what=f"the tiny {modality} captioner")


def _save(target: Path, model: Any, processor: Any) -> None:
    from transformers import GenerationConfig

    model.generation_config = GenerationConfig(decoder_start_token_id=BOS, max_length=16, **_TOKENS)
    model.save_pretrained(str(target))
    processor.save_pretrained(str(target))
    build_llm_tokenizer(VOCAB_SIZE).save_pretrained(str(target))


def _gpt2_decoder() -> Any:
    from transformers import GPT2Config

    return GPT2Config(vocab_size=VOCAB_SIZE, n_embd=HIDDEN, n_layer=1, n_head=2, n_positions=64,
                      add_cross_attention=True, bos_token_id=BOS, eos_token_id=EOS, initializer_range=INIT_STD)


def _encoder_decoder(encoder_config: Any) -> Any:
    from transformers import VisionEncoderDecoderConfig, VisionEncoderDecoderModel

    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder_config, _gpt2_decoder())
    config.decoder_start_token_id, config.pad_token_id, config.eos_token_id = BOS, EOS, EOS
    return VisionEncoderDecoderModel(config)


def _write_vit_gpt2(target: Path) -> None:
    from transformers import ViTConfig, ViTImageProcessor

    model = _encoder_decoder(ViTConfig(**_VISION))
    _save(target, model, ViTImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}))


def _write_timesformer_gpt2(target: Path) -> None:
    from transformers import TimesformerConfig, VideoMAEImageProcessor

    model = _encoder_decoder(TimesformerConfig(**_VISION, num_frames=VIDEO_FRAMES))
    processor = VideoMAEImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                                       crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    _save(target, model, processor)


def _write_blip(target: Path) -> None:
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessor

    text = {**_SMALL, "vocab_size": VOCAB_SIZE, "max_position_embeddings": 64, "sep_token_id": EOS, **_TOKENS}
    config = BlipConfig(text_config=text, vision_config=_VISION, projection_dim=HIDDEN, initializer_range=INIT_STD)
    model = BlipForConditionalGeneration(config)
    _save(target, model, BlipImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}))


def _write_git(target: Path, frames: int | None = None) -> None:
    from transformers import CLIPImageProcessor, GitConfig, GitForCausalLM

    config = GitConfig(vision_config=_VISION, vocab_size=VOCAB_SIZE, max_position_embeddings=64,
                       num_image_with_embedding=frames, **_SMALL, **_TOKENS)
    processor = CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                                   crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    _save(target, GitForCausalLM(config), processor)


def _write_git_video(target: Path) -> None:
    _write_git(target, frames=VIDEO_FRAMES)


def _write_whisper(target: Path) -> None:
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    config = WhisperConfig(vocab_size=VOCAB_SIZE, num_mel_bins=80, d_model=HIDDEN, encoder_layers=1,
                           decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
                           encoder_ffn_dim=2 * HIDDEN, decoder_ffn_dim=2 * HIDDEN, max_source_positions=100,
                           max_target_positions=64, decoder_start_token_id=BOS, init_std=INIT_STD, **_TOKENS)
    # 2 s at 16 kHz with a hop of 160 samples: 200 mel frames, which the encoder's stride-2 conv turns into 100
    processor = WhisperFeatureExtractor(feature_size=80, sampling_rate=16000, chunk_length=2)
    _save(target, WhisperForConditionalGeneration(config), processor)


_WRITERS: dict[str, Callable[[Path], None]] = {
    "vit-gpt2": _write_vit_gpt2, "timesformer-gpt2": _write_timesformer_gpt2, "blip": _write_blip,
    "git": _write_git, "git-video": _write_git_video, "whisper": _write_whisper,
}
