"""attribute_accuracy and the per-attribute accuracies on text, image, video and audio outputs, scored through the
task path (store -> ScoringContext -> score_task) on the synthetic world."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pytest
from PIL import Image

from benchmarks.datasets.registry import resolve_dataset
from benchmarks.datasets.samples import Dataset, Sample
from benchmarks.scoring.per_attribute_accuracy import PER_ATTRIBUTE_METRICS
from benchmarks.scoring.registry import metric_spec
from benchmarks.scoring.scorers import ScoredTask, ScoringContext, score_task
from benchmarks.store import Generation, ResultsStore
from benchmarks.tasks import get_task
from nextgpt.core.media import STORED_SUFFIX, encode_audio, encode_image, encode_video, read_media
from nextgpt.core.modalities import Modality

#: a produced medium per sample, or None for "the model produced none"
Producer = Callable[[Sample], np.ndarray | None]


def _encode(medium: np.ndarray, modality: str) -> bytes:
    if modality == "image":
        return encode_image(Image.fromarray(medium))
    return encode_video(medium) if modality == "video" else encode_audio(medium, 16000)

if TYPE_CHECKING:
    from metrics.extractors.base import FeatureExtractor


def _score(tmp_path: Path, task: ScoredTask, dataset: Dataset, produce: Producer | None = None,
           answer: Callable[[Sample], str] = lambda sample: "") -> dict[str, float | None]:
    store = ResultsStore(tmp_path / task.name)
    run_id, _ = store.start_or_resume(f"attributes-{task.name}", {"preset": "test"}, {"tasks": [task.name]})
    for sample in dataset.samples:
        medium = None if produce is None else produce(sample)
        media = () if medium is None else (store.write_media(_encode(medium, task.output), STORED_SUFFIX[task.output],
                                                             task.output),)
        key = hashlib.sha256(f"{task.name}/{sample.id}".encode()).hexdigest()
        store.record(run_id, Generation(key, task.name, sample.id, 0, 0, answer(sample), media, (), 0.0))
    scores = score_task(ScoringContext(task, dataset, store.recorded(run_id, task.name), store, "toy", 0, 0))
    store.close()
    return {m.metric: m.value for m in scores.metrics}


def _verified(task: str) -> ScoredTask:
    """The task's declaration, keeping only its attribute metrics (no feature network needed)."""
    declared = get_task(task).scoring()
    return ScoredTask(declared.name, declared.output,
                      tuple(m for m in declared.metrics if "accuracy" in m or m == "edit_success"))


def _target(modality: str) -> Producer:
    return lambda sample: read_media(modality, next(f for f in sample.targets if f.modality == modality).path,
                                     sample_rate=16000)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("world")


@pytest.mark.parametrize("task", ["t2i", "t2v", "t2a", "edit-image", "edit-video", "edit-audio"])
def test_the_references_score_one_and_no_output_scores_zero(task: str, world: Path, tmp_path: Path) -> None:
    scored = _verified(task)
    dataset = resolve_dataset(get_task(task).family, None, limit=6, cache_dir=world)
    assert _score(tmp_path / "ref", scored, dataset, _target(scored.output)) == dict.fromkeys(scored.metrics, 1.0)
    assert _score(tmp_path / "none", scored, dataset) == dict.fromkeys(scored.metrics, 0.0)


def test_an_unedited_image_fails_only_the_edited_attribute(world: Path, tmp_path: Path) -> None:
    """edit-image scores the output against the target scene: returning the input keeps shape, size, position
    and background right and gets the asked-for colour wrong."""
    scored = _verified("edit-image")
    dataset = resolve_dataset("image-edits", None, limit=6, cache_dir=world)
    assert all(s.metadata["edited"] == "colour" and s.metadata["source"]["colour"] != s.metadata["colour"]
               for s in dataset.samples)
    values = _score(tmp_path, scored, dataset, lambda s: read_media("image", s.inputs[0].path))
    assert values == {"attribute_accuracy": pytest.approx(0.8), "colour_accuracy": 0.0, "shape_accuracy": 1.0,
                      "size_accuracy": 1.0, "position_accuracy": 1.0, "background_accuracy": 1.0,
                      "edit_success": 0.0}


