"""Training recipes: the full sequence that turns a preset into a trained checkpoint, as one resumable command.

``tiny-trained`` is how the checkpoint shipped in ``nextgpt/pretrained/tiny-trained`` was made (the default
model of ``nextgpt-bench run``):

0. pre-train the tiny preset's LLM as a language model on the synthetic world's training text
   (``nextgpt.training.language_model``; the stand-in for Vicuna, frozen from here on);
1. stage 1, encoding-side alignment (input projection);
2. stage 2, decoding-side alignment (signal-token rows + output projections; NLL + caption alignment +
   min-SNR denoising through the frozen UNets);
3. stage 3, instruction tuning (LoRA + both projections) on dialogues mixed with single-turn tasks.

All data is the synthetic world's *train* split; the benchmark suite scores the *test* split.  Each part writes
its own folder under ``--out`` and a rerun of the same command skips finished parts and resumes the running one
from its last checkpoint.  The result, ``OUT/final``, is a checkpoint folder that bundles the pre-trained LLM.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from nextgpt.errors import ConfigError
from nextgpt.training.language_model import LanguageModelConfig

#: where the bundled LLM sits inside a checkpoint folder (a relative llm.path, see nextgpt.checkpoint)
BUNDLED_LLM = "llm"


@dataclass(frozen=True)
class StagePlan:
    stage: Literal[1, 2, 3]
    steps: int
    batch_size: int
    learning_rate: float
    denoising_weight: float = 1.0


@dataclass(frozen=True)
class Recipe:
    name: str
    preset: str
    #: samples per dataset family drawn from the synthetic world's train split
    train_samples: int
    seed: int
    language_model: LanguageModelConfig | None
    stages: tuple[StagePlan, ...]


TINY_TRAINED = Recipe(
    name="tiny-trained", preset="tiny", train_samples=96, seed=0,
    language_model=LanguageModelConfig(steps=600, batch_size=16, learning_rate=3e-3),
    stages=(StagePlan(1, steps=200, batch_size=8, learning_rate=2e-3),
            StagePlan(2, steps=120, batch_size=8, learning_rate=2e-3, denoising_weight=0.1),
            StagePlan(3, steps=500, batch_size=8, learning_rate=2e-3)))

RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (TINY_TRAINED,)}


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ConfigError(f"unknown training recipe {name!r}; known: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


def run_recipe(recipe: Recipe, out_dir: str | Path, *, progress: TextIO | None = sys.stderr) -> Path:
    """Run (or resume) every part of ``recipe`` under ``out_dir``; returns the final checkpoint folder."""
    from safetensors.torch import load_file

    from nextgpt.building import build_model
    from nextgpt.checkpoint import frozen_fingerprint, load_trainable_state, trainable_state, write_checkpoint_folder
    from nextgpt.presets import get_preset
    from nextgpt.training.stage_data import stage_examples
    from nextgpt.training.trainer import TrainConfig, Trainer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    config = get_preset(recipe.preset)
    if recipe.language_model is not None:
        llm_folder = _pretrained_llm(recipe, config, out_dir, progress)
        config = config.replace(llm=dataclasses.replace(config.llm, path=str(llm_folder.resolve())))
    model = build_model(config)
    for plan in recipe.stages:
        stage_dir = out_dir / f"stage-{plan.stage}"
        train_config = TrainConfig(stage=plan.stage, steps=plan.steps, batch_size=plan.batch_size,
                                   learning_rate=plan.learning_rate, seed=recipe.seed,
                                   denoising_weight=plan.denoising_weight, checkpoint_every=50)
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
    if recipe.language_model is not None:
        bundled = config.replace(llm=dataclasses.replace(config.llm, path=BUNDLED_LLM))
        bundle[BUNDLED_LLM] = Path(config.llm.path or "")
    final = write_checkpoint_folder(
        out_dir / "final", bundled, trainable_state(model), fingerprint=frozen_fingerprint(model),
        tokenizer=model.tokenizer, bundle=bundle,
        extra_manifest={"recipe": recipe.name, "recipe_settings": dataclasses.asdict(recipe)})
    _say(progress, f"recipe {recipe.name}: wrote {final} in {time.perf_counter() - started:.0f} s")
    return final


def _pretrained_llm(recipe: Recipe, config: object, out_dir: Path, progress: TextIO | None) -> Path:
    """Part 0: the pre-trained base LLM (reused when a previous run of the recipe finished it)."""
    import torch

    from nextgpt.building import build_llm_tokenizer
    from nextgpt.llm import build_base_llm
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
    torch.manual_seed(config.init_seed)  # type: ignore[attr-defined]
    llm = build_base_llm(config.llm)  # type: ignore[attr-defined]
    tokenizer = build_llm_tokenizer(config)  # type: ignore[arg-type]
    _say(progress, f"language model: {len(texts)} training texts, {recipe.language_model.steps} steps")
    losses = pretrain_language_model(llm, tokenizer, texts, recipe.language_model, progress=progress)
    staging = out_dir / ".language-model.partial"
    save_language_model(llm, staging, config=recipe.language_model, texts=texts, losses=losses)
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    staging.replace(folder)
    return folder


def _check_same_settings(stage_dir: Path, config: object) -> None:
    """A stage folder left by a run with other settings is not resumed silently."""
    recorded = stage_dir / "train_config.json"
    if recorded.is_file() and json.loads(recorded.read_text(encoding="utf-8")) != dataclasses.asdict(config):
        raise ConfigError(f"{stage_dir} was trained with other settings than this recipe's ({recorded}); "
                          "use a new --out folder, or delete that stage folder (and the ones after it) to retrain")


def _say(progress: TextIO | None, message: str) -> None:
    if progress is not None:
        print(message, file=progress, flush=True)
