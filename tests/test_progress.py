"""Progress as the library reports it (nextgpt.core.progress): silent unless an application installs a reporter;
the runner reports each task's samples with generated/cached tallies; feature passes and intervals report their
steps, as work that is shown only once it takes a while, without changing a number."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from metrics.bootstrap import bootstrap_statistic
from metrics.extractors.base import EXTRACTION_BATCH
from metrics.extractors.toy import ToyImageExtractor, ToyTextImageModel
from metrics.jackknife import jackknife_variance
from metrics.kid import kid_subsets
from metrics.kid_interval import kid_interval
from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import Capabilities, JSONValue
from nextgpt.core.media import write_wav
from nextgpt.core.progress import (
    SILENT,
    SLOW_WORK_SECONDS,
    ProgressTask,
    current_progress,
    label_scope,
    progress_scope,
    progress_task,
    reporting_progress,
    scoped_label,
)
from nextgpt.core.requests import GenerationRequest, GenerationResult


@dataclass
class RecordedTask(ProgressTask):
    label: str
    total: int | None
    done: int
    unit: str
    show_after: float
    counts: dict[str, int] = field(default_factory=dict)
    closed: bool = False

    def advance(self, steps: int = 1, **counts: int) -> None:
        self.done += steps
        for name, value in counts.items():
            self.counts[name] = self.counts.get(name, 0) + value

    def close(self) -> None:
        self.closed = True


@dataclass
class RecordingProgress:
    """A reporter that keeps every task it was asked to show."""

    tasks: list[RecordedTask] = field(default_factory=list)

    def task(self, label: str, total: int | None, *, done: int = 0, unit: str = "it",
             show_after: float = 0.0) -> ProgressTask:
        self.tasks.append(RecordedTask(label, total, done, unit, show_after))
        return self.tasks[-1]

    def labelled(self, label: str) -> RecordedTask:
        found = [task for task in self.tasks if task.label == label]
        assert len(found) == 1, f"{label!r} among {[t.label for t in self.tasks]}"
        return found[0]


def test_nothing_is_shown_unless_a_reporter_is_installed_and_scopes_prefix_labels() -> None:
    assert current_progress() is SILENT
    recorder = RecordingProgress()
    with reporting_progress(recorder), progress_scope("t2i"), progress_task("features", 3) as task:
        task.advance(3)
    assert current_progress() is SILENT  # restored after the block
    assert [(t.label, t.done, t.closed) for t in recorder.tasks] == [("[t2i] features", 3, True)]


def test_a_label_says_its_scope() -> None:
    assert scoped_label("t2i", "toy features") == "[t2i] toy features"
    assert scoped_label(None, "bootstrap") == "bootstrap"
    assert label_scope("[t2i] toy features") == "t2i" and label_scope("[edit-image] generate") == "edit-image"
    assert [label_scope(label) for label in ("bootstrap", "[t2i]", "[] x", "toy [t2i] x")] == [None] * 4


def test_feature_extraction_reports_its_batches_and_gives_the_one_pass_numbers() -> None:
    extractor = ToyImageExtractor()
    images = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (EXTRACTION_BATCH + 44, 3, 8, 8),
                                                                  dtype=np.uint8))
    recorder = RecordingProgress()
    with reporting_progress(recorder):
        features = extractor.extract(images)
        extractor.extract(images[:10])  # fits in one batch: nothing to report
    task = recorder.labelled("toy features")
    assert (task.total, task.done, task.unit, task.show_after, task.closed) == (
        EXTRACTION_BATCH + 44, EXTRACTION_BATCH + 44, "inputs", SLOW_WORK_SECONDS, True)
    assert len(recorder.tasks) == 1
    with torch.inference_mode():
        one_pass = extractor(images).to(torch.float64)
    torch.testing.assert_close(features, one_pass, rtol=1e-6, atol=1e-6)


def test_clip_images_are_encoded_in_batches_with_progress() -> None:
    model = ToyTextImageModel()
    images = [np.full((8, 8, 3), i % 256, dtype=np.uint8) for i in range(EXTRACTION_BATCH + 1)]
    recorder = RecordingProgress()
    with reporting_progress(recorder):
        embeddings = model.encode_image(images)
    assert embeddings.shape == (EXTRACTION_BATCH + 1, 32)
    assert recorder.labelled("toy-clip images").done == EXTRACTION_BATCH + 1


def test_interval_estimators_report_every_evaluation_and_keep_their_numbers() -> None:
    values = np.random.default_rng(1).normal(size=40)
    features = np.random.default_rng(2).normal(size=(30, 4))
    recorder = RecordingProgress()
    with reporting_progress(recorder):
        bootstrap = bootstrap_statistic(lambda idx: float(values[idx].mean()), (40,), n_resamples=25)
        jackknife = jackknife_variance(lambda keep: float(keep.sum()) ** 2, 5, label="test interval")
        subsets = kid_subsets(features, features[::-1], subsets=4, subset_size=10)
        kid_interval(0.1, 0.01, 4, features, features, groups=5, confidence=0.95, seed=0, degree=3, gamma=0.25,
                     coef0=1.0)
    assert bootstrap == bootstrap_statistic(lambda idx: float(values[idx].mean()), (40,), n_resamples=25)
    assert jackknife == jackknife_variance(lambda keep: float(keep.sum()) ** 2, 5)
    np.testing.assert_array_equal(subsets, kid_subsets(features, features[::-1], subsets=4, subset_size=10))
    expected = {"bootstrap": 25, "test interval": 1 + 5 + 10, "KID subsets": 4, "KID interval kernels": 90,
                "KID interval": 1 + 5 + math.comb(5, 2)}
    assert {t.label: t.done for t in recorder.tasks} == expected
    assert all(t.done == t.total and t.closed and t.show_after == SLOW_WORK_SECONDS for t in recorder.tasks)


class RedSquares:
    """Not NExT-GPT: a red square for every request (enough for t2i's scores)."""

    capabilities = Capabilities(inputs=frozenset(), outputs=frozenset({"image"}))
    device = torch.device("cpu")

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        results = []
        for request in requests:
            result = GenerationResult(text=f"drawn: {request.text}")
            result.images.append(Image.new("RGB", (32, 32), (200, 40, 40)))
            results.append(result)
        return results

    def fingerprint(self) -> str:
        return hashlib.sha256(b"red squares for progress tests").hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"source": "red squares"}


