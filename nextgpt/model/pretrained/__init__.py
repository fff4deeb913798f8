"""Checkpoints shipped inside the package, addressable by name wherever a checkpoint folder is accepted.

``tiny-trained`` is the tiny preset after ``nextgpt-bench train --recipe tiny-trained`` (see
``nextgpt.training.recipe``): the default model of ``nextgpt-bench run``, ``generate`` and ``demo``.
"""

from __future__ import annotations

from pathlib import Path

from nextgpt.core.errors import CheckpointError

_FOLDER = Path(__file__).resolve().parent
SHIPPED_CHECKPOINTS: dict[str, Path] = {"tiny-trained": _FOLDER / "tiny-trained"}
DEFAULT_CHECKPOINT = "tiny-trained"


def resolve_checkpoint(value: str | Path) -> Path:
    """A checkpoint folder: an existing path as given, else the shipped checkpoint of that name."""
    path = Path(value)
    if path.exists() or str(value) not in SHIPPED_CHECKPOINTS:
        return path
    shipped = SHIPPED_CHECKPOINTS[str(value)]
    if not (shipped / "config.json").is_file():
        raise CheckpointError(f"the shipped checkpoint {value!r} is missing from {shipped}; rebuild it with "
                              f"`nextgpt-bench train --recipe {value} --out out/{value} --export {shipped}`")
    return shipped
