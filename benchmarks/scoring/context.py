"""What a scorer sees: the task's scoring declaration, the dataset, the stored outputs, the feature networks.

Scores are always computed from the stored (lossless) media, so a fresh run, a resumed run and a rescoring of an
old run give the same numbers.  Feature networks come in two sets: ``canonical`` (Inception 2015-12-05, VGGish,
CLIP ViT-B/32: comparable with papers, weights from local files) and ``toy`` (seeded random networks: run
anywhere, labelled ``fid[toy]`` etc., never comparable with published numbers).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np

from benchmarks.datasets.samples import Dataset, Sample
from benchmarks.scoring.media_inputs import read_scored_media, read_target
from benchmarks.scoring.metric_spec import OutputKind
from benchmarks.store import FeatureSide, Generation, ResultsStore
from nextgpt.core.errors import ConfigError, TaskError
from nextgpt.core.modalities import MODALITIES, Modality

if TYPE_CHECKING:
    from metrics.extractors.base import FeatureExtractor
    from metrics.extractors.clip import TextImageModel
    from metrics.extractors.registry import Extractor

#: keyword arguments of every metric-library class (a ``torchmetrics.Metric``) that a scorer builds.  A task's whole
#: set is scored in one process (under torchrun, rank 0 alone, while the other ranks go on to their next shard or
#: wait at a barrier), so a metric must not gather its states from the other processes on ``compute``: they never
#: join that collective, and rank 0 would wait for ever (or pair it with their barrier).
ONE_PROCESS: Mapping[str, Any] = MappingProxyType({"sync_on_compute": False})

#: media a context keeps in memory (the most recently used): a slice of a set scorer's items and the items around
#: the per-sample metrics' current one
MEDIA_KEPT = 1024

ExtractorRole = Literal["image", "audio", "clip"]
EXTRACTOR_SETS: dict[str, dict[ExtractorRole, str]] = {
    "canonical": {"image": "inception-2015-12-05", "audio": "vggish", "clip": "clip-vit-b-32"},
    "toy": {"image": "toy", "audio": "toy-audio", "clip": "toy-clip"},
}


@dataclass(frozen=True)
class ScoredLeg:
    """One leg of a cycle task as scoring sees it: stored as ``turn``, producing ``output``, scored by
    ``metrics`` (declared on that leg; see benchmarks/tasks/legs.py)."""

    turn: int
    output: OutputKind
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class ScoredTask:
    """What scoring needs to know of a task (``benchmarks.tasks.Task.scoring()`` builds it): scoring sits below
    the task declarations and never imports them."""

    name: str
    output: OutputKind
    #: the declared metric names (validated against the registry when the task was registered)
    metrics: tuple[str, ...]
    #: a cycle's legs (each scored on its own stored turn); empty for every other task
    legs: tuple[ScoredLeg, ...] = ()

    @property
    def produced_modality(self) -> Modality | None:
        return cast(Modality, self.output) if self.output in MODALITIES else None


@dataclass
class ScoringContext:
    task: ScoredTask
    dataset: Dataset
    #: (sample id, turn) -> stored generation
    outputs: dict[tuple[str, int], Generation]
    store: ResultsStore
    #: a key of EXTRACTOR_SETS
    extractors: str
    bootstrap: int
    seed: int
    #: the run whose outputs these are: set metrics read the feature rows the run stored while it generated (None:
    #: every feature is extracted from the media)
    run_id: str | None = None
    _built: dict[str, Extractor] = field(default_factory=dict, init=False, repr=False)
    #: the media read last (at most MEDIA_KEPT: a large task's media are never all in memory at once)
    _media: OrderedDict[tuple[str, str, str], np.ndarray | None] = field(default_factory=OrderedDict, init=False,
                                                                         repr=False)
    #: (sample id, modality) -> the verifiers' reading of its output medium (dies with the context)
    _readings: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict, init=False, repr=False)

    def extractor(self, role: ExtractorRole) -> Extractor:
        """The network of ``role`` in this context's set, built once (override to swap one in)."""
        from metrics.extractors.registry import build_extractor

        name = EXTRACTOR_SETS[self.extractors][role]
        if name not in self._built:
            self._built[name] = build_extractor(name)
        return self._built[name]

    def feature_extractor(self, role: Literal["image", "audio"]) -> FeatureExtractor:
        """The image or audio network (FID, FAD, KID)."""
        from metrics.extractors.base import FeatureExtractor

        network = self.extractor(role)
        if not isinstance(network, FeatureExtractor):
            raise ConfigError(f"extractor set {self.extractors!r}: the {role} network is a "
                              f"{type(network).__name__}, expected a FeatureExtractor")
        return network

    def clip_model(self) -> TextImageModel:
        """The text-image network (CLIP score, CLIPSIM, CLIP-I)."""
        from metrics.extractors.base import FeatureExtractor

        network = self.extractor("clip")
        if isinstance(network, FeatureExtractor):
            raise ConfigError(f"extractor set {self.extractors!r}: the clip network {network.name} is a feature "
                              "extractor, expected a text-image model")
        return network

    def samples(self) -> list[Sample]:
        """The samples with a stored (first-turn) output, in dataset order."""
        return [s for s in self.dataset.samples if (s.id, 0) in self.outputs]

    def output(self, sample: Sample) -> Generation:
        return self.outputs[(sample.id, 0)]

    @property
    def reads_stored_outputs(self) -> bool:
        """Whether ``media`` serves the stored outputs.  A context that serves other media (a sensitivity probe,
        a deliberately miswired test double) must not be scored from features extracted from the stored outputs
        while the run recorded them (``image_feature_chunks``)."""
        return type(self).media is ScoringContext.media

    def serves_stored(self, side: FeatureSide) -> bool:
        """Whether the side's media are those a run's feature chunks are made from: the stored outputs
        (generated: ``media`` is not overridden) or the dataset's targets (reference: ``target`` is not).  A
        context that overrides either (a sensitivity probe, a test double) serves other media for that side, whose
        chunks are extracted from what it serves and never read from or kept in the store
        (``image_feature_chunks.stored_place``)."""
        if side == "generated":
            return self.reads_stored_outputs
        return type(self).target is ScoringContext.target

    def media(self, sample: Sample, modality: Modality) -> np.ndarray | None:
        """The sample's stored output medium (None when the model produced none), kept while recently used."""
        key = (sample.id, modality, "output")
        if key not in self._media:
            stored = next((m for m in self.output(sample).media if m.modality == modality), None)
            self._keep(key, None if stored is None else read_scored_media(self.store.media_path(stored), modality))
        self._media.move_to_end(key)
        return self._media[key]

    def _keep(self, key: tuple[str, str, str], medium: np.ndarray | None) -> None:
        self._media[key] = medium
        while len(self._media) > MEDIA_KEPT:
            self._media.popitem(last=False)

    def reading(self, sample: Sample, modality: Modality, read: Callable[[np.ndarray], dict[str, str]]
                ) -> dict[str, str] | None:
        """``read`` of the sample's output medium (None when the model produced none), computed once per context:
        every attribute metric of a sample shares it."""
        key = (sample.id, modality)
        if key not in self._readings:
            medium = self.media(sample, modality)
            if medium is None:
                return None
            self._readings[key] = read(medium)
        return self._readings[key]

    def forget_readings(self) -> None:
        """Drop the verifiers' readings: every per-sample metric that shares them is computed before the set
        metrics (``scorers._score_declared``), so a task of 30,000 samples does not carry them through FID and
        CLIP's peak."""
        self._readings.clear()

    def target(self, sample: Sample, modality: Modality) -> np.ndarray:
        """The sample's reference medium, kept while recently used."""
        key = (sample.id, modality, "target")
        if key not in self._media:
            self._keep(key, read_target(sample, modality))
        self._media.move_to_end(key)
        return cast(np.ndarray, self._media[key])

    def items(self) -> Iterator[ScoredItem]:
        """What per-sample metrics score: each turn of a dialogue (keyed ``<sample>#<turn>``), else each sample
        with a stored output."""
        if self.task.output == "dialogue":
            for sample in self.dataset.samples:
                for turn in range(len(sample.turns)):
                    generation = self.outputs.get((sample.id, turn))
                    if generation is not None:
                        yield ScoredItem(f"{sample.id}#{turn}", sample, turn, generation, self)
        else:
            for sample in self.samples():
                yield ScoredItem(sample.id, sample, 0, self.output(sample), self)


@dataclass(frozen=True)
class ScoredItem:
    """One item a per-sample metric scores: a sample's output, or one turn of a dialogue."""

    key: str
    sample: Sample
    turn: int
    generation: Generation
    context: ScoringContext

    def output_media(self) -> np.ndarray | None:
        """The produced medium of a text -> X or editing task (None when the model produced none)."""
        modality = self.context.task.produced_modality
        return None if modality is None else self.context.media(self.sample, modality)

    def target_media(self) -> np.ndarray:
        modality = self.context.task.produced_modality
        if modality is None:
            raise TaskError(f"task {self.context.task.name} produces no medium, so it has no target medium")
        return self.context.target(self.sample, modality)
