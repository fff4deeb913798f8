"""Which model a stored run measured, named for people: compare's two sides and the leaderboard's run rows.

A run's stored model description (the runs table's ``model`` column, ``RunData.info["model"]``) says what was
evaluated: a NExT-GPT checkpoint or preset (``checkpoint``, ``preset``), or an adapter (``adapter``: its name,
``source``: the folder or config file it loaded).  ``paper_model`` is what the run measured *as*: a model name
of the paper's rows (benchmarks/tasks/paper_reference.json), set by ``nextgpt-bench run --paper-model NAME``, so
the leaderboard can put the measured row beside the paper's printed one.  Nothing here reads a file: a run file
or an old store without these keys still gets a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from reports.rundata import RunData

#: a label's stand-in when the run records nothing about its model (a pytest-benchmark file, a hand-made run)
UNKNOWN_MODEL = "model"


@dataclass(frozen=True)
class MeasuredModel:
    """What one run measured, from its stored model description."""

    #: the paper's model name the run was measured as (``run --paper-model``); None when none was given
    paper_model: str | None
    #: the adapter's name (``diffusers-text-to-image``...); None for NExT-GPT itself
    adapter: str | None
    #: the adapter's folder or config file as stored (absolute path, usually)
    source: str | None
    #: the NExT-GPT checkpoint folder as stored
    checkpoint: str | None
    #: the NExT-GPT preset (``tiny``...)
    preset: str | None

    @property
    def short_source(self) -> str | None:
        """The source's folder name (``stable-diffusion-v1-5``); for a JSON config file (a cascade's
        ``model.json``), the name of the folder that holds it, since ``model.json`` alone names nothing."""
        if not self.source:
            return None
        path = PurePath(self.source)
        if path.suffix.lower() == ".json" and path.parent.name:
            return path.parent.name
        return path.name or self.source

    def describe(self) -> str:
        """One phrase for compare's header: ``SD-1.5 (diffusers-text-to-image: /weights/sd-1.5)``,
        ``diffusers-text-to-image: /weights/sd-1.5``, ``checkpoint /ckpt (preset tiny)``, ``preset tiny``."""
        what = self._what()
        if self.paper_model:
            return f"{self.paper_model} ({what})" if what else self.paper_model
        return what or "model not recorded"

    def _what(self) -> str | None:
        if self.adapter:
            return f"{self.adapter}: {self.source or '?'}"
        if self.checkpoint:
            return f"checkpoint {self.checkpoint}" + (f" (preset {self.preset})" if self.preset else "")
        if self.preset:
            return f"preset {self.preset}"
        return f"source {self.source}" if self.source else None


def measured_model(run: RunData) -> MeasuredModel:
    """The model ``run`` measured (fields it does not record are None)."""
    return measured_model_of(run.info.get("model"))


def measured_model_of(description: Any) -> MeasuredModel:
    """The model a stored description names; anything but a mapping (a run file without one) names nothing."""
    found: Mapping[str, Any] = description if isinstance(description, Mapping) else {}

    def text(key: str) -> str | None:
        value = found.get(key)
        return str(value) if isinstance(value, str | int | float) and str(value).strip() else None

    return MeasuredModel(paper_model=text("paper_model"), adapter=text("adapter"), source=text("source"),
                         checkpoint=text("checkpoint"), preset=text("preset"))


def board_label(run: RunData) -> str:
    """The run's row label on the leaderboard (unique through the run id):

    * measured as a paper model: ``SD-1.5 (measured: RUN)``;
    * an adapter: ``stable-diffusion-v1-5 [diffusers-text-to-image] (RUN)`` (the source's folder name);
    * a NExT-GPT checkpoint or preset: ``CHECKPOINT (RUN)`` / ``tiny (RUN)`` (the tables shorten the checkpoint
      path to its folder name: leaderboards.sections.display_label);
    * otherwise the source, or ``model (RUN)``."""
    model = measured_model(run)
    if model.paper_model:
        return f"{model.paper_model} (measured: {run.run_id})"
    if model.adapter:
        return f"{model.short_source or '?'} [{model.adapter}] ({run.run_id})"
    if model.checkpoint or model.preset:
        return f"{model.checkpoint or model.preset} ({run.run_id})"
    return f"{model.source or UNKNOWN_MODEL} ({run.run_id})"
