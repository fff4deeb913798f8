"""What the report's overview says: per task, its headline metric with its 95% interval, and how it stands
against a baseline -- another run (the paired interval of ``nextgpt-bench compare``) or the NExT-GPT paper
(a difference only where the two numbers are comparable; otherwise the paper's number and the reason).  The
paper's number is NExT-GPT's own, or, for a run that names its paper row (``run --paper-model SD-1.5``: the
description's ``paper_model``), that model's.

Each task declares its headline metric and its group (``benchmarks.tasks``); where a stored task goes, and which
metric stands in when the declared headline is not stored or the task is not registered in this process, is the
rule the leaderboard uses too (reports/task_layout.py), so a stored run always renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from benchmarks.store import StoredMetric
from benchmarks.tasks.paper import ReferenceData, ReferenceRow, load_reference
from reports.compare import CompareRow, Comparison, compare_runs
from reports.errors import ReportInputError
from reports.pairing import SET_GROUPS
from reports.paper_comparison import paper_comparability
from reports.rundata import RunData
from reports.task_layout import declarations, ordered_tasks, place_task, stored_task_group
from reports.text_table import metric_direction

#: the paper's model whose number stands beside a run when the paper reports several for a task
PAPER_MODEL = "NExT-GPT"

#: what a report compares its run against: the paper (default), nothing, or another run (a comparison built
#: by :func:`compare_to_baseline`)
ReportBaseline = Comparison | Literal["paper", "none"]
BaselineKind = Literal["run", "paper", "none"]


@dataclass(frozen=True)
class BaselineCell:
    """One headline metric against the baseline."""

    #: the baseline's value of the metric (None when the baseline has none)
    reference: float | None
    #: this run minus the baseline; None when the two are not compared
    difference: float | None
    #: 95% interval of ``difference`` (paired for a run baseline); None when there is none
    ci: tuple[float, float] | None
    #: whether ``ci`` excludes 0; None without an interval
    significant: bool | None
    #: better, worse, not significant, no CI, not comparable, refused, no paper number, not in baseline
    verdict: str
    #: how the interval was computed, or why there is no difference
    note: str
    #: where the reference comes from: "run ID" or the paper's model and table
    source: str

    @property
    def compared(self) -> bool:
        return self.difference is not None


@dataclass(frozen=True)
class OverviewRow:
    task: str
    group: str
    #: the headline metric as stored (value, interval, n, provenance)
    record: StoredMetric
    #: None when the metric is not in this process's registry (its direction is unknown)
    higher_is_better: bool | None
    #: why this is not the task's declared headline metric; empty when it is
    fallback: str
    baseline: BaselineCell | None


@dataclass(frozen=True)
class SkippedTask:
    """A selected task the run did not run: the model cannot do it (it has no score, and is never left out)."""

    task: str
    group: str
    reason: str


@dataclass(frozen=True)
class Overview:
    rows: list[OverviewRow]
    baseline_kind: BaselineKind
    #: the baseline as the page names it ("run 2026...-abc (store)", "the NExT-GPT paper")
    baseline_label: str
    #: every shared metric against the baseline run (None unless the baseline is a run)
    comparison: Comparison | None
    #: tasks the run was asked for that have no stored score (a failed or unfinished run), skipped ones aside
    unscored: list[str]
    #: tasks the run was asked for and skipped, with why, in task order
    skipped: list[SkippedTask] = field(default_factory=list)
    #: the paper's model whose numbers a paper baseline shows, when the run names one (``run --paper-model``)
    paper_model: str | None = None

    def task_order(self) -> list[OverviewRow | SkippedTask]:
        """The scored and the skipped tasks together, by group and task order (how the page lists them)."""
        entries: dict[str, OverviewRow | SkippedTask] = {row.task: row for row in self.skipped}
        entries.update({row.task: row for row in self.rows})
        return [entries[task] for task in ordered_tasks(entries)]


def compare_to_baseline(run: RunData, baseline: RunData, *, bootstrap: int = 1000, seed: int = 0,
                        set_groups: int = SET_GROUPS, skip_incomparable: bool = False) -> Comparison:
    """``nextgpt-bench compare BASELINE RUN``: A is the baseline and B this run, so each B - A is this run minus
    the baseline.  Every shared metric is checked, and an incomparable baseline is refused with compare's own
    error (:class:`reports.errors.IncomparableRunsError`, naming the task, metric and field)."""
    return compare_runs(baseline, run, bootstrap=bootstrap, seed=seed, set_groups=set_groups,
                        skip_incomparable=skip_incomparable)


def build_overview(run: RunData, baseline: ReportBaseline = "paper") -> Overview:
    """The overview of ``run``: a row per scored task, against ``baseline`` ("paper", "none", or the
    comparison :func:`compare_to_baseline` built)."""
    if not isinstance(baseline, Comparison) and baseline not in ("paper", "none"):
        raise ReportInputError(f"report baseline {baseline!r}: expected 'paper', 'none' or a comparison with a "
                               "baseline run (compare_to_baseline)")
    comparison = baseline if isinstance(baseline, Comparison) else None
    reference = load_reference() if baseline == "paper" else None
    rows = []
    declared = declarations()
    for task in ordered_tasks(run.tasks, declared):
        placement = place_task(task, [metric for name, metric in run.metrics if name == task], declared)
        record = run.metrics[(task, placement.headline)]
        cell: BaselineCell | None = None
        if comparison is not None:
            cell = _against_run(comparison, record)
        elif reference is not None:
            cell = _against_paper(run, record, reference)
        rows.append(OverviewRow(task, placement.group, record, metric_direction(record.metric), placement.fallback,
                                cell))
    kind: BaselineKind
    if comparison is not None:
        kind, label = "run", f"run {comparison.a.run_id} ({comparison.a.source})"
    elif baseline == "paper":
        kind, label = "paper", "the NExT-GPT paper"
    else:
        kind, label = "none", ""
    asked = [t for t in run.settings.get("tasks") or [] if isinstance(t, str)]
    skipped = [SkippedTask(task, stored_task_group(task, declared), run.skipped[task])
               for task in ordered_tasks(run.skipped, declared) if task not in run.tasks]
    unscored = [t for t in ordered_tasks(asked, declared) if t not in run.tasks and t not in run.skipped]
    return Overview(rows, kind, label, comparison, unscored, skipped, paper_model_of(run))


def paper_model_of(run: RunData) -> str | None:
    """The paper's model the run stands for (``run --paper-model``), None when it names none."""
    model = run.info.get("model")
    named = model.get("paper_model") if isinstance(model, dict) else None
    return named if isinstance(named, str) and named else None


