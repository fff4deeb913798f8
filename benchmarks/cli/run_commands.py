"""``nextgpt-bench run``: run a suite or tasks on a model and store the results.

The summary (or ``--json``) is the command's output, on stdout; the runner's progress and messages go to stderr
through ``benchmarks/cli/output.py``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

from benchmarks.cli.distributed import init_distributed
from benchmarks.cli.store_options import add_store_arguments
from benchmarks.options import positive_int, resamples
from nextgpt.core.errors import TaskError

if TYPE_CHECKING:
    from benchmarks.runner.runner import RunSummary
    from nextgpt.core.interface import JSONValue, StageProfilerFactory

logger = logging.getLogger(__name__)

def register(subparsers: Any) -> None:
    from benchmarks.cli.model_commands import add_model_arguments
    from nextgpt.model.pretrained import DEFAULT_CHECKPOINT

    run = subparsers.add_parser("run", help="run benchmark tasks on a model and store the results")
    add_model_arguments(run, default_checkpoint=DEFAULT_CHECKPOINT)
    run.add_argument("--suite", default="default", help="default, captioning, text-to-x, editing, dialogue, cycle")
    run.add_argument("--tasks", help="comma-separated task names (instead of --suite)")
    run.add_argument("--dataset", action="append", default=[], metavar="FAMILY=SPEC",
                     help="use a local dataset for a family, e.g. image-captions=coco:ANNOTATIONS.json:IMAGES "
                          "(see docs/benchmarks.md); families without one use the built-in synthetic world")
    run.add_argument("--limit", type=positive_int, help="samples per task (synthetic world: how many to generate)")
    run.add_argument("--batch-size", type=positive_int, default=1)
    add_store_arguments(run)
    run.add_argument("--extractors", choices=("auto", "canonical", "toy"), default="auto",
                     help="feature networks for FID/CLIP/FAD: canonical (local weights; comparable with papers), "
                          "toy (anywhere; not comparable), auto (canonical when all weights are present)")
    run.add_argument("--bootstrap", type=resamples, default=200,
                     help="bootstrap resamples for confidence intervals (0: none)")
    run.add_argument("--json", action="store_true",
                     help='print {"run_id", "tasks": {TASK: {metrics, ci, n}}, "skipped": {TASK: REASON}}')
    run.add_argument("--no-report", action="store_true", help="skip the HTML report at the end")
    run.add_argument("--profile", action="store_true",
                     help="record per-stage time and memory of every generation (shown in the report)")
    run.add_argument("--paper-model", metavar="NAME",
                     help="the NExT-GPT paper's row this model is (e.g. SD-1.5, one of the model names of "
                          "benchmarks/tasks/paper_reference.json): stored as paper_model in the run's model "
                          "description, so the leaderboard shows the measured row beside the paper's")
    run.set_defaults(func=run_command)


def choose_extractors(requested: str) -> tuple[str, str | None]:
    """-> (extractor set, why toy was chosen); ``auto`` tries to find every canonical weight file."""
    if requested != "auto":
        return requested, None
    from benchmarks.scoring.scorers import EXTRACTOR_SETS
    from metrics.extractors.registry import build_extractor
    from nextgpt.core.errors import NextGPTError

    missing = []
    for name in EXTRACTOR_SETS["canonical"].values():
        try:
            build_extractor(name)
        except (NextGPTError, FileNotFoundError):
            missing.append(name)
    if missing:
        return "toy", f"weights of {', '.join(missing)} (see `nextgpt-bench weights list`)"
    return "canonical", None


def parse_datasets(items: list[str]) -> tuple[tuple[str, str], ...]:
    from benchmarks.datasets.registry import FAMILIES

    pairs: dict[str, str] = {}
    for item in items:
        family, sep, spec = item.partition("=")
        if not sep or family not in FAMILIES:
            raise TaskError(f"--dataset {item!r}: expected FAMILY=SPEC with FAMILY one of {', '.join(FAMILIES)}")
        if not spec.strip():
            raise TaskError(f"--dataset {item!r}: SPEC is empty; give e.g. {family}=manifest:FILE.jsonl, or leave "
                            "the flag out for the synthetic world")
        if family in pairs:
            raise TaskError(f"--dataset {item!r}: the family {family} is already given as {pairs[family]!r}; "
                            "give each family once")
        pairs[family] = spec
    return tuple(pairs.items())


def selected_tasks(args: argparse.Namespace) -> tuple[str, ...]:
    from benchmarks.tasks import get_task, suite_tasks

    if args.tasks:
        names = [t.strip() for t in args.tasks.split(",") if t.strip()]
        if not names:
            raise TaskError(f"--tasks {args.tasks!r} names no task; give comma-separated task names")
        return tuple(get_task(name).name for name in names)
    return tuple(t.name for t in suite_tasks(args.suite))


def paper_model_label(name: str | None) -> dict[str, JSONValue]:
    """``--paper-model NAME`` as the description field it adds (``{}`` without the flag); a name that is not a
    model of the paper's reference rows is a TaskError listing the valid ones."""
    if name is None:
        return {}
    from benchmarks.tasks.paper import REFERENCE_FILE, load_reference

    models = sorted({row.model for row in load_reference().rows})
    if name not in models:
        raise TaskError(f"--paper-model {name!r}: not a model of the paper's rows in {REFERENCE_FILE}; expected one "
                        f"of {', '.join(models)} (names are case-sensitive)")
    return {"paper_model": name}


