"""Which way is better for each metric the harness records."""

from __future__ import annotations

#: Distances: lower is better.  Every other metric the harness records (BLEU, CIDEr-D, CLIP scores,
#: signal_rate, turn accuracies...) is a score where higher is better.
LOWER_IS_BETTER = frozenset({"fid", "fad", "mel_distance"})


def higher_is_better(metric: str) -> bool:
    """``metric`` may be qualified (``fid[toy]``); ``kid_mean``/``kid_std`` count as KID (lower is better)."""
    base = metric.split("[", 1)[0]
    return not (base in LOWER_IS_BETTER or base.startswith("kid_"))
