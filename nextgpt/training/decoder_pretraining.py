"""Pre-train the tiny preset's three decoders: the stand-ins for SD, Zeroscope and AudioLDM (recipe part 0c).

NExT-GPT builds on decoders that were trained on their own before it existed; the tiny preset's decoders are
random, so everything they draw is noise and stage 2 aligns the output projections to a meaningless text space.
This part gives each of them what the real ones had, at toy size, on the synthetic world's *train* split:

* image: a VAE (reconstruction of 32 x 32 renders), then the UNet and the CLIP text encoder jointly (DDPM loss,
  v-prediction, zero-terminal-SNR schedule, 10% empty captions for classifier-free guidance);
* video: the same VAE (frames are encoded one by one, as TextToVideoSD decodes them), a UNet3D and its text
  encoder on 4-frame clips;
* audio: a VAE on log-mel spectrograms, a HiFi-GAN vocoder (STFT + L1 losses), and the UNet with the CLAP text
  encoder, whose L2-normalised embedding enters the UNet as AudioLDM's class embedding.

Each decoder is saved as a diffusers pipeline folder (``save_pretrained``: StableDiffusionPipeline,
TextToVideoSDPipeline, AudioLDMPipeline), so it loads and decodes exactly as a downloaded SD / Zeroscope /
AudioLDM folder does, through NExT-GPT or alone through the diffusers adapter.  A folder is reused by a rerun
when its ``pretraining.json`` records the same settings (each decoder's own: see ``pretraining_settings``).
Architectures: ``decoder_architectures``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import torch
import torch.nn.functional as F

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import Modality
from nextgpt.training import decoder_architectures as arch
from nextgpt.training.latent_diffusion import (
    AutoencoderTraining,
    DenoiserTraining,
    caption_token_ids,
    encode_posteriors,
    train_autoencoder,
    train_denoiser,
)
from nextgpt.training.vocoder_training import VocoderTraining, train_vocoder

DECODER_MODALITIES: tuple[Modality, ...] = ("image", "video", "audio")
NOTE_FILE = "pretraining.json"


@dataclass(frozen=True)
class DecoderPretrainingConfig:
    #: the shared image/video VAE, then each modality's denoiser (UNet + text encoder), the audio VAE, the vocoder
    autoencoder: AutoencoderTraining
    image: DenoiserTraining
    video: DenoiserTraining
    audio_autoencoder: AutoencoderTraining
    audio: DenoiserTraining
    vocoder: VocoderTraining
    #: scenes rendered from the world's train split for the image and the video decoders (tones: all 12)
    image_renders: int = 1024
    video_renders: int = 512
    seed: int = 0
    #: what the checkpoint's decoders.<m> settings become (DDIM steps and classifier-free guidance at inference)
    num_inference_steps: int = 20
    guidance_scale: float = 4.0
    only: tuple[Modality, ...] = DECODER_MODALITIES
    #: how the finished weights are stored: "float16" halves the shipped checkpoint; every later part (the video
    #: decoder's shared VAE, stages 1-3, the frozen fingerprint) then reads the rounded weights, upcast to float32
    storage_dtype: Literal["float32", "float16"] = "float16"

    def __post_init__(self) -> None:
        if self.storage_dtype not in ("float32", "float16"):
            raise ConfigError(f"DecoderPretrainingConfig.storage_dtype must be 'float32' or 'float16', "
                              f"got {self.storage_dtype!r}")


def decoder_settings(config: DecoderPretrainingConfig, modality: Modality) -> dict[str, Any]:
    """The ``DecoderConfig`` fields (besides kind and path) a checkpoint uses with the pre-trained decoder."""
    common = {"num_inference_steps": config.num_inference_steps, "guidance_scale": config.guidance_scale}
    if modality == "audio":
        return {**common, "audio_length_s": arch.AUDIO_SECONDS}
    sizes = {"height": arch.IMAGE_SIZE, "width": arch.IMAGE_SIZE}
    return {**common, **sizes, **({"num_frames": arch.VIDEO_FRAMES} if modality == "video" else {})}


def pretrain_decoders(config: DecoderPretrainingConfig, out_dir: Path, *,
                      progress: TextIO | None = sys.stderr) -> dict[Modality, Path]:
    """Train (or reuse) every decoder of ``config.only`` under ``out_dir/<modality>``; returns the folders."""
    folders: dict[Modality, Path] = {}
    for modality in config.only:
        folder = out_dir / modality
        folders[modality] = folder
        settings = pretraining_settings(config, modality)
        if finished(folder, settings):
            _say(progress, f"{modality} decoder: done before, using {folder}")
            continue
        started = time.perf_counter()
        staging = out_dir / f".{modality}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        pipeline, losses = _TRAINERS[modality](config, out_dir, progress)
        pipeline.save_pretrained(str(staging))
        if config.storage_dtype == "float16":
            store_in_half_precision(staging)
        seconds = time.perf_counter() - started
        (staging / NOTE_FILE).write_text(json.dumps({
            "what": f"tiny {modality} decoder pre-trained on the synthetic world's train split "
                    "(nextgpt.training.decoder_pretraining)",
            "settings": settings, "seconds": round(seconds, 1),
            "losses": {part: {"first": round(values[0], 4),
                              "last_50_mean": round(sum(values[-50:]) / len(values[-50:]), 4)}
                       for part, values in losses.items()}}, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        staging.replace(folder)
        _say(progress, f"{modality} decoder: trained in {seconds:.0f} s, saved {folder}")
    return folders


#: the config fields each decoder's training reads (the video decoder encodes its clips with the image decoder's
#: VAE, so that VAE's training is part of it); the generation settings (DDIM steps, guidance) train nothing
TRAINING_FIELDS: dict[Modality, tuple[str, ...]] = {
    "image": ("autoencoder", "image_renders", "image"),
    "video": ("autoencoder", "image_renders", "video", "video_renders"),
    "audio": ("audio_autoencoder", "vocoder", "audio")}
SHARED_FIELDS = ("seed", "storage_dtype")


def pretraining_settings(config: DecoderPretrainingConfig, modality: Modality) -> dict[str, Any]:
    """What a finished ``modality`` decoder folder must have been trained with to be reused: the config fields
    its training reads (without ``log_every``, which changes only the log), the synthetic world's version (the
    renders), and its components' architectures (and the scheduler's).  Per decoder, so that a change to one
    decoder's training retrains that decoder alone."""
    from benchmarks.datasets.synthetic import VERSION

    fields = dataclasses.asdict(config)
    architectures = arch.architectures()
    settings = {name: _without_logging(fields[name]) for name in (*SHARED_FIELDS, *TRAINING_FIELDS[modality])}
    return json.loads(json.dumps({**settings, "world_version": VERSION, "architecture": architectures[modality],
                                  "scheduler": architectures["scheduler"]}))


