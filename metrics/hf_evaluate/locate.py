"""Finding the evaluate module scripts shipped inside the installed packages, and loading one by name.

An evaluate module here is a folder ``NAME/`` holding the script ``NAME/NAME.py`` (evaluate's layout for a local
module: ``evaluate.load(folder)`` reads ``folder/<folder name>.py``). The folders are ordinary packages of this
project (they have an ``__init__.py``), so setuptools installs them with the code and import-linter checks their
imports like any other module's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metrics.errors import ConfigError

if TYPE_CHECKING:
    import evaluate


def scripts_in(root: Path) -> tuple[str, ...]:
    """Names of the evaluate modules in ``root``: its sub-folders ``NAME`` that hold ``NAME.py``."""
    return tuple(sorted(folder.name for folder in root.iterdir()
                        if folder.is_dir() and (folder / f"{folder.name}.py").is_file()))


def find_module(name: str, roots: Iterable[Path], elsewhere: str = "") -> Path:
    """The folder of module ``name`` in the first of ``roots`` that has it (what ``evaluate.load`` takes).

    An unknown name is a ConfigError listing the available ones; ``elsewhere`` adds where other modules live.
    """
    roots = tuple(roots)
    if not isinstance(name, str):
        raise ConfigError(f"an evaluate module name must be a string, got {type(name).__name__} {name!r}")
    for root in roots:
        if name in scripts_in(root):
            return root / name
    available = sorted(module for root in roots for module in scripts_in(root))
    raise ConfigError(f"no nextgpt-bench evaluate module named {name!r}; available: {', '.join(available)}"
                      f"{elsewhere}")


def load_script(folder: Path, **load_kwargs: Any) -> evaluate.EvaluationModule:
    """``evaluate.load`` of a module folder (offline: a local path never reaches the Hub).

    ``load_kwargs`` go to ``evaluate.load`` (``keep_in_memory``, ``cache_dir``, ``experiment_id``...); any argument
    of the module's ``compute`` given here becomes that module's default.
    """
    import evaluate

    return evaluate.load(str(folder), **load_kwargs)
