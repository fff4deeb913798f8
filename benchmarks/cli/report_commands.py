"""``nextgpt-bench report | compare | gate`` (see reports/README.md; ``leaderboard`` is in leaderboard_commands.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.cli.store_options import DEFAULT_STORE, add_store_arguments, open_store, run_source
from benchmarks.options import jackknife_groups, non_negative_int, paired_resamples
from metrics.defaults import JACKKNIFE_GROUPS

__all__ = ["DEFAULT_STORE", "open_store", "register"]


def register(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="write a self-contained HTML report of a stored run")
    report.add_argument("run", help="run id (see `nextgpt-bench leaderboard` or the run command's output)")
    add_store_arguments(report)
    report.add_argument("--out", type=Path, help="output folder (default: STORE/reports/RUN)")
    report.add_argument("--max-samples", type=non_negative_int, default=8, help="samples per task in the gallery")
    report.add_argument("--baseline", default="paper", metavar="RUN|FILE|paper|none",
                        help="what the overview compares each task's headline metric with: a run id in --store or a "
                             "snapshot / pytest-benchmark JSON file (paired intervals as `compare BASELINE RUN`; an "
                             "incomparable baseline is refused), the NExT-GPT paper where comparable (default), or "
                             "none")
    report.add_argument("--bootstrap", type=paired_resamples, default=1000,
                        help="paired bootstrap resamples against a baseline run")
    report.add_argument("--seed", type=non_negative_int, default=0, help="seed of the paired intervals")
    report.add_argument("--set-groups", type=jackknife_groups, default=JACKKNIFE_GROUPS,
                        help="jackknife groups of the FID/FAD paired interval against a baseline run (0: none)")
    report.add_argument("--skip-incomparable", action="store_true",
                        help="against a baseline run, mark scores computed differently as refused instead of "
                             "stopping (exit 2)")
    report.set_defaults(func=report_command)

    compare = subparsers.add_parser("compare", help="two runs side by side with paired bootstrap CIs")
    compare.add_argument("run_a", help="run id in --store, or a snapshot / pytest-benchmark JSON file")
    compare.add_argument("run_b", help="run id in --store, or a snapshot / pytest-benchmark JSON file")
    add_store_arguments(compare)
    compare.add_argument("--bootstrap", type=paired_resamples, default=1000, help="paired bootstrap resamples")
    compare.add_argument("--seed", type=non_negative_int, default=0)
    compare.add_argument("--set-groups", type=jackknife_groups, default=JACKKNIFE_GROUPS,
                         help="jackknife groups of the FID/FAD paired interval, recomputed from the feature rows "
                              "the runs stored when scored (1 + 3G pairs of distances; 0: none). Runs stored "
                              "before features were get none until rerun: the same `nextgpt-bench run` command "
                              "makes a new run from the generation cache, with features")
    compare.add_argument("--skip-incomparable", action="store_true",
                         help="list scores computed differently as refused instead of stopping (exit 2)")
    compare.add_argument("--html", type=Path, metavar="DIR", help="also write an HTML comparison into DIR")
    compare.add_argument("--max-samples", type=non_negative_int, default=6,
                         help="samples per task in the HTML comparison")
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(func=compare_command)

    gate = subparsers.add_parser("gate", help="exit 1 when RUN regressed against a baseline (0: pass, 2: bad input)")
    gate.add_argument("run", help="run id in --store (or a snapshot JSON file)")
    gate.add_argument("--baseline", help="baseline run id in --store, or a snapshot / pytest-benchmark JSON file")
    gate.add_argument("--rules", type=Path, help="rules JSON (default: 5%% relative and significant worsening per "
                                                 "metric; 2x seconds/call and +10%% peak memory per stage)")
    add_store_arguments(gate)
    gate.add_argument("--bootstrap", type=paired_resamples, default=1000)
    gate.add_argument("--seed", type=non_negative_int, default=0)
    gate.add_argument("--set-groups", type=jackknife_groups, default=JACKKNIFE_GROUPS,
                      help="jackknife groups of the FID/FAD paired interval (0: FID/FAD judged by tolerance only)")
    gate.add_argument("--write-baseline", type=Path, metavar="FILE",
                      help="write RUN as a snapshot baseline file (for CI) and exit")
    gate.add_argument("--json", action="store_true")
    gate.set_defaults(func=gate_command)


def output_folder(path: Path, flag: str) -> Path:
    """``path`` as an existing (created) folder, or a ReportInputError naming the flag and the path."""
    from reports.errors import ReportInputError

    if path.exists() and not path.is_dir():
        raise ReportInputError(f"{flag} {path} is a file; expected a folder to write into")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportInputError(f"{flag} {path}: cannot create the folder ({error.strerror or error}); give a "
                               "writable folder") from error
    return path


#: --baseline words that are not a run: the paper's numbers, or nothing
REPORT_BASELINE_WORDS = ("paper", "none")


def report_command(args: argparse.Namespace) -> int:
    from reports.run_report import render_run_report

    store = open_store(args.store, args.media)
    store.run(args.run)  # an unknown run is named before any folder is made
    baseline = _report_baseline(args, store)  # and so is an incomparable baseline
    out = output_folder(args.out or store.folder / "reports" / args.run, "--out")
    index = render_run_report(store, args.run, out, max_samples=args.max_samples, baseline=baseline)
    print(index)
    return 0


def _report_baseline(args: argparse.Namespace, store: Any) -> Any:
    """``paper``/``none``, or the comparison of RUN against the baseline run (compare's refusal when the
    baseline's scores were computed differently)."""
    from reports.overview import compare_to_baseline
    from reports.run_files import resolve_run
    from reports.rundata import load_from_store

    if args.baseline in REPORT_BASELINE_WORDS:
        return args.baseline
    return compare_to_baseline(load_from_store(store, args.run), resolve_run(args.baseline, run_source(args)),
                               bootstrap=args.bootstrap, seed=args.seed, set_groups=args.set_groups,
                               skip_incomparable=args.skip_incomparable)


def compare_command(args: argparse.Namespace) -> int:
    from reports.compare import compare_runs
    from reports.run_files import resolve_run

    source = run_source(args)
    a, b = resolve_run(args.run_a, source), resolve_run(args.run_b, source)
    comparison = compare_runs(a, b, bootstrap=args.bootstrap, seed=args.seed,
                              skip_incomparable=args.skip_incomparable, set_groups=args.set_groups)
    print(json.dumps(comparison.to_json()) if args.json else comparison.to_text())
    if args.html:
        from reports.compare_html import render_comparison

        html = output_folder(args.html, "--html")
        print(render_comparison(comparison, html, max_samples=args.max_samples), file=sys.stderr)
    return 0


def gate_command(args: argparse.Namespace) -> int:
    from reports.errors import ReportInputError
    from reports.gate import run_gate
    from reports.gate_rules import default_rules, load_rules
    from reports.run_files import resolve_run, write_snapshot

    source = run_source(args)
    current = resolve_run(args.run, source)
    if args.write_baseline:
        print(write_snapshot(current, args.write_baseline))
        return 0
    if not args.baseline:
        raise ReportInputError("gate needs --baseline RUN_OR_FILE (or --write-baseline FILE to make one)")
    rules = load_rules(args.rules) if args.rules else default_rules()
    result = run_gate(current, resolve_run(args.baseline, source), rules, bootstrap=args.bootstrap,
                      seed=args.seed, set_groups=args.set_groups)
    print(json.dumps(result.to_json(), default=str) if args.json else result.to_text())
    return 0 if result.passed else 1

