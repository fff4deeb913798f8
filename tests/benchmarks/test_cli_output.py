"""What the CLI shows on stderr: a bar on a terminal, at most one line per task per 5 s in a log, messages at the
chosen verbosity, each warning once, no third-party noise; stdout keeps the results exactly as before."""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.cli.output import NORMAL, QUIET, VERBOSE, cli_output
from benchmarks.cli.progress import LINE_INTERVAL, LineProgress, TerminalProgress, progress_for
from nextgpt.core.progress import (
    SILENT,
    SLOW_WORK_SECONDS,
    current_progress,
    progress_scope,
    progress_task,
    reporting_progress,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class StampedStream(io.StringIO):
    """A log file that notes the fake time at which each line was written."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock, self.stamped = clock, []

    def write(self, text: str) -> int:
        if text.strip():
            self.stamped.append((self.clock.now, text.strip()))
        return super().write(text)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_at_most_one_line_per_task_per_interval_plus_a_final_line() -> None:
    clock = FakeClock()
    stream = StampedStream(clock)
    reporter = LineProgress(stream, clock=clock)
    first = reporter.task("[t2i] generate", 40, unit="samples")
    second = reporter.task("[t2v] generate", 40, done=4, unit="samples")
    for step in range(36):  # 0.7 s per step: 25.2 s in all, interleaved
        clock.now += 0.7
        first.advance(1, generated=1)
        second.advance(1, cached=1)
        if step == 35:
            first.close()
    clock.now += 0.1
    second.close()
    for label in ("[t2i] generate", "[t2v] generate"):
        times = [t for t, line in stream.stamped if line.startswith(label)]
        periodic = times[:-1]
        assert len(periodic) == 4  # 25.2 s in 0.7 s steps: lines at 5.6, 11.2, 16.8 and 22.4 s
        assert all(later - earlier >= LINE_INTERVAL for earlier, later in zip([100.0, *periodic], periodic))
    lines = [line for _, line in stream.stamped]
    assert lines[0] == "[t2i] generate: 8/40 samples (20%), 1.43 samples/s, ETA 22s, generated 8"
    assert "[t2i] generate: stopped at 36/40 samples after 25s, generated 36" in lines
    assert lines[-1] == "[t2v] generate: 40/40 samples in 25s, cached 36"


def test_a_count_completed_by_a_slow_step_gets_only_the_final_line() -> None:
    clock = FakeClock()
    stream = StampedStream(clock)
    with LineProgress(stream, clock=clock).task("[t2a] generate", 2, unit="samples") as task:
        clock.now += 6.0
        task.advance(1, generated=1)
        clock.now += 6.0
        task.advance(1, cached=1)
    assert [line for _, line in stream.stamped] == [
        "[t2a] generate: 1/2 samples (50%), 0.167 samples/s, ETA 6.0s, generated 1",
        "[t2a] generate: 2/2 samples in 12s, generated 1, cached 1"]


def test_work_that_is_usually_quick_shows_only_when_it_is_not() -> None:
    clock = FakeClock()
    stream = StampedStream(clock)
    reporter = LineProgress(stream, clock=clock)
    with reporter.task("toy features", 512, unit="inputs", show_after=2.0) as quick:
        clock.now += 1.0
        quick.advance(512)
    with reporter.task("bootstrap", 200, unit="resamples", show_after=2.0) as slow:
        for _ in range(200):
            clock.now += 0.0625  # exact in binary: the 5 s marks fall on a step
            slow.advance()
    assert [line for _, line in stream.stamped] == [
        "bootstrap: 80/200 resamples (40%), 16 resamples/s, ETA 7.5s",
        "bootstrap: 160/200 resamples (80%), 16 resamples/s, ETA 2.5s",
        "bootstrap: 200/200 resamples in 12s"]


def test_the_steps_of_a_benchmark_task_share_its_pace_in_a_log() -> None:
    """Scoring a task runs several steps (feature pass, KID subsets, jackknife, bootstrap); together with the
    task's generation they write one line at most every 5 s for that task, plus generation's final line."""
    clock = FakeClock()
    stream = StampedStream(clock)

    def work(label: str, steps: int, unit: str, show_after: float = SLOW_WORK_SECONDS) -> None:
        with progress_task(label, steps, unit=unit, show_after=show_after) as task:
            for _ in range(steps):
                clock.now += 0.5  # exact in binary
                task.advance()

    with reporting_progress(LineProgress(stream, clock=clock)):
        with progress_task("[t2i] generate", 8, unit="samples") as generate:  # the runner's task, unscoped
            for _ in range(8):
                clock.now += 1.5
                generate.advance(1, generated=1)
        with progress_scope("t2i"):
            work("toy features", 6, "inputs")  # 3 s, ends 3 s after generation's final line
            work("KID subsets", 5, "subsets")  # 2.5 s
            work("Frechet distance interval", 14, "evaluations")  # 7 s
            work("bootstrap", 24, "resamples")  # 12 s
        with progress_scope("t2v"):
            work("toy features", 6, "inputs")  # another task: paced on its own
    assert stream.stamped == [
        (106.0, "[t2i] generate: 4/8 samples (50%), 0.667 samples/s, ETA 6.0s, generated 4"),
        (112.0, "[t2i] generate: 8/8 samples in 12s, generated 8"),
        (117.5, "[t2i] KID subsets: 5/5 subsets in 2.5s"),
        (122.5, "[t2i] Frechet distance interval: 10/14 evaluations (71%), 2 evaluations/s, ETA 2.0s"),
        (129.5, "[t2i] bootstrap: 10/24 resamples (42%), 2 resamples/s, ETA 7.0s"),
        (134.5, "[t2i] bootstrap: 20/24 resamples (83%), 2 resamples/s, ETA 2.0s"),
        (139.5, "[t2v] toy features: 6/6 inputs in 3.0s"),
    ]
    t2i = [(time, line) for time, line in stream.stamped if line.startswith("[t2i]")]
    assert all(later - earlier >= LINE_INTERVAL for (earlier, _), (later, line) in itertools.pairwise(t2i)
               if not line.startswith("[t2i] generate: 8/8"))


def test_a_terminal_gets_a_bar_with_cached_and_generated_counts() -> None:
    terminal = Terminal()
    reporter = progress_for(terminal)
    assert isinstance(reporter, TerminalProgress)
    assert isinstance(progress_for(io.StringIO()), LineProgress)
    with cli_output(NORMAL, Terminal()):
        assert isinstance(current_progress(), TerminalProgress)
    with reporter.task("[t2i] generate", 4, unit="samples") as bar:
        bar.advance(2, generated=2, cached=0)
        reporter.write("a message above the bar")
        bar.advance(2, generated=1, cached=1)
    shown = terminal.getvalue()
    final = shown.split("\r")[-1]
    assert "[t2i] generate" in final and "4/4" in final and "generated 3, cached 1" in final
    assert "samples/s" in final and "\n" not in final.rstrip("\n")
    assert "a message above the bar\n" in shown


def test_a_terminal_that_reports_no_size_still_gets_a_bar() -> None:
    """A pseudo-terminal without a window size (``docker run -t``, ``script``) says 0 x 0; tqdm would draw
    nothing."""
    master, replica = os.openpty()
    try:
        with os.fdopen(replica, "w") as terminal:
            assert os.get_terminal_size(terminal.fileno()).columns == 0
            with progress_for(terminal).task("[t2i] generate", 2, unit="samples") as bar:
                bar.advance(2, generated=2)
        shown = _read_all(master)
    finally:
        os.close(master)
    assert "[t2i] generate: 100%" in shown and "2/2" in shown and "generated 2" in shown


def _read_all(master: int) -> str:
    """Everything written to the pseudo-terminal (a read may return only part of it)."""
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal side is closed and all was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def _log_everything() -> None:
    logging.getLogger("benchmarks.runner.runner").info("run r1 (new)")
    logging.getLogger("benchmarks.runner.runner").debug("a detail")
    logging.getLogger("metrics").warning("fid: no interval")
    logging.getLogger("some.library").info("a library's chatter")


@pytest.mark.parametrize("verbosity, shown, progress", [
    (QUIET, ["warning: fid: no interval"], False),
    (NORMAL, ["run r1 (new)", "warning: fid: no interval"], True),
    (VERBOSE, ["run r1 (new)", "debug: benchmarks.runner.runner: a detail", "warning: fid: no interval",
               "a library's chatter"], True),
])
def test_verbosity_sets_what_reaches_stderr(verbosity: int, shown: list[str], progress: bool) -> None:
    stream = io.StringIO()
    with cli_output(verbosity, stream):
        _log_everything()
        assert (current_progress() is not SILENT) == progress
        with progress_task("[t2i] generate", 1, unit="samples") as task:
            task.advance()
    lines = stream.getvalue().splitlines()
    assert [line for line in lines if "generate" not in line] == shown
    assert any(line.startswith("[t2i] generate: 1/1 samples in") for line in lines) == progress
    assert current_progress() is SILENT and not any(
        isinstance(h, logging.Handler) and getattr(h, "stream", None) is stream for h in logging.getLogger().handlers)


def test_a_repeated_warning_is_shown_once_then_counted_with_its_tasks() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("metrics")
    with cli_output(NORMAL, stream):
        for task in ("t2i", "edit-image", "t2a", "edit-image"):
            with progress_scope(task):
                logger.warning("fid: no interval -- 2 samples cannot fill 10 jackknife groups")
        logger.warning("another warning")
    assert stream.getvalue().splitlines() == [
        "warning: [t2i] fid: no interval -- 2 samples cannot fill 10 jackknife groups",
        "warning: another warning",
        "warning: 3 more times (in edit-image, t2a): fid: no interval -- 2 samples cannot fill 10 jackknife groups",
    ]


def test_python_warnings_are_one_line_and_known_third_party_ones_are_hidden_unless_verbose() -> None:
    checkpointing = "`is_gradient_checkpointing` is deprecated and will be removed in v6."
    normal, verbose = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        warnings.resetwarnings()  # pytest's own filters (pyproject.toml) would hide it before the CLI could
        warnings.simplefilter("always")
        with cli_output(NORMAL, normal):
            warnings.warn("a suite warning the user should read", UserWarning, stacklevel=1)
            line = sys._getframe().f_lineno - 1
            warnings.warn(checkpointing, FutureWarning, stacklevel=1)
        with cli_output(VERBOSE, verbose):
            warnings.warn(checkpointing, FutureWarning, stacklevel=1)
    assert normal.getvalue().splitlines() == [
        f"warning: a suite warning the user should read (UserWarning, {Path(__file__).name}:{line})"]
    assert f"warning: {checkpointing} (FutureWarning, " in verbose.getvalue()


def test_hugging_face_progress_bars_are_off_during_a_command_and_restored_after() -> None:
    from huggingface_hub import constants
    from huggingface_hub.utils import are_progress_bars_disabled

    if constants.HF_HUB_DISABLE_PROGRESS_BARS is not None:
        pytest.skip("HF_HUB_DISABLE_PROGRESS_BARS is set in this environment: the user's choice wins")
    before = are_progress_bars_disabled()
    with cli_output(NORMAL, io.StringIO()):
        assert are_progress_bars_disabled()
    assert are_progress_bars_disabled() == before


def test_transformers_progress_bar_is_restored_even_when_the_hub_bars_were_already_off() -> None:
    from huggingface_hub import constants
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars
    from huggingface_hub.utils.tqdm import progress_bar_states
    from transformers.utils import logging as transformers_logging

    if constants.HF_HUB_DISABLE_PROGRESS_BARS is not None:
        pytest.skip("HF_HUB_DISABLE_PROGRESS_BARS is set in this environment: the user's choice wins")
    hub_states, transformers_on = dict(progress_bar_states), transformers_logging.is_progress_bar_enabled()
    try:
        transformers_logging.enable_progress_bar()  # (turns the hub's on too)
        disable_progress_bars()  # then the hub's off, transformers' stays on
        with cli_output(NORMAL, io.StringIO()):
            assert not transformers_logging.is_progress_bar_enabled()
        assert transformers_logging.is_progress_bar_enabled() and are_progress_bars_disabled()
    finally:
        (transformers_logging.enable_progress_bar if transformers_on else transformers_logging.disable_progress_bar)()
        progress_bar_states.clear()
        progress_bar_states.update(hub_states)


_LIBRARY_LOGGING_IN_A_FRESH_PROCESS = """
import io, json, logging, sys
from benchmarks.cli.output import NORMAL, VERBOSE, cli_output

assert "transformers" not in sys.modules
normal, verbose = io.StringIO(), io.StringIO()
with cli_output(NORMAL, normal):
    from transformers.utils import logging as transformers_logging  # configured inside the command, as in a run
    library = transformers_logging.get_logger("transformers.modeling_utils")
    library.warning("advice for interactive users")
    library.error("a transformers error")
with cli_output(VERBOSE, verbose):
    library.info("transformers information")
    library.warning("a transformers warning")
print(json.dumps({"normal": normal.getvalue(), "verbose": verbose.getvalue(),
                  "level": logging.getLogger("transformers").level,
                  "progress_bar": transformers_logging.is_progress_bar_enabled()}))
library.warning("a warning after the command")
"""


def test_transformers_lines_come_once_in_the_suites_format_and_its_logger_is_restored_after() -> None:
    """A fresh process with CI set, where transformers attaches its own stderr handler *and* propagates: before,
    its lines came raw and twice, and its level stayed at errors after the command."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS")}
    environment.update(CI="true", HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", _LIBRARY_LOGGING_IN_A_FRESH_PROCESS], env=environment,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["normal"] == "error: a transformers error\n"  # its warnings hidden, its errors in our format
    assert shown["verbose"] == "transformers information\nwarning: a transformers warning\n"
    assert shown["level"] == logging.WARNING and shown["progress_bar"]  # transformers' own defaults
    assert "transformers error" not in done.stderr and "information" not in done.stderr, done.stderr
    assert done.stderr.count("a warning after the command") == 1, done.stderr  # visible again, once


@pytest.mark.parametrize("argv, verbosity", [
    (["run"], NORMAL), (["-q", "run"], QUIET), (["run", "--quiet"], QUIET), (["--verbose", "run"], VERBOSE),
    (["weights", "list", "-v"], VERBOSE), (["weights", "-q", "list"], QUIET),
    (["-q", "weights", "list", "-v"], VERBOSE),  # the last one given wins
])
def test_verbosity_flags_go_before_or_after_any_command(argv: list[str], verbosity: int) -> None:
    from benchmarks.cli import build_parser

    assert build_parser().parse_args(argv).verbosity == verbosity


def _run_argv(store: Path, *extra: str, tasks: str = "t2a", limit: str = "2") -> list[str]:
    return ["run", "--tasks", tasks, "--limit", limit, "--extractors", "toy", "--bootstrap", "0", "--no-report",
            "--store", str(store), *extra]


@pytest.fixture
def private_dataset_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path_factory.mktemp("cache")))


