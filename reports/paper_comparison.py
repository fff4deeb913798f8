"""Can a run's score stand beside a number of the NExT-GPT paper (benchmarks/tasks/paper_reference.json)?

Only when the run scored the paper's public dataset with the canonical feature networks and their canonical
settings (the resize of an image network: metrics/canonical_settings.py); otherwise the report and
the leaderboard still show both, marked, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from benchmarks.tasks.paper import ReferenceData, ReferenceRow
from metrics.canonical_settings import non_canonical_settings
from metrics.provenance import Provenance


def paper_comparability(row: ReferenceRow, provenance: Provenance, run_settings: Mapping[str, object],
                        reference: ReferenceData) -> str | None:
    """Why a run's score (its provenance, its run's settings) cannot stand beside ``row``; None if it can."""
    settings = non_canonical_settings(provenance)
    if settings:
        return "; ".join(settings)
    dataset = reference.datasets[row.dataset]
    data = run_settings.get("data")
    spec = str((data if isinstance(data, Mapping) else {}).get(dataset.family, "synthetic"))
    if dataset.loader is None:
        return f"dataset: cannot verify that {spec!r} is the paper's {row.dataset}"
    if spec.split(":", 1)[0] != dataset.loader:
        return f"dataset {spec.split(':', 1)[0]!r} is not {row.dataset}"
    return None
