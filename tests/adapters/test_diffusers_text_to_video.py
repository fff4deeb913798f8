"""The diffusers text-to-video adapter on the tiny preset's video decoder saved as a ``TextToVideoSDPipeline``
folder (Zeroscope's class) by ``write_tiny_pipeline``, loaded exactly as a user's folder would be."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from nextgpt.adapters.diffusers_text_to_video import DiffusersTextToVideo
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import AnyToAnyModel, HasStages
from nextgpt.core.requests import GenerationRequest
from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

#: Few steps and frames keep each video to a fraction of a second on CPU.
SETTINGS = AdapterSettings(num_inference_steps=1)
FRAMES = 3


@pytest.fixture(scope="module")
def pipeline_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_pipeline("video", tmp_path_factory.mktemp("tiny-t2v") / "pipeline")


@pytest.fixture(scope="module")
def adapter(pipeline_folder: Path) -> DiffusersTextToVideo:
    return DiffusersTextToVideo(pipeline_folder, SETTINGS, num_frames=FRAMES)


def _request(text: str = "a blue square moving right", seed: int = 0, **fields: object) -> GenerationRequest:
    return GenerationRequest.build(text, want=("video",), seed=seed, **fields)  # type: ignore[arg-type]


def test_the_adapter_is_a_text_to_video_model(adapter: DiffusersTextToVideo, pipeline_folder: Path) -> None:
    assert isinstance(adapter, AnyToAnyModel) and isinstance(adapter, HasStages)
    assert adapter.capabilities.inputs == frozenset() and adapter.capabilities.outputs == {"video"}
    description = adapter.describe()
    assert description["adapter"] == "diffusers-text-to-video"
    assert description["pipeline"] == "TextToVideoSDPipeline" and description["source"] == str(pipeline_folder)
    assert (description["num_inference_steps"], description["guidance_scale"]) == (1, 7.5)
    assert (description["num_frames"], description["height"], description["width"]) == (FRAMES, 32, 32)
    json.dumps(description)
    stages = {stage.name: stage for stage in adapter.profiled_stages()}
    assert list(stages) == ["text_encoder", "unet", "vae_decode"]
    assert stages["unet"].module is adapter.pipeline.unet and stages["vae_decode"].method == "decode"


def test_each_request_gets_one_uint8_video_whose_seed_decides_it(adapter: DiffusersTextToVideo) -> None:
    results = adapter.generate([_request(seed=1), _request(seed=2), _request(seed=1)])
    assert [(len(r.videos), len(r.images), len(r.audios), r.text) for r in results] == [(1, 0, 0, "")] * 3
    first, other, again = (result.videos[0] for result in results)
    assert first.shape == (FRAMES, 32, 32, 3) and first.dtype == np.uint8  # what the store encodes
    assert results[0].signal_runs == [], "a pipeline has no signal tokens: the runner records its output unsignalled"
    assert np.array_equal(first, again), "the same seed gives the same video"
    assert not np.array_equal(first, other), "another seed gives another video"
    alone = adapter.generate([_request(seed=1)])[0].videos[0]
    assert np.abs(alone.astype(int) - first.astype(int)).max() <= 2, "a request's video does not depend on its batch"


def test_request_settings_override_the_adapter_and_frames_size_are_settings(adapter: DiffusersTextToVideo,
                                                                            pipeline_folder: Path) -> None:
    default, unguided, longer = adapter.generate([_request(), _request(guidance_scale=0.0),
                                                  _request(num_inference_steps=2)])
    assert not np.array_equal(default.videos[0], unguided.videos[0])
    assert not np.array_equal(default.videos[0], longer.videos[0])
    wide = DiffusersTextToVideo(pipeline_folder, SETTINGS, num_frames=2, height=16, width=48)
    assert wide.generate([_request()])[0].videos[0].shape == (2, 16, 48, 3)
    assert len({adapter.fingerprint(), wide.fingerprint(),
                DiffusersTextToVideo(pipeline_folder, SETTINGS, num_frames=2).fingerprint()}) == 3
    assert DiffusersTextToVideo(pipeline_folder).num_frames == 24, "NExT-GPT's Zeroscope frame count by default"
    with pytest.raises(ConfigError, match=r"diffusers-text-to-video.num_frames: expected a positive integer, got 0"):
        DiffusersTextToVideo(pipeline_folder, num_frames=0)
    with pytest.raises(ConfigError, match=r"diffusers-text-to-video.height: expected a multiple of 8 .* got 15"):
        DiffusersTextToVideo(pipeline_folder, height=15)


def test_what_the_pipeline_cannot_do_is_refused_by_name(adapter: DiffusersTextToVideo) -> None:
    with pytest.raises(ConfigError, match=r"request 1 gives video file clip.mp4; this adapter reads text prompts only"):
        adapter.generate([_request(), GenerationRequest.build("describe", videos=["clip.mp4"])])
    with pytest.raises(ConfigError, match=r"request 0 asks for image output; this adapter writes videos only"):
        adapter.generate([GenerationRequest.build("a cat", want=("image",))])
    with pytest.raises(ConfigError, match=r"allows only \['image'\] output; this adapter answers every prompt with "
                                          r"a video"):
        adapter.generate([GenerationRequest.build("a cat", allowed_outputs=("image",))])
    with pytest.raises(ConfigError, match=r"request 0 continues a conversation of 1 turn\(s\)"):
        adapter.generate([_request(history=(("hi", "hello"),))])


def test_the_adapter_runs_text_to_video_through_the_benchmark_runner(adapter: DiffusersTextToVideo, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path / "cache"))
    store = ResultsStore(tmp_path / "store")
    summary = BenchmarkRunner(adapter, store, RunSettings(tasks=("t2v",), limit=2, bootstrap=0, extractors="toy"),
                              progress=None).run()
    assert summary.tasks["t2v"].n == 2
    assert all(isinstance(summary.tasks["t2v"].metrics[name], float) for name in ("fid", "clipsim"))
    assert store.run(summary.run_id)["model"] == adapter.describe()
    assert {row["model_fingerprint"] for row in store.runs()} == {adapter.fingerprint()}