def summary_lines(summary: RunSummary, tasks: tuple[str, ...]) -> list[str]:
    """The run's summary for people: a line per selected task in the order selected, a skipped one with why."""
    lines = []
    for name in tasks:
        if name in summary.skipped:
            lines.append(f"  {name:<14} skipped: {summary.skipped[name]}")
        elif name in summary.tasks:
            task = summary.tasks[name]
            metrics = ", ".join(f"{k}={v:.4g}" if v is not None else f"{k}=n/a" for k, v in task.metrics.items())
            lines.append(f"  {name:<14} n={task.n:<4} {metrics}")
    return lines


def stage_profiler() -> StageProfilerFactory:
    """``--profile``: NExT-GPT's stage instrumentation, injected into the runner from here (the runner may not
    import nextgpt.profiling; see nextgpt.core.interface)."""
    from nextgpt.profiling import StageProfiler

    return StageProfiler


def run_command(args: argparse.Namespace) -> int:
    """Everything that can be wrong with the input is found before the model loads and before a run row is
    written: settings, the device, the checkpoint's config, every dataset, the store (readable and writable);
    then the model is loaded and run."""
    from benchmarks.cli.model_commands import load_model_from_args, resolve_model_choice
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings, resolve_datasets
    from benchmarks.store import ResultsStore

    # the numeric model flags are checked by their argparse types; the device, a bad --checkpoint or missing
    # local weights are named now, not after the datasets are drawn
    choice = resolve_model_choice(args)
    label = paper_model_label(args.paper_model)
    tasks = selected_tasks(args)
    data = parse_datasets(args.dataset)
    extractors, why_toy = choose_extractors(args.extractors)
    settings = RunSettings(tasks=tasks, seed=args.seed, limit=args.limit, data=data, extractors=extractors,
                           bootstrap=args.bootstrap, batch_size=args.batch_size)
    datasets = resolve_datasets(settings)
    store = ResultsStore(args.store, media=args.media)
    store.require_writable()
    if why_toy:
        logger.warning("scoring with toy feature networks (fid[toy], clip_score[toy-clip], fad[toy-audio]); these "
                       "numbers are NOT comparable with published ones. Missing: %s", why_toy)
    distributed = init_distributed(choice.device)
    model = load_model_from_args(args)
    summary = BenchmarkRunner(model, store, settings, datasets=datasets, description_extra=label,
                              stage_profiler=stage_profiler() if args.profile else None).run()
    if distributed:
        import torch.distributed

        rank = torch.distributed.get_rank()
        torch.distributed.destroy_process_group()
        if rank != 0:
            return 0
    report = None
    if not args.no_report:
        from reports.run_report import render_run_report

        report = render_run_report(store, summary.run_id, store.folder / "reports" / summary.run_id)
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print(f"run {summary.run_id} stored in {store.path}")
        for line in summary_lines(summary, tasks):
            print(line)
    if report is not None:
        print(f"report: {report}", file=sys.stderr if args.json else sys.stdout)
    return 0
