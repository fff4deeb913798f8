"""Training recipes and the shipped tiny-trained checkpoint they produce."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import torch

from nextgpt.checkpoint import load_checkpoint, read_checkpoint_config
from nextgpt.errors import CheckpointError
from nextgpt.pretrained import DEFAULT_CHECKPOINT, SHIPPED_CHECKPOINTS, resolve_checkpoint
from nextgpt.training.language_model import LanguageModelConfig, chat_texts
from nextgpt.training.recipe import Recipe, StagePlan, run_recipe

MINI = Recipe(name="mini", preset="tiny", train_samples=2, seed=0,
              language_model=LanguageModelConfig(steps=3, batch_size=2, warmup_steps=1),
              stages=(StagePlan(1, steps=2, batch_size=2, learning_rate=1e-3),
                      StagePlan(2, steps=2, batch_size=2, learning_rate=1e-3, denoising_weight=0.1),
                      StagePlan(3, steps=2, batch_size=2, learning_rate=1e-3)))


def test_recipe_runs_every_part_bundles_the_llm_and_resumes(tmp_path: Path) -> None:
    log = io.StringIO()
    final = run_recipe(MINI, tmp_path, progress=log)
    assert (final / "llm" / "config.json").is_file()
    saved = json.loads((final / "config.json").read_text(encoding="utf-8"))["config"]
    assert saved["llm"]["path"] == "llm"  # relative: the folder travels with the checkpoint
    assert read_checkpoint_config(final).llm.path == str((final / "llm").resolve())
    model = load_checkpoint(final)  # the frozen fingerprint matches the bundled, pre-trained LLM
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["recipe"] == "mini" and [s["stage"] for s in manifest["recipe_settings"]["stages"]] == [1, 2, 3]
    state = {n: p.detach().clone() for n, p in model.named_parameters()}

    again = io.StringIO()
    run_recipe(MINI, tmp_path, progress=again)  # every part is found finished: nothing retrains
    assert "language model: done before" in again.getvalue()
    assert all(f"stage {s}: done before" in again.getvalue() for s in (1, 2, 3))
    reloaded = load_checkpoint(final)
    for name, param in reloaded.named_parameters():
        assert torch.equal(param, state[name]), name


def test_a_missing_bundled_folder_is_named(tmp_path: Path) -> None:
    final = run_recipe(MINI, tmp_path / "run", progress=None)
    broken = tmp_path / "broken"
    shutil.copytree(final, broken)
    shutil.rmtree(broken / "llm")
    with pytest.raises(CheckpointError, match=r"llm.path 'llm' names a bundled folder.*no config.json"):
        load_checkpoint(broken)


def test_language_model_texts_leave_out_answers_that_need_signal_tokens() -> None:
    from nextgpt.generation import GenerationRequest
    from nextgpt.training.examples import TargetOutput, TrainingExample

    texts = chat_texts([TrainingExample(GenerationRequest(text="Describe it."), "a red circle"),
                        TrainingExample(GenerationRequest(text="Draw a red circle."), "",
                                        (TargetOutput("image", "a red circle"),))])
    assert texts == ["### Human: Describe it.\n### Assistant: a red circle\n###"]


def test_the_shipped_checkpoint_loads_by_name_and_describes_held_out_inputs() -> None:
    from benchmarks.datasets.registry import resolve_dataset
    from nextgpt.generation import GenerationRequest, MediaInput
    from nextgpt.training.examples import DESCRIBE

    assert resolve_checkpoint(DEFAULT_CHECKPOINT) == SHIPPED_CHECKPOINTS[DEFAULT_CHECKPOINT]
    model = load_checkpoint(resolve_checkpoint(DEFAULT_CHECKPOINT))
    samples = resolve_dataset("image-captions", None, limit=8, seed=0, split="test").samples
    answers = model.generate([GenerationRequest(DESCRIBE["image"], (MediaInput("image", s.inputs[0].path),))
                              for s in samples])
    # held-out images: the answer names the colour or the shape that the references name
    hits = 0
    for sample, answer in zip(samples, answers, strict=True):
        words = set(answer.text.lower().split())
        reference_words = {w for caption in sample.captions for w in caption.lower().split()}
        hits += bool(words & reference_words & _CONTENT_WORDS)
    assert hits >= 6, [a.text for a in answers]


_CONTENT_WORDS = {"red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "black", "gray", "grey",
                  "circle", "square", "triangle", "star", "ring", "rectangle", "cyan", "magenta"}
