"""``nextgpt-bench compare RUN_A RUN_B``: every shared metric side by side with B - A and its paired interval.

A and B may be runs of different models (NExT-GPT against a diffusers pipeline, a cascade, another checkpoint):
what must agree is how each score was computed -- the data, the run seed, the sample set and the metric's
networks and settings (reports/pairing.py); each side is named by the model it measured
(reports/compare_labels.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.compare_labels import measured_model
from reports.errors import IncomparableRunsError
from reports.pairing import SET_GROUPS, PairedDifference, comparability_problem, paired_difference
from reports.rundata import RunData
from reports.text_table import format_table, interval, metric_direction, metric_label, number


@dataclass(frozen=True)
class CompareRow:
    task: str
    metric: str
    a: float | None
    b: float | None
    paired: PairedDifference | None
    #: why these two scores are not compared (None: compared)
    refused: str | None = None

    @property
    def verdict(self) -> str:
        if self.refused:
            return "refused"
        if self.paired is None or self.paired.difference is None:
            return "n/a"
        if self.paired.significant is None:
            return "no paired CI"
        if not self.paired.significant:
            return "not significant"
        higher = metric_direction(self.metric)
        if higher is None:
            return "differs (direction unknown)"
        return "B better" if (self.paired.difference > 0) == higher else "B worse"

    @property
    def verdict_of_b(self) -> str:
        """The verdict as said of B alone, for a page about run B against baseline A: ``better``/``worse``, else
        as :attr:`verdict`."""
        return {"B better": "better", "B worse": "worse"}.get(self.verdict, self.verdict)


@dataclass
class Comparison:
    a: RunData
    b: RunData
    rows: list[CompareRow] = field(default_factory=list)
    #: metrics only one run has
    only_a: list[tuple[str, str]] = field(default_factory=list)
    only_b: list[tuple[str, str]] = field(default_factory=list)

    @property
    def refused(self) -> list[CompareRow]:
        return [row for row in self.rows if row.refused]

    def to_text(self) -> str:
        header = ["task", "metric", "A", "B", "B - A", "paired 95% CI", "verdict"]
        rows = [[r.task, metric_label(r.metric), number(r.a), number(r.b),
                 number(r.paired.difference) if r.paired else "-", interval(r.paired.ci) if r.paired else "-",
                 r.verdict + (f": {r.refused}" if r.refused else "")] for r in self.rows]
        lines = [f"A = {side_line(self.a)}", f"B = {side_line(self.b)}", format_table(header, rows)]
        notes = sorted({r.paired.note for r in self.rows if r.paired and r.paired.significant is None
                        and r.paired.note})
        lines += [f"note: {n}" for n in notes]
        if self.only_a or self.only_b:
            lines.append("not shared: " + ", ".join([f"{t}/{m} (only A)" for t, m in self.only_a]
                                                    + [f"{t}/{m} (only B)" for t, m in self.only_b]))
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {"a": self.a.run_id, "b": self.b.run_id,
                "models": {"a": model_json(self.a), "b": model_json(self.b)}, "rows": [
            {"task": r.task, "metric": r.metric, "a": r.a, "b": r.b, "verdict": r.verdict, "refused": r.refused,
             "difference": r.paired.difference if r.paired else None,
             "ci": list(r.paired.ci) if r.paired and r.paired.ci else None,
             "significant": r.paired.significant if r.paired else None,
             "note": r.paired.note if r.paired else ""} for r in self.rows]}


def side_line(run: RunData) -> str:
    """``RUN: SD-1.5 (diffusers-text-to-image: /weights/sd-1.5) from out/results``"""
    return f"{run.run_id}: {measured_model(run).describe()} from {run.source}"


def model_json(run: RunData) -> dict[str, object]:
    """The model a side measured, for ``compare --json``: its label and what the run's description records."""
    model = measured_model(run)
    return {"label": model.describe(), "paper_model": model.paper_model, "adapter": model.adapter,
            "source": model.source, "checkpoint": model.checkpoint, "preset": model.preset,
            "fingerprint": run.info.get("model_fingerprint")}


def compare_runs(a: RunData, b: RunData, *, bootstrap: int = 1000, seed: int = 0,
                 skip_incomparable: bool = False, set_groups: int = SET_GROUPS) -> Comparison:
    """Compare every shared metric.  Scores computed differently raise :class:`IncomparableRunsError` naming
    the field, unless ``skip_incomparable`` (then they are rows marked ``refused``, without a difference)."""
    comparison = Comparison(a, b)
    shared = sorted(set(a.metrics) & set(b.metrics))
    comparison.only_a = sorted(set(a.metrics) - set(b.metrics))
    comparison.only_b = sorted(set(b.metrics) - set(a.metrics))
    for task, metric in shared:
        problem = comparability_problem(a, b, task, metric)
        va, vb = a.metrics[(task, metric)].value, b.metrics[(task, metric)].value
        if problem:
            comparison.rows.append(CompareRow(task, metric, va, vb, None, problem))
            continue
        comparison.rows.append(CompareRow(task, metric, va, vb,
                                          paired_difference(a, b, task, metric, bootstrap=bootstrap, seed=seed,
                                                                            set_groups=set_groups)))
    if comparison.refused and not skip_incomparable:
        listing = "\n  ".join(f"{r.task}/{r.metric}: {r.refused}" for r in comparison.refused)
        raise IncomparableRunsError(f"refusing to compare {a.run_id} with {b.run_id}; scores computed "
                                    f"differently:\n  {listing}\n(recompute both the same way, or pass "
                                    "--skip-incomparable to compare the rest)")
    if not shared:
        raise IncomparableRunsError(f"{a.run_id} and {b.run_id} share no task metric")
    return comparison
