"""A medium the feature network cannot take never stops a run while it records (benchmarks/scoring/
recorded_prefix.py): the stream leaves that chunk to scoring with a warning, every sample is recorded, and scoring
raises the error naming the sample and its stored file -- also when the run is resumed, whose streams replay the
recorded outputs before generating anything."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from instant_media import InstantMediaModel

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from benchmarks.tasks import get_task
from nextgpt.core.errors import MediaError
from nextgpt.core.requests import GenerationRequest, GenerationResult

SAMPLES = 10
#: the request whose clip is cut to 0.5 s (1-based): sample 2 of 10, in chunk 0
SHORT = 2


class ShortClipModel(InstantMediaModel):
    """InstantMediaModel("audio"), except that the clip of request ``SHORT`` is 0.5 s: shorter than one 0.96 s
    VGGish example, so FAD cannot embed it."""

    def __init__(self) -> None:
        super().__init__("audio")

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        results = []
        for request in requests:
            result = super().generate([request])[0]
            if self.calls == SHORT:
                result = GenerationResult(text=result.text, audios=[result.audios[0][:8000]],
                                          audio_sample_rate=16000)
            results.append(result)
        return results


def _run(store: ResultsStore, model: InstantMediaModel, caplog: pytest.LogCaptureFixture
         ) -> tuple[pytest.ExceptionInfo[MediaError], list[str]]:
    """Run t2a until scoring raises; the error, and the streams' warnings."""
    caplog.clear()
    runner = BenchmarkRunner(model, store, RunSettings(tasks=("t2a",), limit=SAMPLES, extractors="toy"))
    with caplog.at_level("WARNING", logger="benchmarks.scoring.recorded_prefix"), \
            pytest.raises(MediaError, match=r"shorter than one 0\.96 s VGGish example") as raised:
        runner.run()
    return raised, [r.getMessage() for r in caplog.records if r.name == "benchmarks.scoring.recorded_prefix"]


def test_a_clip_too_short_for_fad_is_left_to_scoring_which_names_its_sample_and_file(
        tmp_path: Path, small_chunks: None, caplog: pytest.LogCaptureFixture) -> None:
    store = ResultsStore(tmp_path)
    model = ShortClipModel()
    raised, warnings = _run(store, model, caplog)
    assert model.calls == SAMPLES, "every sample was generated before the error"
    (run,) = store.runs()
    recorded = store.recorded(run["run_id"], "t2a")
    assert len(recorded) == SAMPLES
    samples = BenchmarkRunner(model, store, RunSettings(tasks=("t2a",), limit=SAMPLES)).load_dataset(
        get_task("t2a")).samples
    short = samples[SHORT - 1].id
    short_file = store.media_path(recorded[(short, 0)].media[0])
    assert f"sample {short}: generated audio {short_file}" in str(raised.value)
    frames = {Path(str(entry.path)).name for entry in raised.traceback}
    assert "frechet_metrics.py" in frames and "streaming_features.py" not in frames, "raised by scoring"
    assert len(warnings) == 1 and "chunk 0 (generated" in warnings[0] and f"sample {short}:" in warnings[0]
    assert store.feature_chunk(run["run_id"], "t2a", "toy-audio", "generated", 0) is None, "left to scoring"
    for side in ("generated", "reference"):  # the stream went on after the chunk it left
        assert store.feature_chunk(run["run_id"], "t2a", "toy-audio", side, 1) is not None, side

    resumed = ShortClipModel()
    raised, warnings = _run(store, resumed, caplog)
    assert resumed.calls == 0, "nothing left to generate"
    assert f"sample {short}: generated audio {short_file}" in str(raised.value)
    frames = {Path(str(entry.path)).name for entry in raised.traceback}
    assert "frechet_metrics.py" in frames and "streaming_features.py" not in frames, "the replay did not raise"
    assert len(warnings) == 1 and f"sample {short}:" in warnings[0]
