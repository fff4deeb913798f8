"""Every nextgpt-bench metric as a Hugging Face ``evaluate`` module, found by name (docs/evaluate.md).

The metric library's modules (``fid``, ``kid``, ``clip_score``, ``clip_i``, ``clipsim``, ``fad``,
``coco_captions``) live in :mod:`metrics.hf_evaluate`; the modules that need the benchmark harness live here
(``attribute_accuracy``: does a caption name its synthetic scene's attributes). This package finds both::

    from benchmarks.scoring.hf_evaluate import nextgpt_bench_evaluate, module_names
    fid = nextgpt_bench_evaluate("fid")          # evaluate.load of the script inside the installed package
    module_names()                               # every module name

Importing this package does not import ``evaluate``; loading a module does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from metrics import hf_evaluate as library_modules
from metrics.hf_evaluate.locate import find_module, load_script, scripts_in

if TYPE_CHECKING:
    import evaluate

#: the folder holding the harness's module folders
MODULES_ROOT = Path(__file__).resolve().parent

__all__ = ["MODULES_ROOT", "load", "module_names", "module_path", "nextgpt_bench_evaluate"]


def module_names() -> tuple[str, ...]:
    """Every nextgpt-bench evaluate module, sorted (the metric library's and the harness's)."""
    return tuple(sorted(library_modules.module_names() + scripts_in(MODULES_ROOT)))


def module_path(name: str) -> Path:
    """The folder to give ``evaluate.load`` for module ``name`` (inside the installed packages)."""
    return find_module(name, (library_modules.MODULES_ROOT, MODULES_ROOT))


def load(name: str, **load_kwargs: Any) -> evaluate.EvaluationModule:
    """``evaluate.load`` of module ``name``; ``load_kwargs`` go to ``evaluate.load``, and any of the module's
    ``compute`` arguments among them becomes its default (``load("fid", feature_network="toy")``)."""
    return load_script(module_path(name), **load_kwargs)


#: the name to import where it should read as what it is
nextgpt_bench_evaluate = load
