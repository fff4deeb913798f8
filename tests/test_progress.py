"""Progress as the library reports it (nextgpt.core.progress): silent unless an application installs a reporter;
the runner reports each task's samples with generated/cached tallies; feature passes and intervals report their
steps, as work that is shown only once it takes a while, without changing a number."""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

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
from nextgpt.core.progress import (
    SILENT,
    SLOW_WORK_SECONDS,
    ProgressTask,
    current_progress,
    progress_scope,
    progress_task,
    reporting_progress,
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
