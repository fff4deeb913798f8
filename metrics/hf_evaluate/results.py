"""What a nextgpt-bench evaluate module returns: the values, whether they are comparable with published numbers,
and the provenance of each -- plain JSON, so ``evaluate.save`` can write it.

``{"fid": 12.3, "comparable": False, "comparability_notes": [...], "provenance": {"fid": MetricResult.to_dict()}}``

A result is **not comparable** with published numbers when it is unavailable (METEOR without Java), when it was
computed with a non-canonical (toy) network or, on an image network, another resize than the canonical one
(:mod:`metrics.canonical_settings`, the rule the report's paper comparison uses too), or when the library's
provenance warns that it is not (fewer samples than feature dimensions for FID/FAD, a clamped KID subset
size...); a module may add its own reasons (attribute_accuracy has no published counterpart). Then a
:class:`NotComparableWarning` says so, pointing at the line that called ``compute()``, in the words of
the CLI ("NOT comparable with published ones"). ``MetricResult.from_dict(result["provenance"][name])`` gives back
the library's typed result.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from metrics.canonical_settings import non_canonical_settings
from metrics.provenance import MetricResult


class NotComparableWarning(UserWarning):
    """A number of a nextgpt-bench evaluate module that must not be put beside published numbers."""


def comparability_notes(result: MetricResult) -> list[str]:
    """Why ``result`` is not comparable with published numbers (empty when it is)."""
    if not result.available:
        return [f"{result.name} is unavailable: {result.unavailable_reason}"]
    notes = [f"{result.qualified_name}: {reason}" for reason in non_canonical_settings(result.provenance)]
    notes += [message for message in result.provenance.warnings if "comparab" in message.lower()]
    return notes


def module_result(module: str, results: Iterable[MetricResult], extra_notes: Sequence[str] = ()) -> dict[str, Any]:
    """The evaluate result of ``module`` for the library's ``results``; warns when they are not comparable."""
    results = list(results)
    notes = list(extra_notes)
    for result in results:
        notes += [note for note in comparability_notes(result) if note not in notes]
    if notes:
        warnings.warn(f"{module}: these numbers are NOT comparable with published ones: {'; '.join(notes)}",
                      NotComparableWarning, stacklevel=_callers_stacklevel())
    values: dict[str, Any] = {r.name: (r.value if r.available else None) for r in results}
    return {**values, "comparable": not notes, "comparability_notes": notes,
            "provenance": {r.name: r.to_dict() for r in results}}



#: the modules between a user's ``compute()`` and :func:`module_result`: evaluate itself, the module scripts
#: (evaluate imports its copies under ``evaluate_modules``) and this package's and the harness's module code
_PLUMBING = ("evaluate", "evaluate_modules", "metrics.hf_evaluate", "benchmarks.scoring.hf_evaluate")


def _callers_stacklevel() -> int:
    """The ``stacklevel`` that points a warning of :func:`module_result` at the user's line: the first frame
    outside the plumbing, however many frames ``compute()`` and ``evaluate.combine`` put in between."""
    level, frame = 2, sys._getframe(2)  # 0: this function, 1: module_result (stacklevel 1), 2: its caller
    while frame.f_back is not None and _is_plumbing(frame.f_globals.get("__name__", "")):
        level, frame = level + 1, frame.f_back
    return level


def _is_plumbing(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in _PLUMBING)

#: how every module's ``inputs_description`` explains the keys beside the values
RESULT_KEYS_DESCRIPTION = """\
    comparable (bool): False when a number must not be put beside published ones (a toy network, too few
        samples for the feature dimension, an unavailable metric...); a NotComparableWarning then says why.
    comparability_notes (list of str): the reasons, empty when comparable.
    provenance (dict): per metric, the library's MetricResult.to_dict(): value, feature network and weights
        sha256, resize, sample counts, settings, warnings (metrics.provenance.MetricResult.from_dict reads it)."""

#: the CLIP modules' citation (Radford et al.) beside their own
CLIP_CITATION = """@inproceedings{radford2021learning,
  title={Learning Transferable Visual Models From Natural Language Supervision},
  author={Radford, Alec and Kim, Jong Wook and Hallacy, Chris and Ramesh, Aditya and Goh, Gabriel and Agarwal,
          Sandhini and Sastry, Girish and Askell, Amanda and Mishkin, Pamela and Clark, Jack and Krueger, Gretchen
          and Sutskever, Ilya},
  booktitle={International Conference on Machine Learning},
  year={2021}
}"""

#: the arguments every CLIP module shares, as its inputs_description lists them
CLIP_ARGUMENTS_DESCRIPTION = """\
    clip_model (str): 'clip-vit-b-32' (default), 'clip-vit-l-14' (canonical OpenAI weights, local files) or
        'toy-clip' (seeded random, offline, never comparable). The backbone is part of the result's name.
    weights (str or Path): the weights file, or a folder holding it (default: $NEXTGPT_BENCH_WEIGHTS, then the
        cache folder). Nothing is ever downloaded here.
    batch_size (int): items per network call (default 32).
    bootstrap (int): seeded percentile bootstrap resamples of the per-sample scores for an interval (default 0:
        none); the interval is in provenance[...]["ci"].
    seed (int): the bootstrap seed (default 0)."""