@pytest.fixture
def private_dataset_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.mark.usefixtures("private_dataset_cache")
def test_the_runner_reports_samples_with_generated_and_cached_counts(tmp_path: os.PathLike[str],
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    store = ResultsStore(tmp_path)
    settings = RunSettings(tasks=("t2i",), limit=3, bootstrap=0, extractors="toy", batch_size=2)
    first, second = RecordingProgress(), RecordingProgress()
    with caplog.at_level(logging.INFO, logger="benchmarks.runner.runner"):
        summary = BenchmarkRunner(RedSquares(), store, settings, progress=first).run()
        BenchmarkRunner(RedSquares(), store, settings, progress=second).run()  # a new run: all from the cache
    generated, cached = first.labelled("[t2i] generate"), second.labelled("[t2i] generate")
    assert (generated.total, generated.done, generated.unit, generated.show_after, generated.closed) == (
        3, 3, "samples", 0.0, True)
    assert generated.counts == {"generated": 3, "cached": 0} and cached.counts == {"generated": 0, "cached": 3}
    messages = [record.getMessage() for record in caplog.records]
    assert f"run {summary.run_id} (new), store {store.folder}" in messages
    assert any(m.startswith("[t2i] signal_rate=") for m in messages)


def test_the_runner_refuses_a_stream_as_progress(tmp_path: os.PathLike[str]) -> None:
    with pytest.raises(ConfigError, match=r"progress must be a nextgpt\.core\.progress\.ProgressReporter .* got "
                                          r"StringIO"):
        BenchmarkRunner(RedSquares(), ResultsStore(tmp_path), RunSettings(tasks=("t2i",)),
                        progress=io.StringIO())  # type: ignore[arg-type]


# --- passes over a whole folder or set, fed to a network a batch at a time ------------------------------------------

def _shown(recorder: RecordingProgress, label: str) -> tuple[int | None, int, str, float, bool]:
    task = recorder.labelled(label)
    return task.total, task.done, task.unit, task.show_after, task.closed


def _write_images(folder: Path, count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    arrays = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(count)]
    for index, pixels in enumerate(arrays):
        Image.fromarray(pixels).save(folder / f"img{index}.png")
    return arrays


def _write_clips(folder: Path, count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    clips = [(0.3 * rng.standard_normal(16000)).astype(np.float32) for _ in range(count)]  # 1 s: one example each
    for index, clip in enumerate(clips):
        write_wav(clip, folder / f"clip{index}.wav", 16000)
    return clips


def test_score_commands_report_each_folder_across_its_batches(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A 30k-image folder is read 32 images at a time; each batch alone is too small to report, the pass is not."""
    from benchmarks.cli import build_parser

    _write_images(tmp_path / "gen", 5, 0)
    _write_images(tmp_path / "ref", 4, 1)
    (tmp_path / "prompts.json").write_text(json.dumps({f"img{i}": f"picture {i}" for i in range(5)}))
    _write_clips(tmp_path / "gen_audio", 3, 2)
    _write_clips(tmp_path / "ref_audio", 2, 3)
    for video in ("vid0", "vid1"):
        _write_images(tmp_path / "videos" / video, 3, 4)
    (tmp_path / "video_prompts.json").write_text(json.dumps({"vid0": "a dog", "vid1": "a cat"}))
    commands = [
        ["score", "images", "--gen", str(tmp_path / "gen"), "--ref", str(tmp_path / "ref"), "--extractor", "toy",
         "--prompts", str(tmp_path / "prompts.json"), "--clip-model", "toy-clip", "--batch-size", "2",
         "--kid-subsets", "2", "--kid-subset-size", "3"],
        ["score", "audio", "--gen", str(tmp_path / "gen_audio"), "--ref", str(tmp_path / "ref_audio"),
         "--extractor", "toy-audio"],
        ["score", "video", "--gen", str(tmp_path / "videos"), "--prompts", str(tmp_path / "video_prompts.json"),
         "--clip-model", "toy-clip"],
    ]
    recorder = RecordingProgress()
    with reporting_progress(recorder):
        for argv in commands:
            args = build_parser().parse_args(argv)
            assert args.func(args) == 0
    capsys.readouterr()
    slow = SLOW_WORK_SECONDS
    assert _shown(recorder, "toy features (generated)") == (5, 5, "images", slow, True)
    assert _shown(recorder, "toy features (reference)") == (4, 4, "images", slow, True)
    assert _shown(recorder, "toy-clip clip score") == (5, 5, "images", slow, True)
    assert _shown(recorder, "toy-audio features (generated)") == (3, 3, "files", slow, True)
    assert _shown(recorder, "toy-audio features (reference)") == (2, 2, "files", slow, True)
    assert _shown(recorder, "toy-clip clipsim") == (2, 2, "videos", slow, True)


@pytest.mark.parametrize("module, network, unit", [("fid", "toy", "images"), ("kid", "toy", "images"),
                                                   ("fad", "toy-audio", "clips")])
def test_evaluate_set_metrics_report_each_set_across_its_batches(module: str, network: str, unit: str,
                                                                 tmp_path: Path) -> None:
    """The evaluate module class itself (evaluate.load is tested in tests/metrics), its cache in tmp_path."""
    from metrics.hf_evaluate.fad.fad import Fad
    from metrics.hf_evaluate.fid.fid import Fid
    from metrics.hf_evaluate.kid.kid import Kid

    classes = {"fid": Fid, "kid": Kid, "fad": Fad}
    if module == "fad":
        generated, references = _write_clips(tmp_path / "gen", 5, 5), _write_clips(tmp_path / "ref", 4, 6)
    else:
        generated, references = _write_images(tmp_path / "gen", 5, 5), _write_images(tmp_path / "ref", 4, 6)
    extra = {"kid_subsets": 2, "kid_subset_size": 3} if module == "kid" else {}
    metric = classes[module](keep_in_memory=True, cache_dir=str(tmp_path / "cache"))
    recorder = RecordingProgress()
    with reporting_progress(recorder), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # toy networks: not comparable, as expected
        metric.compute(predictions=generated, references=references, feature_network=network, batch_size=2,
                       **extra)
    slow = SLOW_WORK_SECONDS
    assert _shown(recorder, f"{network} features (generated)") == (5, 5, unit, slow, True)
    assert _shown(recorder, f"{network} features (reference)") == (4, 4, unit, slow, True)
