"""What a benchmark sample is: inputs for the model and references to score its outputs against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nextgpt.core.modalities import Modality


@dataclass(frozen=True, slots=True)
class MediaFile:
    modality: Modality
    path: Path


@dataclass(frozen=True, slots=True)
class Turn:
    """One user turn of a dialogue and what a correct answer produces."""

    text: str
    media: tuple[MediaFile, ...] = ()
    #: output modalities a correct answer produces at this turn (empty: text only)
    expected_outputs: frozenset[Modality] = frozenset()
    #: captions describing the expected output (scored against the generated media)
    reference_captions: tuple[str, ...] = ()
    #: what the assistant should say (without signal tokens), for instruction tuning
    answer: str | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """One evaluation item.  Which fields a task reads depends on the task:

    * captioning: ``inputs`` (the medium) and ``captions`` (reference captions);
    * text -> X: ``captions`` (the first is the prompt, all are references) and ``targets`` (real media for
      distribution metrics such as FID/FAD);
    * editing: ``inputs`` (source), ``instruction``, ``targets`` (the edited reference) and ``captions`` (of the
      target);
    * dialogue: ``turns``.
    """

    id: str
    inputs: tuple[MediaFile, ...] = ()
    captions: tuple[str, ...] = ()
    targets: tuple[MediaFile, ...] = ()
    instruction: str | None = None
    turns: tuple[Turn, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def files(self) -> list[MediaFile]:
        return [*self.inputs, *self.targets, *(m for turn in self.turns for m in turn.media)]


@dataclass(frozen=True)
class Dataset:
    name: str
    root: Path
    samples: tuple[Sample, ...]
    #: where the data comes from (a file name, a version, "synthetic v1 seed 0"...), recorded with every run
    source: str

    def __len__(self) -> int:
        return len(self.samples)

    def limit(self, count: int | None) -> Dataset:
        """The first ``count`` samples (in the dataset's fixed order)."""
        if count is None:
            return self
        return Dataset(self.name, self.root, self.samples[:count], self.source)

    def missing_files(self) -> list[Path]:
        return sorted({f.path for s in self.samples for f in s.files() if not f.path.is_file()})