def _without_logging(value: Any) -> Any:
    return {k: v for k, v in value.items() if k != "log_every"} if isinstance(value, dict) else value


def shared_vae_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The part of a decoder's recorded settings that fixes the image/video VAE."""
    return {"vae": settings["architecture"]["vae"],
            **{name: settings[name] for name in ("seed", "storage_dtype", "world_version", "autoencoder",
                                                 "image_renders")}}


def _check_shared_vae(config: DecoderPretrainingConfig, image_folder: Path) -> None:
    """The video decoder is trained on the image decoder's VAE: refuse a missing one or one trained with other
    settings (the video note would record the current settings, and a later run would reuse it as finished)."""
    note = image_folder / NOTE_FILE
    recorded = json.loads(note.read_text(encoding="utf-8")).get("settings") if note.is_file() else None
    wanted = shared_vae_settings(pretraining_settings(config, "video"))
    if recorded is None or "architecture" not in recorded or shared_vae_settings(recorded) != wanted:
        raise ConfigError(f"{image_folder}: the video decoder encodes its clips with the image decoder's VAE, "
                          f"and {'none is there' if recorded is None else 'that one was trained with other settings'}"
                          "; train the image decoder first (include 'image' in DecoderPretrainingConfig.only)")


def store_in_half_precision(folder: Path) -> None:
    """Rewrite every ``*.safetensors`` under ``folder`` with its float32 tensors as float16.  diffusers and
    transformers load them back as float32 (their default dtype), so only the stored precision changes."""
    from safetensors.torch import load_file, save_file

    for path in sorted(folder.rglob("*.safetensors")):
        tensors = load_file(str(path))
        save_file({name: tensor.half() if tensor.dtype == torch.float32 else tensor
                   for name, tensor in tensors.items()}, str(path), metadata={"format": "pt"})


def finished(folder: Path, settings: dict[str, Any]) -> bool:
    note = folder / NOTE_FILE
    return note.is_file() and json.loads(note.read_text(encoding="utf-8")).get("settings") == settings


def _train_image(config: DecoderPretrainingConfig, out_dir: Path,
                 progress: TextIO | None) -> tuple[Any, dict[str, list[float]]]:
    from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from nextgpt.training.decoder_data import image_renders
    from nextgpt.training.decoder_tokenizer import build_word_tokenizer

    renders = image_renders(config.image_renders, config.seed, arch.IMAGE_SIZE)
    torch.manual_seed(config.seed)
    vae = AutoencoderKL.from_config(arch.autoencoder(3, arch.IMAGE_SIZE))
    losses = {"autoencoder": train_autoencoder(vae, renders.media, config.autoencoder, label="image",
                                               progress=progress)}
    text_encoder = CLIPTextModel(CLIPTextConfig(**arch.clip_text(32)))
    unet = UNet2DConditionModel.from_config(arch.architectures()["image"]["unet"])
    tokenizer, scheduler = build_word_tokenizer(arch.MAX_TOKENS), arch.scheduler()
    losses["denoiser"] = _train_text_conditioned(unet, text_encoder, tokenizer, scheduler, vae, renders.media,
                                                 renders.captions, config.image, "image", progress)
    pipeline = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                       scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                       requires_safety_checker=False)
    return pipeline, losses


