"""Gate a pytest session's benchmark results against a baseline: ``pytest -p reports.pytest_gate``.

    pytest benchmarks/test_bench_tasks.py --benchmark-only --bench-store out/bench \\
        -p reports.pytest_gate --gate-baseline ci/baseline.json [--gate-rules ci/gate-rules.json]

After the tests, every complete run the session wrote into the store (``--gate-store``, default the benchmarks'
``--bench-store``) is merged into one (the task benchmarks write one run per task) -- or ``--gate-run RUN`` picks
one -- and gated like ``nextgpt-bench gate``.  A regression fails the session (exit 1) with the gate's table in
the terminal summary; unusable input (missing store, unreadable baseline, scores computed differently, a broken
extension) exits with pytest's usage-error status (4) and the reason.  Installed extensions (the
``nextgpt_bench.plugins`` entry points) are imported first, as the command line does, so a run scored with an
extension's metric can be gated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from metrics.defaults import JACKKNIFE_GROUPS

if TYPE_CHECKING:
    from reports.gate import GateResult
    from reports.rundata import RunData


@dataclass
class _GateState:
    """What the session's gate found, kept between sessionfinish and the terminal summary."""

    started: float
    result: GateResult | None = None
    #: why the inputs could not be gated (usage error)
    error: str | None = None


_STATE = pytest.StashKey[_GateState]()


def _set_metrics() -> str:
    """The metrics whose paired interval is a jackknife recomputed from stored features, by the registry."""
    from benchmarks.scoring.registry import registered_metrics

    return "/".join(spec.name.upper() for spec in registered_metrics() if spec.pairing == "set-jackknife")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nextgpt-bench gate")
    group.addoption("--gate-baseline", default=None,
                    help="baseline: snapshot JSON (nextgpt-bench gate RUN --write-baseline FILE), pytest-benchmark "
                         "JSON, or a run id in the gate store")
    group.addoption("--gate-store", default=None, help="results store to gate (default: --bench-store)")
    group.addoption("--gate-run", default=None, help="gate this run (default: runs this session completed)")
    group.addoption("--gate-rules", default=None, help="gate rules JSON (see reports/README.md)")
    group.addoption("--gate-bootstrap", type=int, default=1000, help="paired bootstrap resamples")
    group.addoption("--gate-set-groups", type=int, default=JACKKNIFE_GROUPS,
                    help=f"jackknife groups of the {_set_metrics()} paired interval recomputed from stored "
                         "features (0: none)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = _GateState(started=time.time())


def _store_folder(config: pytest.Config) -> Path | None:
    chosen = config.getoption("--gate-store")
    if chosen is None:
        try:
            chosen = config.getoption("--bench-store")
        except ValueError:  # the benchmarks' conftest is not loaded
            chosen = None
    return Path(chosen) if chosen else None


def _current_run(config: pytest.Config, folder: Path, started: float) -> RunData:
    from benchmarks.store import ResultsStore
    from reports.errors import ReportInputError
    from reports.rundata import load_from_store, merge_runs

    store = ResultsStore(folder)
    if config.getoption("--gate-run"):
        return load_from_store(store, config.getoption("--gate-run"))
    runs = [load_from_store(store, r["run_id"]) for r in store.runs()
            if r["status"] == "complete" and r["created"] >= started - 1.0]
    if not runs:
        raise ReportInputError(f"the session completed no run in {folder} to gate (pass --gate-run RUN)")
    return merge_runs(runs)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    baseline_spec = config.getoption("--gate-baseline")
    if not baseline_spec:
        return
    from nextgpt.core.errors import NextGPTError
    from nextgpt.core.extensions import load_plugins
    from reports.errors import ReportInputError
    from reports.gate import run_gate
    from reports.gate_rules import default_rules, load_rules
    from reports.run_files import resolve_run

    state = config.stash[_STATE]
    try:
        load_plugins()  # a run scored with an extension's metric names it: the registry must know it, as in the CLI
        folder = _store_folder(config)
        if folder is None or not (folder / "results.sqlite").is_file():
            raise ReportInputError(f"no results store to gate at {folder} (pass --gate-store DIR or --bench-store "
                                   "DIR so the store outlives the session)")
        rules_file = config.getoption("--gate-rules")
        rules = load_rules(Path(rules_file)) if rules_file else default_rules()
        current = _current_run(config, folder, state.started)
        baseline = resolve_run(baseline_spec, folder)
        result = run_gate(current, baseline, rules, bootstrap=config.getoption("--gate-bootstrap"),
                          set_groups=config.getoption("--gate-set-groups"))
    except NextGPTError as error:
        state.error = str(error)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
        return
    state.result = result
    if not result.passed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not config.getoption("--gate-baseline"):
        return
    terminalreporter.section("nextgpt-bench gate")
    if state.error:
        terminalreporter.write_line(f"gate: unusable input: {state.error}", red=True)
    elif state.result is not None:
        result = state.result
        terminalreporter.write_line(result.to_text(), red=not result.passed, green=result.passed)
