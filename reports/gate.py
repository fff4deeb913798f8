"""``nextgpt-bench gate RUN --baseline RUN_OR_FILE``: exit 0 when nothing regressed, 1 with a table when
something did, 2 when the inputs cannot be judged (unknown run, unreadable file, scores computed differently)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.scoring.registry import higher_is_better
from reports.errors import IncomparableRunsError
from reports.gate_rules import GateRules, MetricRule
from reports.pairing import SET_GROUPS, comparability_problem, paired_difference
from reports.rundata import RunData
from reports.stage_records import peak_memory, seconds_per_call
from reports.text_table import format_table, interval, metric_label, number


@dataclass(frozen=True)
class GateRow:
    kind: str  # "metric", "seconds/call", "peak memory"
    task: str
    name: str
    baseline: float | None
    current: float | None
    #: change in the bad direction (positive = worse)
    worsening: float | None
    allowed: str
    passed: bool
    reason: str


@dataclass
class GateResult:
    current: RunData
    baseline: RunData
    rows: list[GateRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def failures(self) -> list[GateRow]:
        return [row for row in self.rows if not row.passed]

    def to_text(self) -> str:
        header = ["", "kind", "task", "name", "baseline", "current", "worsening", "allowed", "why"]

        def line(row: GateRow) -> list[str]:
            name = metric_label(row.name) if row.kind == "metric" else row.name
            return ["ok" if row.passed else "FAIL", row.kind, row.task, name, number(row.baseline),
                    number(row.current), number(row.worsening), row.allowed, row.reason]

        verdict = "PASS" if self.passed else f"FAIL: {len(self.failures)} regression(s)"
        parts = [f"gate {self.current.run_id} against baseline {self.baseline.run_id}: {verdict}"]
        if self.failures:
            parts.append(format_table(header, [line(r) for r in self.failures]))
            parts.append("")
            parts.append("all checks:")
        parts.append(format_table(header, [line(r) for r in self.rows]))
        parts += [f"note: {n}" for n in self.notes]
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "current": self.current.run_id, "baseline": self.baseline.run_id,
                "rows": [row.__dict__ for row in self.rows], "notes": self.notes}


def declared_metrics() -> dict[str, tuple[str, ...]]:
    """task -> the metrics it declares, for every registered task."""
    from benchmarks.tasks import registered_tasks

    return {task.name: tuple(task.metrics) for task in registered_tasks()}


def run_gate(current: RunData, baseline: RunData, rules: GateRules, *, bootstrap: int = 1000,
             seed: int = 0, set_groups: int = SET_GROUPS) -> GateResult:
    """Judge ``current`` against ``baseline``; rules naming anything the gate would not judge are refused
    first (ReportInputError), so a typo cannot switch a rule off."""
    stages = [(task, stage) for task, records in baseline.stage_timings.items() for stage in records]
    rules.check_names(baseline.metrics, stages, declared_metrics())
    result = GateResult(current, baseline)
    problems = []
    for task, metric in sorted(baseline.metrics):
        rule = rules.metric_rule(task, metric)
        if rule.ignore:
            continue
        if (task, metric) not in current.metrics:
            why = (f"missing from the current run: it skipped {task} ({current.skipped[task]})"
                   if task in current.skipped else "missing from the current run")
            result.rows.append(GateRow("metric", task, metric, baseline.metrics[(task, metric)].value, None, None,
                                       "-", False, why))
            continue
        problem = comparability_problem(baseline, current, task, metric)
        if problem:
            problems.append(f"{task}/{metric}: {problem}")
            continue
        result.rows.append(_metric_row(current, baseline, task, metric, rule, (bootstrap, set_groups), seed))
    if problems:
        raise IncomparableRunsError("the baseline's scores were computed differently, so the gate cannot judge "
                                    "them:\n  " + "\n  ".join(problems))
    _stage_rows(result, rules)
    return result


def _metric_row(current: RunData, baseline: RunData, task: str, metric: str, rule: MetricRule,
                resamples: tuple[int, int], seed: int) -> GateRow:
    before, after = baseline.metrics[(task, metric)].value, current.metrics[(task, metric)].value
    if before is None:
        return GateRow("metric", task, metric, before, after, None, "-", True, "baseline has no value")
    if after is None:
        return GateRow("metric", task, metric, before, after, None, "-", False, "unavailable in the current run")
    sign = -1.0 if higher_is_better(metric) else 1.0
    worsening = sign * (after - before)
    allowed = rule.allowed(before)
    allowed_text = "-" if allowed is None else f"<= {allowed:.4g}"
    beyond = allowed is not None and worsening > allowed
    if not rule.significance:
        return GateRow("metric", task, metric, before, after, worsening, allowed_text, not beyond,
                       "worse than the tolerance" if beyond else "within tolerance")
    paired = paired_difference(baseline, current, task, metric, bootstrap=resamples[0], seed=seed,
                               set_groups=resamples[1])
    if paired.ci is None:
        if allowed is not None:
            return GateRow("metric", task, metric, before, after, worsening, allowed_text, not beyond,
                           ("worse than the tolerance" if beyond else "within tolerance") + f" ({paired.note})")
        return GateRow("metric", task, metric, before, after, worsening, "significance", rule.allow_unpaired,
                       f"unjudgeable: {paired.note}" + (" (allowed)" if rule.allow_unpaired else ""))
    low, high = sorted((sign * paired.ci[0], sign * paired.ci[1]))
    significant = low > 0.0
    allowed_text += " and significant"
    worse = significant and (allowed is None or beyond)
    reason = (f"significantly worse, worsening CI {interval((low, high))}" if significant
              else f"not significantly worse, worsening CI {interval((low, high))}")
    if significant and not worse:
        reason += ", within tolerance"
    return GateRow("metric", task, metric, before, after, worsening, allowed_text, not worse, reason)


def _stage_rows(result: GateResult, rules: GateRules) -> None:
    before_all, after_all = result.baseline.stage_timings, result.current.stage_timings
    if not before_all or not after_all:
        missing = " and ".join(name for name, t in (("baseline", before_all), ("current run", after_all)) if not t)
        result.notes.append(f"no stage timings in the {missing}: speed and memory not gated")
        return
    for task in sorted(before_all):
        for stage, before in sorted(before_all[task].items()):
            rule = rules.stage_rule(task, stage)
            after = after_all.get(task, {}).get(stage)
            if rule.ignore:
                continue
            if after is None:
                result.notes.append(f"stage {task}/{stage} was not profiled in the current run")
                continue
            _stage_check(result, task, stage, "seconds/call", seconds_per_call(before), seconds_per_call(after),
                         rule.seconds_abs, rule.seconds_rel)
            memory_before, memory_after = peak_memory(before), peak_memory(after)
            if memory_before and memory_after and memory_before[0] == memory_after[0]:
                _stage_check(result, task, stage, f"peak memory ({memory_before[0]})", memory_before[1],
                             memory_after[1], rule.memory_abs_bytes, rule.memory_rel)


def _stage_check(result: GateResult, task: str, stage: str, kind: str, before: float | None,
                 after: float | None, absolute: float | None, relative: float | None) -> None:
    if before is None or after is None or (absolute is None and relative is None):
        return
    limits = [x for x in (absolute, None if relative is None else relative * abs(before)) if x is not None]
    allowed = max(limits)
    worsening = after - before
    passed = worsening <= allowed
    result.rows.append(GateRow(kind, task, stage, before, after, worsening, f"<= {allowed:.4g}", passed,
                               "within tolerance" if passed else f"{kind} grew beyond the tolerance"))