def paper_row(reference: ReferenceData, task: str, metric: str, model: str | None = None) -> ReferenceRow | None:
    """The paper's number for ``task``/``metric``: ``model``'s (None when the paper prints none for it), or,
    without ``model``, NExT-GPT's own when the paper prints several models."""
    if model is not None:
        return next(iter(reference.for_task(task, metric, model)), None)
    rows = reference.for_task(task, metric)
    return next((row for row in rows if row.model == PAPER_MODEL), rows[0] if rows else None)


def _verdict(difference: float, significant: bool | None, higher: bool | None) -> str:
    """better / worse (the metric's direction, when the interval excludes 0), not significant, or no CI."""
    if significant is None:
        return "no CI"
    if not significant:
        return "not significant"
    if higher is None:
        return "differs (direction unknown)"
    return "better" if (difference > 0) == higher else "worse"


def _against_run(comparison: Comparison, record: StoredMetric) -> BaselineCell:
    source = f"run {comparison.a.run_id}"
    row: CompareRow | None = next((r for r in comparison.rows
                                   if (r.task, r.metric) == (record.task, record.metric)), None)
    if row is None:
        return BaselineCell(None, None, None, None, "not in baseline",
                            f"the baseline run has no {record.task}/{record.metric}", source)
    if row.refused:
        return BaselineCell(row.a, None, None, None, "refused", row.refused, source)
    paired = row.paired
    if paired is None or paired.difference is None:
        note = paired.note if paired else "no difference"
        return BaselineCell(row.a, None, None, None, "n/a", note, source)
    return BaselineCell(row.a, paired.difference, paired.ci, paired.significant, row.verdict_of_b,  # B: this run
                        paired.note, source)


def _against_paper(run: RunData, record: StoredMetric, reference: ReferenceData) -> BaselineCell:
    model = paper_model_of(run)
    row = paper_row(reference, record.task, record.metric, model)
    if row is None:
        of = f" of {model}" if model else ""
        return BaselineCell(None, None, None, None, "no paper number",
                            f"the paper reports no {record.metric} for {record.task}{of}", "the NExT-GPT paper")
    source = f"{row.model}; printed {row.printed:g}; {row.source}"
    problem = paper_comparability(row, record.result.provenance, run.settings, reference)
    if problem is not None:
        return BaselineCell(row.value, None, None, None, "not comparable", problem, source)
    if record.value is None:
        return BaselineCell(row.value, None, None, None, "n/a", "this run has no value", source)
    difference = record.value - row.value
    ci = None if record.ci is None else (record.ci[0] - row.value, record.ci[1] - row.value)
    significant = None if ci is None else not (ci[0] <= 0.0 <= ci[1])
    return BaselineCell(row.value, difference, ci, significant,
                        _verdict(difference, significant, metric_direction(record.metric)),
                        "this run's 95% interval minus the paper's number (the paper prints no interval)", source)