@pytest.mark.parametrize("task", ["edit-image", "edit-video", "edit-audio"])
def test_an_edit_succeeds_only_when_it_changes_what_was_asked_and_nothing_else(
        task: str, world: Path, tmp_path: Path) -> None:
    """The target scores 1; returning the input (a no-op edit) and producing nothing score 0."""
    scored = ScoredTask(task, get_task(task).output, ("edit_success",))
    modality = get_task(task).output
    dataset = resolve_dataset(get_task(task).family, None, limit=4, cache_dir=world)
    assert _score(tmp_path / "target", scored, dataset, _target(modality)) == {"edit_success": 1.0}
    no_op = _score(tmp_path / "no-op", scored, dataset,
                   lambda s: read_media(modality, s.inputs[0].path, sample_rate=16000))
    assert no_op == {"edit_success": 0.0}
    assert _score(tmp_path / "none", scored, dataset) == {"edit_success": 0.0}


def test_edit_success_also_fails_an_edit_that_changes_more(world: Path, tmp_path: Path) -> None:
    """Right colour, wrong everything else: attribute_accuracy gives it credit, edit_success does not."""
    scored = ScoredTask("edit-image", "image", ("attribute_accuracy", "edit_success"))
    dataset = resolve_dataset("image-edits", None, limit=4, cache_dir=world)

    def repainted_background(sample: Sample) -> np.ndarray:
        target = _target("image")(sample)
        assert target is not None
        corner = tuple(int(c) for c in target[0, 0])
        other = np.array([255, 255, 255] if corner == (0, 0, 0) else [0, 0, 0], dtype=np.uint8)
        return np.where(np.all(target == target[0, 0], axis=-1, keepdims=True), other, target)

    values = _score(tmp_path, scored, dataset, repainted_background)
    assert values["edit_success"] == 0.0 and values["attribute_accuracy"] == pytest.approx(0.8)


def test_a_blank_image_shows_only_a_background(world: Path, tmp_path: Path) -> None:
    scored = _verified("t2i")
    dataset = resolve_dataset("image-captions", None, limit=6, cache_dir=world)
    values = _score(tmp_path, scored, dataset, lambda s: np.zeros((32, 32, 3), dtype=np.uint8))
    black = np.mean([s.metadata["background"] == "black" for s in dataset.samples])
    assert values == {"attribute_accuracy": pytest.approx(black / 5), "colour_accuracy": 0.0, "shape_accuracy": 0.0,
                      "size_accuracy": 0.0, "position_accuracy": 0.0, "background_accuracy": pytest.approx(black)}


UNREADABLE: dict[str, np.ndarray] = {
    "t2i": np.zeros((8, 8, 3), dtype=np.uint8),                      # under 16 px a side
    "t2v": np.zeros((1, 32, 32, 3), dtype=np.uint8),                 # a single frame
    "t2a": np.sin(np.arange(4800) * 2 * np.pi * 440 / 16000).astype(np.float32)}  # 0.3 s


