"""The diffusers text-to-image adapter: a tiny Stable Diffusion pipeline with random weights, saved in diffusers'
own folder format (``write_tiny_pipeline``) and loaded through the adapter exactly as a user's folder would be."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from nextgpt.adapters.diffusers_text_to_image import DiffusersTextToImage
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError, MissingWeightsError
from nextgpt.core.interface import AnyToAnyModel
from nextgpt.core.requests import GenerationRequest
from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

#: Few steps keep each image to a fraction of a second on CPU.
STEPS = 2


@pytest.fixture(scope="module")
def pipeline_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny preset's image decoder (random weights) saved as a StableDiffusionPipeline folder."""
    return write_tiny_pipeline("image", tmp_path_factory.mktemp("tiny-sd") / "pipeline")


@pytest.fixture(scope="module")
def adapter(pipeline_folder: Path) -> DiffusersTextToImage:
    return DiffusersTextToImage(pipeline_folder, num_inference_steps=STEPS)


def _request(text: str = "a red circle", seed: int = 0, **fields: object) -> GenerationRequest:
    return GenerationRequest.build(text, want=("image",), seed=seed, **fields)  # type: ignore[arg-type]


def test_the_adapter_is_a_text_to_image_model(adapter: DiffusersTextToImage, pipeline_folder: Path) -> None:
    assert isinstance(adapter, AnyToAnyModel)
    assert adapter.capabilities.inputs == frozenset() and adapter.capabilities.outputs == {"image"}
    description = adapter.describe()
    assert description["adapter"] == "diffusers-text-to-image"
    assert description["source"] == str(pipeline_folder)
    assert description["num_inference_steps"] == STEPS and description["guidance_scale"] == 7.5
    assert (description["height"], description["width"]) == (32, 32)  # the tiny UNet's native size
    assert description["folder_sha256"] == adapter.folder_sha256 and len(adapter.folder_sha256) == 64
    json.dumps(description)  # stored with every run as JSON


def test_each_request_gets_one_image_of_the_configured_size_and_its_seed_decides_it(
        adapter: DiffusersTextToImage) -> None:
    results = adapter.generate([_request(seed=1), _request(seed=2), _request(seed=1)])
    assert [len(result.images) for result in results] == [1, 1, 1]
    assert all(result.images[0].size == (32, 32) for result in results)
    assert results[0].signal_runs == [], "a pipeline has no signal tokens: the runner records its output unsignalled"
    first, other, again = (np.asarray(result.images[0]) for result in results)
    # the same seed gives the same image up to the rounding of its batch row: on some CPUs (seen on an AMD EPYC) a
    # batched convolution rounds row 0 and row 2 differently, and one pixel of 3072 came out 1 level apart
    assert np.abs(first.astype(int) - again.astype(int)).max() <= 1, "the same seed gives the same image"
    assert np.abs(first.astype(int) - other.astype(int)).max() > 16, "another seed gives another image"
    alone = np.asarray(adapter.generate([_request(seed=1)])[0].images[0])
    assert np.abs(alone.astype(int) - first.astype(int)).max() <= 2, "a request's image does not depend on its batch"


def test_the_request_settings_override_the_adapter_defaults(adapter: DiffusersTextToImage) -> None:
    default, unguided = adapter.generate([_request(), _request(guidance_scale=0.0)])
    assert not np.array_equal(np.asarray(default.images[0]), np.asarray(unguided.images[0]))


def test_adapter_settings_and_keywords_give_the_same_adapter(pipeline_folder: Path,
                                                             adapter: DiffusersTextToImage) -> None:
    from_settings = DiffusersTextToImage(pipeline_folder, AdapterSettings(num_inference_steps=STEPS))
    assert from_settings.fingerprint() == adapter.fingerprint()
    legacy = DiffusersTextToImage(pipeline_folder, num_inference_steps=STEPS, device=torch.device("cpu"),
                                  dtype=torch.float32)  # the keyword types of the first version still work
    assert legacy.fingerprint() == adapter.fingerprint()
    overridden = DiffusersTextToImage(pipeline_folder, AdapterSettings(num_inference_steps=STEPS, guidance_scale=2.0),
                                      guidance_scale=3.0)
    assert overridden.guidance_scale == 3.0, "a keyword takes precedence over the settings"
    assert DiffusersTextToImage(pipeline_folder).num_inference_steps == 50, "NExT-GPT's decoder default"
    with pytest.raises(ConfigError, match=r"adapter settings: dtype must be one of float32, float16, bfloat16"):
        DiffusersTextToImage(pipeline_folder, dtype="float64")
    with pytest.raises(ConfigError, match=r"request 0: 5000 steps, but the scheduler of .* allows 1 to 1000"):
        adapter.generate([_request(num_inference_steps=5000)])


def test_the_adapter_size_is_configurable(pipeline_folder: Path) -> None:
    wide = DiffusersTextToImage(pipeline_folder, num_inference_steps=1, height=16, width=48)
    assert wide.generate([_request()])[0].images[0].size == (48, 16)
    with pytest.raises(ConfigError, match=r"diffusers-text-to-image.width: expected a multiple of 8 .* got 33"):
        DiffusersTextToImage(pipeline_folder, width=33)
    # the tiny VAE's factor is 2, but the pipeline's own check_inputs wants multiples of 8: refused before loading
    with pytest.raises(ConfigError, match=r"diffusers-text-to-image.height: expected a multiple of 8 \(the pipeline "
                                          r"takes multiples of 8 and its VAE's factor\), got 12"):
        DiffusersTextToImage(pipeline_folder, height=12)
    with pytest.raises(ConfigError, match=r"diffusers-text-to-image.height: expected a positive integer, got '16'"):
        DiffusersTextToImage(pipeline_folder, height="16")  # type: ignore[arg-type]


