"""The diffusers text-to-audio adapter on the tiny preset's audio decoder saved as an ``AudioLDMPipeline`` folder
by ``write_tiny_pipeline``, loaded exactly as a user's folder would be."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from nextgpt.adapters.diffusers_text_to_audio import DiffusersTextToAudio
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import AnyToAnyModel, HasStages
from nextgpt.core.requests import GenerationRequest
from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

SETTINGS = AdapterSettings(num_inference_steps=1)
#: The tiny decoder's clip length: 64 mel frames of the tiny vocoder (hop 256 at 16 kHz), and longer than one
#: 0.96 s VGGish example, which FAD needs.
SECONDS = 1.024


@pytest.fixture(scope="module")
def pipeline_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_pipeline("audio", tmp_path_factory.mktemp("tiny-t2a") / "pipeline")


@pytest.fixture(scope="module")
def adapter(pipeline_folder: Path) -> DiffusersTextToAudio:
    return DiffusersTextToAudio(pipeline_folder, SETTINGS, audio_length_in_s=SECONDS)


def _request(text: str = "a steady high tone", seed: int = 0, **fields: object) -> GenerationRequest:
    return GenerationRequest.build(text, want=("audio",), seed=seed, **fields)  # type: ignore[arg-type]


def _difference(wave: np.ndarray, other: np.ndarray) -> float:
    """The largest sample difference relative to the peak: the random tiny vocoder whispers (peaks about 4e-7),
    so absolute tolerances say nothing."""
    return float(np.abs(wave - other).max() / np.abs(wave).max())


def test_the_adapter_is_a_text_to_audio_model(adapter: DiffusersTextToAudio, pipeline_folder: Path) -> None:
    assert isinstance(adapter, AnyToAnyModel) and isinstance(adapter, HasStages)
    assert adapter.capabilities.inputs == frozenset() and adapter.capabilities.outputs == {"audio"}
    description = adapter.describe()
    assert description["adapter"] == "diffusers-text-to-audio"
    assert description["pipeline"] == "AudioLDMPipeline" and description["source"] == str(pipeline_folder)
    assert (description["audio_length_in_s"], description["sample_rate"]) == (SECONDS, 16000)
    json.dumps(description)
    stages = {stage.name: stage for stage in adapter.profiled_stages()}
    assert list(stages) == ["text_encoder", "unet", "vae_decode", "vocoder"]
    assert stages["vocoder"].module is adapter.pipeline.vocoder and stages["vocoder"].per_item


def test_each_request_gets_one_16khz_float32_waveform_whose_seed_decides_it(adapter: DiffusersTextToAudio) -> None:
    results = adapter.generate([_request(seed=1), _request(seed=2), _request(seed=1)])
    assert [(len(r.audios), len(r.images), len(r.videos), r.text) for r in results] == [(1, 0, 0, "")] * 3
    assert all(result.audio_sample_rate == 16000 for result in results)
    first, other, again = (result.audios[0] for result in results)
    assert first.shape == (round(SECONDS * 16000),) and first.dtype == np.float32
    assert results[0].signal_runs == [], "a pipeline has no signal tokens: the runner records its output unsignalled"
    assert _difference(first, again) < 1e-5, "the same seed gives the same sound (batch rows round differently)"
    assert _difference(first, other) > 1e-1, "another seed gives another sound"
    alone = adapter.generate([_request(seed=1)])[0].audios[0]
    assert _difference(alone, first) < 1e-5, "a request's sound does not depend on its batch"
    assert np.array_equal(adapter.generate([_request(seed=1)])[0].audios[0], alone), "generation is deterministic"


def test_request_settings_override_the_adapter_and_the_length_is_a_setting(adapter: DiffusersTextToAudio,
                                                                           pipeline_folder: Path) -> None:
    default, unguided, longer = adapter.generate([_request(), _request(guidance_scale=0.0),
                                                  _request(num_inference_steps=2)])
    # the random tiny model barely listens to its prompt: guidance moves the sound by about 5e-4 of its peak,
    # 500 times the rounding between batch rows
    assert _difference(default.audios[0], unguided.audios[0]) > 5e-5
    assert _difference(default.audios[0], longer.audios[0]) > 1e-1
    short = DiffusersTextToAudio(pipeline_folder, SETTINGS, audio_length_in_s=0.512)
    assert short.generate([_request()])[0].audios[0].shape == (8192,)
    assert short.fingerprint() != adapter.fingerprint()
    assert DiffusersTextToAudio(pipeline_folder).audio_length_in_s == 5.12, "NExT-GPT's AudioLDM clip length"
    with pytest.raises(ConfigError, match=r"diffusers-text-to-audio.audio_length_in_s: expected a finite number > 0"):
        DiffusersTextToAudio(pipeline_folder, audio_length_in_s=0)
    # shorter than one latent frame: diffusers' own ValueError comes only when the pipeline is called; the adapter
    # refuses it first, with diffusers' minimum (8 * 8 * 8 vocoder samples per latent frame / 16 kHz = 0.032 s)
    with pytest.raises(ConfigError, match=r"diffusers-text-to-audio.audio_length_in_s: expected at least 0.032 s "
                                          r".* got 0.01"):
        DiffusersTextToAudio(pipeline_folder, audio_length_in_s=0.01)


def test_a_vocoder_at_another_rate_is_refused_when_the_folder_loads(pipeline_folder: Path, tmp_path: Path) -> None:
    import shutil

    other = shutil.copytree(pipeline_folder, tmp_path / "22khz")
    config_file = other / "vocoder" / "config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "sampling_rate": 22050}))
    with pytest.raises(ConfigError, match=r"vocoder/config.json: sampling_rate is 22050; the suite stores and scores "
                                          r"audio at 16000 Hz"):
        DiffusersTextToAudio(other)


def test_what_the_pipeline_cannot_do_is_refused_by_name(adapter: DiffusersTextToAudio) -> None:
    with pytest.raises(ConfigError, match=r"request 0 gives audio file a.wav; this adapter reads text prompts only"):
        adapter.generate([GenerationRequest.build("describe", audios=["a.wav"])])
    with pytest.raises(ConfigError, match=r"request 1 asks for image, video output; this adapter writes audio only"):
        adapter.generate([_request(), GenerationRequest.build("a cat", want=("image", "video"))])
    with pytest.raises(ConfigError, match=r"allows only text output; this adapter answers every prompt with a sound"):
        adapter.generate([GenerationRequest.build("hi", allowed_outputs=())])
    with pytest.raises(ConfigError, match=r"request 0 continues a conversation of 2 turn\(s\)"):
        adapter.generate([_request(history=(("hi", "hello"), ("play", "ok")))])


def test_the_adapter_runs_text_to_audio_through_the_benchmark_runner(adapter: DiffusersTextToAudio, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path / "cache"))
    store = ResultsStore(tmp_path / "store")
    summary = BenchmarkRunner(adapter, store, RunSettings(tasks=("t2a",), limit=2, bootstrap=0, extractors="toy"),
                              progress=None).run()
    assert summary.tasks["t2a"].n == 2
    assert isinstance(summary.tasks["t2a"].metrics["fad"], float)
    assert store.run(summary.run_id)["model"] == adapter.describe()
    assert {row["model_fingerprint"] for row in store.runs()} == {adapter.fingerprint()}
