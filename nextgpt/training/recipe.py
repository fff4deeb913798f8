"""Training recipes: the full sequence that turns a preset into a trained checkpoint, as one resumable command.

``tiny-trained`` is how the checkpoint shipped in ``nextgpt/model/pretrained/tiny-trained`` was made (the default
model of ``nextgpt-bench run``):

0. pre-train the tiny preset's ImageBind contrastively on training media and their captions
   (``nextgpt.training.encoder_pretraining``; the stand-in for ImageBind, frozen from here on), its LLM as a
   language model on the training text (``nextgpt.training.language_model``; the stand-in for Vicuna, frozen)
   and its three decoders as text-conditioned latent diffusion models (``nextgpt.training.decoder_pretraining``;
   the stand-ins for SD, Zeroscope and AudioLDM, frozen);
1. stage 1, encoding-side alignment (input projection);
2. stage 2, decoding-side alignment (signal-token rows + output projections; NLL + caption alignment +
   min-SNR denoising through the frozen UNets);
3. stage 3, instruction tuning (LoRA + both projections) on dialogues mixed with single-turn tasks.

All data is the synthetic world's *train* split; the benchmark suite scores the *test* split.  Each part writes
its own folder under ``--out`` and a rerun of the same command skips finished parts and resumes the running one
from its last checkpoint.  The result, ``OUT/final``, is a checkpoint folder that bundles the pre-trained encoder,
LLM and decoders (relative paths, see ``nextgpt.model.checkpoint``).
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

from nextgpt.core.errors import ConfigError
from nextgpt.training.decoder_pretraining import DecoderPretrainingConfig
from nextgpt.training.encoder_pretraining import EncoderPretrainingConfig
from nextgpt.training.language_model import LanguageModelConfig
from nextgpt.training.latent_diffusion import AutoencoderTraining, DenoiserTraining
from nextgpt.training.vocoder_training import VocoderTraining

#: where the bundled LLM and encoder sit inside a checkpoint folder (relative paths, see nextgpt.model.checkpoint)
BUNDLED_LLM = "llm"
BUNDLED_ENCODER = "encoder"
ENCODER_FILE = "imagebind.pth"
BUNDLED_DECODERS = "decoders"


@dataclass(frozen=True)
class StagePlan:
    stage: Literal[1, 2, 3]
    steps: int
    batch_size: int
    learning_rate: float
    denoising_weight: float = 1.0
    #: weight of the caption-alignment term (stages 2 and 3) against the language loss
    alignment_weight: float = 1.0


@dataclass(frozen=True)
class Recipe:
    name: str
    preset: str
    #: samples per dataset family drawn from the synthetic world's train split
    train_samples: int
    seed: int
    encoder: EncoderPretrainingConfig | None
    language_model: LanguageModelConfig | None
    decoders: DecoderPretrainingConfig | None
    stages: tuple[StagePlan, ...]


TINY_TRAINED = Recipe(
    name="tiny-trained", preset="tiny", train_samples=96, seed=0,
    encoder=EncoderPretrainingConfig(steps=300, batch_size=32, learning_rate=2e-3),
    language_model=LanguageModelConfig(steps=600, batch_size=16, learning_rate=3e-3),
    decoders=DecoderPretrainingConfig(
        autoencoder=AutoencoderTraining(steps=700, batch_size=16, learning_rate=2e-3, log_every=50,
                                        foreground_weight=10.0),
        image=DenoiserTraining(steps=2000, batch_size=64, learning_rate=2e-3, log_every=100),
        video=DenoiserTraining(steps=500, batch_size=6, learning_rate=1.5e-3, log_every=100),
        audio_autoencoder=AutoencoderTraining(steps=300, batch_size=12, learning_rate=2e-3, log_every=50),
        audio=DenoiserTraining(steps=400, batch_size=24, learning_rate=1.5e-3, log_every=100),
        vocoder=VocoderTraining(steps=400, batch_size=12, learning_rate=2e-3, log_every=100)),
    stages=(StagePlan(1, steps=600, batch_size=8, learning_rate=3e-3),
            StagePlan(2, steps=2000, batch_size=8, learning_rate=2e-3, denoising_weight=0.1),
            StagePlan(3, steps=1000, batch_size=8, learning_rate=1.5e-3, alignment_weight=0.2)))

RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (TINY_TRAINED,)}


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ConfigError(f"unknown training recipe {name!r}; known: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


def run_recipe(recipe: Recipe, out_dir: str | Path, *, progress: TextIO | None = sys.stderr) -> Path:
    """Run (or resume) every part of ``recipe`` under ``out_dir``; returns the final checkpoint folder."""
    from safetensors.torch import load_file

    from nextgpt.model.building import build_model
    from nextgpt.model.checkpoint import (
        frozen_fingerprint,
        load_trainable_state,
        trainable_state,
        write_checkpoint_folder,
    )
    from nextgpt.model.presets import get_preset, with_local_weights
    from nextgpt.training.stage_data import stage_examples
    from nextgpt.training.trainer import TrainConfig, Trainer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    config = get_preset(recipe.preset)
    weights: dict[str, Path] = {}
    if recipe.encoder is not None:
        weights["imagebind"] = _pretrained_encoder(recipe, config, out_dir, progress).resolve()
    if recipe.language_model is not None:
        weights["llm"] = _pretrained_llm(recipe, config, out_dir, progress).resolve()
    decoder_folders: dict[str, Path] = {}
    if recipe.decoders is not None:
        decoder_folders = _pretrained_decoders(recipe.decoders, out_dir, progress)
    config = _with_decoders(with_local_weights(config, **weights), recipe.decoders, decoder_folders)
    model = build_model(config)  # the preset on its pre-trained parts
    for plan in recipe.stages:
        stage_dir = out_dir / f"stage-{plan.stage}"
        train_config = TrainConfig(stage=plan.stage, steps=plan.steps, batch_size=plan.batch_size,
                                   learning_rate=plan.learning_rate, seed=recipe.seed,
                                   denoising_weight=plan.denoising_weight,
                                   alignment_weight=plan.alignment_weight, checkpoint_every=50)
        _check_same_settings(stage_dir, train_config)
        finished = stage_dir / "final"
        if (finished / "trainable.safetensors").is_file():
            load_trainable_state(model, load_file(str(finished / "trainable.safetensors")), source=str(finished))
            _say(progress, f"stage {plan.stage}: done before, loaded {finished}")
            continue
        examples = stage_examples(plan.stage, {}, recipe.train_samples, recipe.seed)
        _say(progress, f"stage {plan.stage}: {len(examples)} examples, {plan.steps} steps of {plan.batch_size}")
        Trainer(model, examples, train_config, stage_dir, progress=progress).train(resume=True)
    bundled = config
    bundle: dict[str, Path] = {}
    if recipe.encoder is not None:
        bundled = bundled.replace(encoder=dataclasses.replace(config.encoder,
                                                              checkpoint=f"{BUNDLED_ENCODER}/{ENCODER_FILE}"))
        bundle[BUNDLED_ENCODER] = Path(config.encoder.checkpoint or "").parent
    if recipe.language_model is not None:
        bundled = bundled.replace(llm=dataclasses.replace(config.llm, path=BUNDLED_LLM))
        bundle[BUNDLED_LLM] = Path(config.llm.path or "")
    if decoder_folders:
        bundled = _with_decoders(bundled, recipe.decoders, {
            modality: Path(f"{BUNDLED_DECODERS}/{modality}") for modality in decoder_folders})
        bundle.update({f"{BUNDLED_DECODERS}/{modality}": folder for modality, folder in decoder_folders.items()})
    final = write_checkpoint_folder(
        out_dir / "final", bundled, trainable_state(model), fingerprint=frozen_fingerprint(model),
        tokenizer=model.tokenizer, bundle=bundle,
        extra_manifest={"recipe": recipe.name, "recipe_settings": dataclasses.asdict(recipe)})
    _say(progress, f"recipe {recipe.name}: wrote {final} in {time.perf_counter() - started:.0f} s")
    return final


def _pretrained_encoder(recipe: Recipe, config: Any, out_dir: Path, progress: TextIO | None) -> Path:
    """Part 0a: the contrastively pre-trained encoder (reused when a previous run of the recipe finished it)."""
    import torch

    from benchmarks.datasets.registry import resolve_dataset
    from nextgpt.model.encoder import ImageBindEncoder
    from nextgpt.model.encoder import media as media_io
    from nextgpt.training.encoder_pretraining import CaptionedMedium, pretrain_encoder

    assert recipe.encoder is not None
    folder = out_dir / "encoder"
    note = folder / "pretraining.json"
    settings = {"config": dataclasses.asdict(recipe.encoder), "train_samples": recipe.train_samples,
                "seed": recipe.seed}
    if note.is_file() and json.loads(note.read_text(encoding="utf-8")).get("settings") == settings:
        _say(progress, f"encoder: done before, using {folder}")
        return folder / ENCODER_FILE
    _refuse_stale_stages(out_dir, "encoder")
    encoder_config = config.encoder
    loaders = {"image": media_io.load_image,
               "video": lambda p: media_io.load_video(p, encoder_config.video_clips,
                                                      encoder_config.video_spatial_crops),
               "audio": lambda p: media_io.load_audio(p, encoder_config.audio_clips)}
    media = [CaptionedMedium(modality, loaders[modality](sample.inputs[0].path), tuple(sample.captions))
             for family, modality in (("image-captions", "image"), ("video-captions", "video"),
                                      ("audio-captions", "audio"))
             for sample in resolve_dataset(family, None, limit=recipe.train_samples, seed=recipe.seed,
                                           split="train").samples]
    torch.manual_seed(config.init_seed)
    encoder = ImageBindEncoder(encoder_config)
    _say(progress, f"encoder: {len(media)} captioned media, {recipe.encoder.steps} steps")
    losses = pretrain_encoder(encoder, media, recipe.encoder, progress=progress)
    staging = out_dir / ".encoder.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    torch.save(encoder.model.state_dict(), staging / ENCODER_FILE)
    (staging / "pretraining.json").write_text(json.dumps({
        "what": "tiny stand-in for ImageBind: contrastive (InfoNCE) pre-training of every modality's pooled "
                "embedding against a bag-of-words caption encoder on the synthetic world's train split "
                "(nextgpt.training.encoder_pretraining)",
        "settings": settings, "loss_first": round(losses[0], 4),
        "loss_last_50_mean": round(sum(losses[-50:]) / len(losses[-50:]), 4)}, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    return folder / ENCODER_FILE


def _pretrained_llm(recipe: Recipe, config: object, out_dir: Path, progress: TextIO | None) -> Path:
    """Part 0: the pre-trained base LLM (reused when a previous run of the recipe finished it)."""
    import torch

    from nextgpt.model.building import build_llm_tokenizer
    from nextgpt.model.llm import build_base_llm
    from nextgpt.training.language_model import chat_texts, pretrain_language_model, save_language_model, texts_digest
    from nextgpt.training.stage_data import stage_examples

    assert recipe.language_model is not None
    folder = out_dir / "language-model"
    examples = [example for stage in (1, 3) for example in
                stage_examples(stage, {}, recipe.train_samples, recipe.seed)]
    texts = chat_texts(examples)
    note = folder / "pretraining.json"
    if note.is_file():
        done = json.loads(note.read_text(encoding="utf-8"))
        if done.get("config") == dataclasses.asdict(recipe.language_model) and \
                done.get("texts_sha256") == texts_digest(texts):
            _say(progress, f"language model: done before, using {folder}")
            return folder
    _refuse_stale_stages(out_dir, "language model")
    torch.manual_seed(config.init_seed)  # type: ignore[attr-defined]
    llm = build_base_llm(config.llm)  # type: ignore[attr-defined]
    tokenizer = build_llm_tokenizer(config)  # type: ignore[arg-type]
    _say(progress, f"language model: {len(texts)} training texts, {recipe.language_model.steps} steps")
    losses = pretrain_language_model(llm, tokenizer, texts, recipe.language_model, progress=progress)
    staging = out_dir / ".language-model.partial"
    save_language_model(llm, staging, config=recipe.language_model, texts=texts, losses=losses)
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    return folder


def _pretrained_decoders(config: DecoderPretrainingConfig, out_dir: Path,
                         progress: TextIO | None) -> dict[str, Path]:
    """Part 0c: the pre-trained decoders as diffusers pipeline folders (each reused when finished before)."""
    from nextgpt.training.decoder_pretraining import finished, pretrain_decoders, pretraining_settings

    folder = out_dir / BUNDLED_DECODERS
    if not all(finished(folder / modality, pretraining_settings(config, modality)) for modality in config.only):
        _refuse_stale_stages(out_dir, "decoders")
    return {modality: path.resolve() for modality, path in
            pretrain_decoders(config, folder, progress=progress).items()}


def _with_decoders(config: Any, decoders: DecoderPretrainingConfig | None, folders: dict[str, Path]) -> Any:
    """``config`` with each decoder of ``folders`` loaded from its pipeline folder, with the pre-trained decoders'
    generation settings (DDIM steps, guidance, output size)."""
    from nextgpt.training.decoder_pretraining import decoder_settings

    if decoders is None or not folders:
        return config
    replaced = {modality: dataclasses.replace(config.decoders.for_modality(modality), path=str(folder),
                                              architecture=None, **decoder_settings(decoders, modality))
                for modality, folder in folders.items()}
    return config.replace(decoders=dataclasses.replace(config.decoders, **replaced))


def _refuse_stale_stages(out_dir: Path, part: str) -> None:
    """A frozen part about to be (re)trained would leave the stages already in ``out_dir`` trained on another."""
    stale = sorted(p.name for p in out_dir.glob("stage-*") if p.is_dir())
    if stale:
        raise ConfigError(f"{out_dir}: the {part} must be trained (first run, or its settings changed) but "
                          f"{', '.join(stale)} were trained on the previous one; delete those stage folders (the parts "
                          "already pre-trained are kept and reused) or use a new --out folder")


def _check_same_settings(stage_dir: Path, config: object) -> None:
    """A stage folder left by a run with other settings is not resumed silently."""
    recorded = stage_dir / "train_config.json"
    if recorded.is_file() and json.loads(recorded.read_text(encoding="utf-8")) != dataclasses.asdict(config):
        raise ConfigError(f"{stage_dir} was trained with other settings than this recipe's ({recorded}); "
                          "use a new --out folder, or delete that stage folder (and the ones after it) to retrain")


def _say(progress: TextIO | None, message: str) -> None:
    if progress is not None:
        print(message, file=progress, flush=True)