def test_any_changed_file_or_setting_changes_the_fingerprint(pipeline_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(pipeline_folder, copy)
    original = DiffusersTextToImage(copy, num_inference_steps=STEPS).fingerprint()
    assert DiffusersTextToImage(copy, num_inference_steps=STEPS).fingerprint() == original, "stable across loads"
    assert DiffusersTextToImage(copy, num_inference_steps=3).fingerprint() != original
    assert DiffusersTextToImage(copy, num_inference_steps=STEPS, guidance_scale=1.0).fingerprint() != original
    seen = {original}
    for path in (copy / "scheduler" / "scheduler_config.json", copy / "tokenizer" / "tokenizer_config.json"):
        config = json.loads(path.read_text(encoding="utf-8"))
        config["_edited_by_test"] = len(seen)
        path.write_text(json.dumps(config), encoding="utf-8")
        seen.add(DiffusersTextToImage(copy, num_inference_steps=STEPS).fingerprint())
    weights = next((copy / "unet").glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # one bit of one weight
    weights.write_bytes(bytes(data))
    seen.add(DiffusersTextToImage(copy, num_inference_steps=STEPS).fingerprint())
    assert len(seen) == 4, "every edit gave a new fingerprint"


def test_what_the_pipeline_cannot_do_is_refused_by_name(adapter: DiffusersTextToImage) -> None:
    with pytest.raises(ConfigError, match=r"request 1 gives image file cat.png; this adapter reads text prompts only"):
        adapter.generate([_request(), GenerationRequest.build("describe", images=["cat.png"])])
    with pytest.raises(ConfigError, match=r"request 0 asks for video output; this adapter writes images only"):
        adapter.generate([GenerationRequest.build("a clip", want=("video",))])
    with pytest.raises(ConfigError, match=r"request 0 allows only \['audio'\] output"):
        adapter.generate([GenerationRequest.build("a tone", allowed_outputs=("audio",))])
    with pytest.raises(ConfigError, match=r"request 0 continues a conversation of 1 turn\(s\)"):
        adapter.generate([_request(history=(("hi", "hello"),))])


def test_a_folder_that_is_not_a_pipeline_is_refused_with_its_path(pipeline_folder: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(MissingWeightsError, match=rf"{missing} is not a folder"):
        DiffusersTextToImage(missing)
    with pytest.raises(MissingWeightsError, match=rf"{tmp_path} has no model_index.json"):
        DiffusersTextToImage(tmp_path)
    other = tmp_path / "other"
    shutil.copytree(pipeline_folder, other)
    index = other / "model_index.json"
    index.write_text(json.dumps({**json.loads(index.read_text()), "_class_name": "AudioLDMPipeline"}))
    with pytest.raises(ConfigError, match=r"model_index.json: _class_name is 'AudioLDMPipeline'"):
        DiffusersTextToImage(other)


def test_the_adapter_runs_text_to_image_through_the_benchmark_runner(adapter: DiffusersTextToImage,
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path / "cache"))
    store = ResultsStore(tmp_path / "store")
    settings = RunSettings(tasks=("t2i",), limit=2, bootstrap=0, extractors="toy")
    summary = BenchmarkRunner(adapter, store, settings, progress=None).run()
    assert summary.tasks["t2i"].n == 2
    assert all(isinstance(summary.tasks["t2i"].metrics[name], float) for name in ("fid", "clip_score"))
    run = store.run(summary.run_id)
    assert run["model"] == adapter.describe()
    assert {row["model_fingerprint"] for row in store.runs()} == {adapter.fingerprint()}


def test_the_default_suite_skips_every_task_but_t2i_instead_of_failing_halfway(adapter: DiffusersTextToImage,
                                                                                tmp_path: Path) -> None:
    """The dialogue (history, text-only turns) included: the pipeline answers single prompts only."""
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings
    from benchmarks.store import ResultsStore
    from benchmarks.tasks.task import suite_tasks

    tasks = tuple(task.name for task in suite_tasks("default"))
    runner = BenchmarkRunner(adapter, ResultsStore(tmp_path / "store"),
                             RunSettings(tasks=tasks, limit=1, bootstrap=0, extractors="toy"), progress=None)
    skipped = runner.skipped_tasks()
    assert sorted(skipped) == sorted(set(tasks) - {"t2i"})
    assert "conversation" in skipped["dialogue"]


def test_a_new_version_of_the_adapter_code_changes_the_fingerprint(adapter: DiffusersTextToImage,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Cached outputs of older adapter code are not reused once its IMPLEMENTATION is bumped."""
    import nextgpt.adapters.diffusers_base as base

    before = adapter.fingerprint()
    assert adapter.describe()["implementation"] == base.IMPLEMENTATION
    monkeypatch.setattr(base, "IMPLEMENTATION", base.IMPLEMENTATION + 1)
    assert adapter.fingerprint() != before