def _library_root_loggers() -> dict[str, logging.Logger]:
    """transformers' and diffusers' root loggers, configured by the libraries (their own handler attached)."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    return {"transformers": transformers_logging.get_logger(), "diffusers": diffusers_logging.get_logger()}


def _library_loggers() -> dict[str, tuple[int, bool, list[logging.Handler]]]:
    """Level, propagation and handlers of transformers' and diffusers' root loggers."""
    return {name: (logger.level, logger.propagate, list(logger.handlers))
            for name, logger in _library_root_loggers().items()}


@pytest.fixture
def library_warnings_shown(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """transformers and diffusers at their own default level, WARNING, and no user choice of it in the
    environment (tests/conftest.py sets both to errors)."""
    for variable in ("TRANSFORMERS_VERBOSITY", "DIFFUSERS_VERBOSITY"):
        monkeypatch.delenv(variable, raising=False)
    loggers = _library_root_loggers()
    levels = {name: logger.level for name, logger in loggers.items()}
    for logger in loggers.values():
        logger.setLevel(logging.WARNING)
    yield
    for name, logger in loggers.items():
        logger.setLevel(levels[name])


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.usefixtures("private_dataset_cache", "library_warnings_shown")
def test_run_prints_results_on_stdout_and_one_progress_line_per_task_on_stderr(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli import main

    libraries_before = _library_loggers()
    assert main(_run_argv(tmp_path / "store")) == 0
    shown = capsys.readouterr()
    out = shown.out.splitlines()
    assert len(out) == 2
    assert re.fullmatch(rf"run (\S+) stored in {re.escape(str(tmp_path / 'store' / 'results.sqlite'))}", out[0])
    assert re.fullmatch(r"  t2a            n=2    signal_rate=\S+, signal_exact=\S+, fad=\S+, attribute_accuracy=\S+, "
                        r"pitch_accuracy=\S+, pattern_accuracy=\S+", out[1])
    generate = [line for line in shown.err.splitlines() if line.startswith("[t2a] generate: 2/2")]
    assert len(generate) == 1 and re.fullmatch(r"\[t2a\] generate: 2/2 samples in \S+, generated 2, cached 0",
                                               generate[0]), shown.err
    assert "samples (generated" not in shown.err  # the former line per sample
    # the libraries' loggers are as before the command, and their warnings are shown again
    assert _library_loggers() == libraries_before
    for library in ("transformers", "diffusers"):
        kept = _Kept()
        logging.getLogger(library).addHandler(kept)
        try:
            logging.getLogger(f"{library}.pipelines").warning("a warning after the command")
        finally:
            logging.getLogger(library).removeHandler(kept)
        assert kept.messages == ["a warning after the command"], library


#: one task of each group (captioning, text-to-x, editing, dialogue) and every output modality (text, video, audio,
#: image; the dialogue's turns), as two runs side by side: FID and FAD need two samples, and a second dialogue costs
#: more than all the other tasks together
_ONE_TASK_PER_GROUP = {"caption-image,t2v,t2a,edit-image": "2", "dialogue": "1"}


@pytest.mark.slow
def test_a_default_run_shows_no_third_party_output(tmp_path: Path) -> None:
    """As a user runs it (a fresh process, stderr to a file): only the suite's own lines reach stderr, whichever
    pipelines, feature networks and caption metrics the tasks use.  (About 40 s on 2 busy cores.)"""
    user_choices = ("PYTHONWARNINGS", "TRANSFORMERS_VERBOSITY", "DIFFUSERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS")
    environment = {name: value for name, value in os.environ.items() if name not in user_choices}
    runs = {}
    for index, (tasks, limit) in enumerate(_ONE_TASK_PER_GROUP.items()):
        argv = _run_argv(tmp_path / f"store{index}", tasks=tasks, limit=limit)
        runs[tasks] = subprocess.Popen([sys.executable, "-m", "benchmarks.cli", *argv],
                                       env={**environment, "NEXTGPT_BENCH_CACHE": str(tmp_path / f"cache{index}")},
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for tasks, process in runs.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        names = tasks.split(",")
        suite_line = rf"(run \S+ \(new\), store |(warning: )?\[({'|'.join(map(re.escape, names))})\] )"
        assert err and all(re.match(suite_line, line) for line in err.splitlines()), err
        assert not re.search(r"Warning|Loading weights|it/s|%\||\[transformers\]", err), err
        assert [line.split()[0] for line in out.splitlines()[1:]] == names, out
