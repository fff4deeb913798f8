"""The metric library as Hugging Face ``evaluate`` modules: FID, KID, CLIP score, CLIP-I, CLIPSIM, FAD and the COCO
caption metrics (docs/evaluate.md).

Each module is a real ``evaluate.Metric`` whose ``_compute`` calls this library's own classes and functions, so
its numbers equal the Python API's and the CLI's; its result carries the same provenance and says whether the
numbers are comparable with published ones. The scripts live in this package (``metrics/hf_evaluate/NAME/NAME.py``)
and load offline::

    from metrics import hf_evaluate
    fid = hf_evaluate.load("fid")                      # = evaluate.load(str(hf_evaluate.module_path("fid")))
    fid.compute(predictions=generated, references=real, feature_network="toy")

``attribute_accuracy`` needs the benchmark harness, so it lives a layer up:
``benchmarks.scoring.hf_evaluate.load`` (alias ``nextgpt_bench_evaluate``) loads it and every module here.
Importing this package does not import ``evaluate``; :func:`load` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from metrics.hf_evaluate.locate import find_module, load_script, scripts_in

if TYPE_CHECKING:
    import evaluate

#: the folder holding the module folders of the metric library
MODULES_ROOT = Path(__file__).resolve().parent

_ELSEWHERE = " (attribute_accuracy needs the benchmark harness: load it with benchmarks.scoring.hf_evaluate.load)"

__all__ = ["MODULES_ROOT", "load", "module_names", "module_path"]


def module_names() -> tuple[str, ...]:
    """The evaluate modules of the metric library, sorted: ``clip_i``, ``clip_score``, ``clipsim``, ..."""
    return scripts_in(MODULES_ROOT)


def module_path(name: str) -> Path:
    """The folder to give ``evaluate.load`` for module ``name`` (inside the installed package)."""
    return find_module(name, (MODULES_ROOT,), _ELSEWHERE)


def load(name: str, **load_kwargs: Any) -> evaluate.EvaluationModule:
    """``evaluate.load`` of module ``name``; ``load_kwargs`` as :func:`metrics.hf_evaluate.locate.load_script`."""
    return load_script(module_path(name), **load_kwargs)
