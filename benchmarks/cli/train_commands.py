"""``nextgpt-bench train``: run one training stage on the synthetic world or local datasets."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nextgpt.core.errors import ConfigError
from nextgpt.core.output_paths import check_output_folder

if TYPE_CHECKING:
    from nextgpt.core.interface import AnyToAnyModel


def register(subparsers: Any) -> None:
    from benchmarks.cli.model_commands import add_model_arguments
    from nextgpt.training.recipe import RECIPES

    train = subparsers.add_parser("train", help="run training stage 1, 2 or 3 (the paper's three stages), or a "
                                                "whole recipe")
    add_model_arguments(train)
    what = train.add_mutually_exclusive_group(required=True)
    what.add_argument("--stage", type=int, choices=(1, 2, 3))
    what.add_argument("--recipe", choices=sorted(RECIPES),
                      help="every part of a recipe in order, resumable (tiny-trained: the shipped checkpoint); "
                           "model and step options come from the recipe")
    train.add_argument("--out", type=Path, required=True, help="folder for checkpoints, log and final/")
    train.add_argument("--dataset", action="append", default=[], metavar="FAMILY=SPEC",
                       help="local data per family (as in `run`); others use the synthetic world's train split")
    train.add_argument("--train-samples", type=int, default=64,
                       help="samples per family drawn from the synthetic world's train split")
    train.add_argument("--train-steps", type=int, default=200, help="optimiser steps")
    train.add_argument("--batch-size", type=int, default=4)
    train.add_argument("--grad-accumulation", type=int, default=1)
    train.add_argument("--lr", type=float, help="learning rate (default: the paper's for the stage)")
    train.add_argument("--autocast", choices=("none", "bfloat16", "float16"), default="none")
    train.add_argument("--checkpoint-every", type=int, default=50)
    train.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    train.add_argument("--eval-suite", help="after training, run this benchmark suite on the result")
    train.add_argument("--eval-limit", type=int, default=8)
    train.add_argument("--export", type=Path,
                       help="with --recipe: also copy the final checkpoint here (atomically replacing it)")
    train.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Every input is checked before the model is built or loaded -- the settings, --out, the model choice (a
    bad --checkpoint), every --dataset (the examples are drawn first) -- so a bad one fails in seconds."""
    from benchmarks.cli.model_commands import load_model_from_args, resolve_model_choice
    from benchmarks.cli.run_commands import parse_datasets
    from nextgpt.training.stage_data import stage_examples
    from nextgpt.training.trainer import TrainConfig, Trainer

    if args.recipe is not None:
        return run_recipe_command(args)
    if args.export is not None:
        raise ConfigError(f"--export {args.export} works only with --recipe (it copies the recipe's final "
                          f"checkpoint); a --stage run writes its final checkpoint to {args.out / 'final'}")
    if args.train_samples < 1:
        raise ConfigError("--train-samples must be positive")
    config = TrainConfig(stage=args.stage, steps=args.train_steps, batch_size=args.batch_size,
                         grad_accumulation=args.grad_accumulation, learning_rate=args.lr, seed=args.seed,
                         autocast=args.autocast, checkpoint_every=args.checkpoint_every)
    check_output_folder(args.out, flag="--out")
    resolve_model_choice(args)  # a bad --device or --checkpoint is named now, not after the datasets are read
    examples = stage_examples(args.stage, dict(parse_datasets(args.dataset)), args.train_samples, args.seed)
    model = load_model_from_args(args)
    print(f"stage {args.stage}: {len(examples)} examples, {config.steps} steps of {config.batch_size} "
          f"x {config.grad_accumulation}, lr {config.lr}")
    final = Trainer(model, examples, config, args.out).train(resume=args.resume)
    print(f"wrote {final} (use: nextgpt-bench run --checkpoint {final} --preset {model.config.preset})")
    if args.eval_suite:
        evaluate(model, args.eval_suite, args.eval_limit, args.out / "results")
    return 0


def run_recipe_command(args: argparse.Namespace) -> int:
    from nextgpt.model.checkpoint import copy_checkpoint_folder
    from nextgpt.model.loading import load_model
    from nextgpt.model.model_spec import ModelSpec
    from nextgpt.training.recipe import get_recipe, run_recipe

    recipe = get_recipe(args.recipe)
    given = [flag for flag, value in (("--preset", args.preset), ("--checkpoint", args.checkpoint),
                                      ("--model-config", args.model_config)) if value is not None]
    if given:
        raise ConfigError(f"--recipe {recipe.name} builds its own model from the recipe; drop {', '.join(given)} "
                          "(or train one stage with --stage on the model you name)")
    check_output_folder(args.out, flag="--out")
    if args.export is not None:
        check_export_target(args.export, args.out)
    final = run_recipe(recipe, args.out)
    if args.export is not None:
        copy_checkpoint_folder(final, args.export)
        print(f"exported {final} -> {args.export}")
    print(f"wrote {final} (use: nextgpt-bench run --checkpoint {final})")
    if args.eval_suite:
        evaluate(load_model(ModelSpec(checkpoint=final)), args.eval_suite, args.eval_limit, args.out / "results")
    return 0


def check_export_target(export: Path, out: Path) -> None:
    """``--export``, before the recipe trains: a folder that can be made (or an existing checkpoint that can be
    replaced) in a writable folder, and not one that holds --out (it would be replaced by the copy)."""
    from nextgpt.model.checkpoint import check_checkpoint_target

    check_output_folder(export, flag="--export")
    resolved = export.resolve()
    if resolved == out.resolve() or resolved in out.resolve().parents:
        raise ConfigError(f"--export {export} holds --out {out}: the exported checkpoint would replace the "
                          "recipe's own folder; export to a folder outside --out")
    check_output_folder(export.parent, flag="--export (its parent, where the copy is staged)")
    check_checkpoint_target(export)


def evaluate(model: AnyToAnyModel, suite: str, limit: int, store: Path) -> None:
    """Run a benchmark suite on the test split and print each task's metrics."""
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings
    from benchmarks.store import ResultsStore
    from benchmarks.tasks import suite_tasks

    settings = RunSettings(tasks=tuple(t.name for t in suite_tasks(suite)), limit=limit, extractors="toy",
                           bootstrap=200)
    summary = BenchmarkRunner(model, ResultsStore(store), settings).run()
    for name, task in summary.tasks.items():
        print(f"  {name}: " + ", ".join(f"{k}={v:.4g}" for k, v in task.metrics.items() if v is not None))