def _train_video(config: DecoderPretrainingConfig, out_dir: Path,
                 progress: TextIO | None) -> tuple[Any, dict[str, list[float]]]:
    """The video decoder reuses the image decoder's VAE (same frames, same size)."""
    from diffusers import AutoencoderKL, TextToVideoSDPipeline, UNet3DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from nextgpt.training.decoder_data import video_renders
    from nextgpt.training.decoder_tokenizer import build_word_tokenizer

    _check_shared_vae(config, out_dir / "image")
    renders = video_renders(config.video_renders, config.seed, arch.IMAGE_SIZE, arch.VIDEO_FRAMES)
    vae = AutoencoderKL.from_pretrained(str(out_dir / "image" / "vae"), local_files_only=True)
    torch.manual_seed(config.seed + 1)
    text_encoder = CLIPTextModel(CLIPTextConfig(**arch.clip_text(48)))
    unet = UNet3DConditionModel.from_config(arch.unet(48, video=True))
    tokenizer, scheduler = build_word_tokenizer(arch.MAX_TOKENS), arch.scheduler()
    losses = {"denoiser": _train_text_conditioned(unet, text_encoder, tokenizer, scheduler, vae, renders.media,
                                                  renders.captions, config.video, "video", progress)}
    pipeline = TextToVideoSDPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                     scheduler=scheduler)
    return pipeline, losses


def _train_text_conditioned(unet: Any, text_encoder: Any, tokenizer: Any, scheduler: Any, vae: Any,
                            media: torch.Tensor, captions: Any, training: DenoiserTraining, label: str,
                            progress: TextIO | None) -> list[float]:
    """SD / Zeroscope conditioning: the text encoder's last hidden states (no attention mask, as the pipelines
    call it).  Clips (N, F, 3, H, W) are encoded frame by frame into the UNet3D layout (N, C, F, h, w)."""
    frames = media.flatten(0, 1) if media.dim() == 5 else media
    mean, std = encode_posteriors(vae, frames)
    if media.dim() == 5:
        mean, std = (t.reshape(media.shape[0], media.shape[1], *t.shape[1:]).transpose(1, 2) for t in (mean, std))
    scale = float(vae.config.scaling_factor)
    empty = tokenizer([""], padding="max_length", max_length=tokenizer.model_max_length, return_tensors="pt")
    return train_denoiser(unet, text_encoder, scheduler, (mean * scale, std * scale),
                          caption_token_ids(tokenizer, captions), (empty.input_ids[0], empty.attention_mask[0]),
                          lambda ids, mask: {"encoder_hidden_states": text_encoder(ids).last_hidden_state},
                          training, label=label, progress=progress)


def _train_audio(config: DecoderPretrainingConfig, out_dir: Path,
                 progress: TextIO | None) -> tuple[Any, dict[str, list[float]]]:
    from diffusers import AudioLDMPipeline, AutoencoderKL, UNet2DConditionModel
    from transformers import ClapTextConfig, ClapTextModelWithProjection, SpeechT5HifiGan, SpeechT5HifiGanConfig

    from nextgpt.training.decoder_data import tone_renders
    from nextgpt.training.decoder_tokenizer import build_word_tokenizer

    torch.manual_seed(config.seed + 2)
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(**arch.vocoder()))
    hop = int(torch.tensor(vocoder.config.upsample_rates).prod())
    frames = int(arch.AUDIO_SECONDS * vocoder.config.sampling_rate / hop)
    renders = tone_renders(vocoder.config, frames)
    assert renders.waves is not None
    losses = {"vocoder": train_vocoder(vocoder, renders.media, renders.waves, config.vocoder, progress=progress)}
    vae = AutoencoderKL.from_config(arch.autoencoder(1, frames))
    losses["autoencoder"] = train_autoencoder(vae, renders.media, config.audio_autoencoder, label="audio",
                                              progress=progress)
    text_encoder = ClapTextModelWithProjection(ClapTextConfig(**arch.clap_text(32)))
    unet = UNet2DConditionModel.from_config(arch.audio_unet(32))
    tokenizer, scheduler = build_word_tokenizer(arch.MAX_TOKENS), arch.scheduler()
    mean, std = encode_posteriors(vae, renders.media)
    scale = float(vae.config.scaling_factor)
    empty = tokenizer([""], padding="max_length", max_length=tokenizer.model_max_length, return_tensors="pt")

    def conditioning(ids: torch.Tensor, mask: torch.Tensor) -> dict[str, Any]:
        embeds = text_encoder(ids, attention_mask=mask).text_embeds
        return {"encoder_hidden_states": None, "class_labels": F.normalize(embeds, dim=-1)}

    losses["denoiser"] = train_denoiser(unet, text_encoder, scheduler, (mean * scale, std * scale),
                                        caption_token_ids(tokenizer, renders.captions),
                                        (empty.input_ids[0], empty.attention_mask[0]), conditioning, config.audio,
                                        label="audio", progress=progress)
    pipeline = AudioLDMPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                scheduler=scheduler, vocoder=vocoder)
    return pipeline, losses


_TRAINERS = {"image": _train_image, "video": _train_video, "audio": _train_audio}


def _say(progress: TextIO | None, message: str) -> None:
    if progress is not None:
        print(message, file=progress, flush=True)