@pytest.mark.parametrize("task", sorted(UNREADABLE))
def test_a_medium_the_verifiers_cannot_read_scores_zero_with_a_warning(
        task: str, world: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A too-small image, a one-frame video or a too-short sound is a failed sample, not a failed run."""
    scored = _verified(task)
    dataset = resolve_dataset(get_task(task).family, None, limit=2, cache_dir=world)
    with caplog.at_level("WARNING", logger="benchmarks.scoring.attribute_verification"):
        values = _score(tmp_path, scored, dataset, lambda s: UNREADABLE[task])
    assert values == dict.fromkeys(scored.metrics, 0.0)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == len(dataset.samples), "one warning per sample, shared by its attribute metrics"
    for sample, warning in zip(dataset.samples, warnings, strict=True):
        assert f"[{task}] sample {sample.id}" in warning and "cannot be verified" in warning


def test_caption_tasks_score_each_named_attribute(world: Path, tmp_path: Path) -> None:
    scored = _verified("caption-image")
    assert scored.metrics == ("attribute_accuracy", "colour_accuracy", "shape_accuracy", "size_accuracy",
                              "background_accuracy")
    dataset = resolve_dataset("image-captions", None, limit=6, cache_dir=world)
    values = _score(tmp_path, scored, dataset,
                    answer=lambda s: f"a {s.metadata['colour']} thing on a {s.metadata['background']} background")
    assert values == {"attribute_accuracy": 0.5, "colour_accuracy": 1.0, "shape_accuracy": 0.0, "size_accuracy": 0.0,
                      "background_accuracy": 1.0}


def test_samples_without_the_attribute_are_not_scored(world: Path, tmp_path: Path) -> None:
    """A public dataset has no scene metadata: the metrics are unavailable, not 0."""
    scored = _verified("t2i")
    dataset = resolve_dataset("image-captions", None, limit=3, cache_dir=world)
    bare = Dataset(dataset.name, dataset.root, tuple(Sample(id=s.id, inputs=s.inputs, captions=s.captions,
                                                            targets=s.targets) for s in dataset.samples),
                   dataset.source)
    assert _score(tmp_path, scored, bare, _target("image")) == dict.fromkeys(scored.metrics)


def test_declarations_say_synthetic_world_only() -> None:
    for name in ("attribute_accuracy", *(spec.name for spec in PER_ATTRIBUTE_METRICS)):
        spec = metric_spec(name)
        assert "synthetic" in spec.description and "no published counterpart" in spec.compute.definition  # type: ignore[union-attr]
        assert spec.higher_is_better and spec.pairing == "per-sample"
    assert metric_spec("motion_accuracy").outputs == {"text", "video"}
    assert metric_spec("pitch_accuracy").outputs == {"text", "audio"}
    assert get_task("t2v").headline_metric == "fid" and get_task("edit-audio").headline_metric == "mel_distance"


def test_the_readings_die_with_the_scoring_context(world: Path, tmp_path: Path) -> None:
    """The verifiers' readings (and the media they were read from) live on the ScoringContext, not in a
    module-level cache that keeps hundreds of arrays alive after scoring."""
    import gc
    import weakref

    from benchmarks.scoring.attribute_verification import verified_matches

    scored = _verified("t2i")
    dataset = resolve_dataset("image-captions", None, limit=1, cache_dir=world)
    store = ResultsStore(tmp_path / "store")
    run_id, _ = store.start_or_resume("readings", {"preset": "test"}, {"tasks": ["t2i"]})
    sample = dataset.samples[0]
    medium = store.write_media(_encode(_target("image")(sample), "image"), STORED_SUFFIX["image"], "image")
    store.record(run_id, Generation("k", "t2i", sample.id, 0, 0, "", (medium,), (), 0.0))
    context = ScoringContext(scored, dataset, store.recorded(run_id, "t2i"), store, "toy", 0, 0)
    item = next(context.items())
    assert verified_matches(item) == dict.fromkeys(("colour", "shape", "size", "position", "background"), True)
    read = weakref.ref(context.media(sample, "image"))  # type: ignore[arg-type]
    del item, context
    gc.collect()
    assert read() is None
    store.close()


def test_each_output_is_read_once_and_the_readings_are_dropped_before_the_set_metrics(
        world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attribute metrics of a sample share one reading of its output; once they are computed the readings
    are dropped, so a big task does not carry them through FID and CLIP (issue 17, peak memory)."""
    readings_when_fid_starts: list[int] = []

    class WatchedContext(ScoringContext):
        def feature_extractor(self, role: Literal["image", "audio"]) -> FeatureExtractor:  # FID asks for it first
            readings_when_fid_starts.append(len(self._readings))
            return super().feature_extractor(role)

    task = get_task("t2i").scoring()
    dataset = resolve_dataset("image-captions", None, limit=4, cache_dir=world)
    store = ResultsStore(tmp_path / "store")
    run_id, _ = store.start_or_resume("readings-dropped", {"preset": "test"}, {"tasks": ["t2i"]})
    for sample in dataset.samples:
        medium = store.write_media(_encode(_target("image")(sample), "image"), STORED_SUFFIX["image"], "image")
        store.record(run_id, Generation(f"k{sample.id}", "t2i", sample.id, 0, 0, "", (medium,), (), 0.0))
    context = WatchedContext(task, dataset, store.recorded(run_id, "t2i"), store, "toy", 0, 0)
    reads: list[str] = []
    original_reading = ScoringContext.reading

    def counted(self: ScoringContext, sample: Sample, modality: Modality, read: Callable[[np.ndarray], dict[str, str]]
                ) -> dict[str, str] | None:
        if (sample.id, modality) not in self._readings:
            reads.append(sample.id)
        return original_reading(self, sample, modality, read)

    monkeypatch.setattr(ScoringContext, "reading", counted)
    scores = {m.metric: m.value for m in score_task(context).metrics}
    assert scores["attribute_accuracy"] == 1.0 and scores["colour_accuracy"] == 1.0
    assert sorted(reads) == sorted(s.id for s in dataset.samples), "each output read once by the verifiers"
    assert readings_when_fid_starts == [0], "the readings are gone when the set metrics start"
    store.close()
