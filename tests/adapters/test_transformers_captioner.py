"""The transformers captioner adapter on tiny random-weight captioners of the published architectures (ViT + GPT-2,
BLIP, GIT, TimeSformer + GPT-2, Whisper), saved with save_pretrained by ``write_tiny_captioner`` and loaded
exactly as a user's captioner folder would be."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from metrics.captions import meteor
from metrics.errors import MetricUnavailableError
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.adapters.transformers_captioner import (
    TransformersCaptioner,
    check_captioner_folder,
    check_option_values,
    load_captioner,
)
from nextgpt.adapters.transformers_captioner_media import evenly_spaced_frames
from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.core.interface import AnyToAnyModel, HasStages
from nextgpt.core.media import write_png, write_video, write_wav
from nextgpt.core.requests import GenerationRequest
from nextgpt.tiny_baselines.captioner_folders import FAMILY_MODALITIES, write_tiny_captioner
from nextgpt.tiny_baselines.causal_lm_folder import write_tiny_causal_lm

BUDGET = 5
SETTINGS = AdapterSettings(max_new_tokens=BUDGET)
INPUT_KEYWORD = {"image": "images", "video": "videos", "audio": "audios"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """family -> its tiny captioner folder."""
    root = tmp_path_factory.mktemp("tiny-captioners")
    return {family: write_tiny_captioner(modality, root / family, family=family)
            for family, modality in FAMILY_MODALITIES.items()}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """modality -> three different media files of it (the last audio at 8 kHz, to be resampled)."""
    root = tmp_path_factory.mktemp("captioner-media")
    rng = np.random.default_rng(7)
    images = [write_png(Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)), root / f"i{n}.png")
              for n in range(3)]
    videos = [write_video(rng.integers(0, 256, (frames, 32, 32, 3), dtype=np.uint8), root / f"v{n}.mp4")
              for n, frames in enumerate((9, 6, 2))]
    times = np.arange(16000) / 16000
    audios = [write_wav(0.5 * np.sin(2 * np.pi * 440 * times), root / "a0.wav"),
              write_wav(rng.uniform(-0.8, 0.8, 24000), root / "a1.wav"),
              write_wav(0.5 * np.sign(np.sin(2 * np.pi * 50 * times[:8000])), root / "a2.wav", sample_rate=8000)]
    return {"image": images, "video": videos, "audio": audios}


@pytest.fixture(scope="module")
def captioners(folders: dict[str, Path]) -> dict[str, TransformersCaptioner]:
    return {family: TransformersCaptioner(folder, SETTINGS) for family, folder in folders.items()}


def _request(modality: str, source: object, **fields: object) -> GenerationRequest:
    return GenerationRequest.build("Describe this in one sentence.", **{INPUT_KEYWORD[modality]: [source]},
                                   allowed_outputs=(), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("family", list(FAMILY_MODALITIES))
def test_each_family_captions_its_modality_deterministically_and_batch_independently(
        family: str, folders: dict[str, Path], captioners: dict[str, TransformersCaptioner],
        media: dict[str, list[Path]]) -> None:
    modality, captioner = FAMILY_MODALITIES[family], captioners[family]
    assert check_captioner_folder(folders[family]) == modality
    assert isinstance(captioner, AnyToAnyModel) and isinstance(captioner, HasStages)
    assert captioner.capabilities.inputs == {modality} and captioner.capabilities.outputs == frozenset()
    assert [stage.name for stage in captioner.profiled_stages()] == ["encoder", "decoder"]
    description = captioner.describe()
    assert description["adapter"] == "transformers-captioner" and description["source"] == str(folders[family])
    assert description["modality"] == modality and description["request_text"] == "ignored"
    json.dumps(description)
    requests = [_request(modality, path, seed=n) for n, path in enumerate(media[modality])]
    batch = captioner.generate(requests)
    assert all(isinstance(result.text, str) and not result.images for result in batch)
    assert all(1 <= len(result.answer_token_ids) <= BUDGET for result in batch)
    alone = [captioner.generate([_request(modality, path, seed=99)])[0] for path in media[modality]]
    assert [r.answer_token_ids for r in alone] == [r.answer_token_ids for r in batch], \
        "neither the seed nor the rest of the batch changes a caption"
    assert len({tuple(result.answer_token_ids) for result in batch}) > 1, "the caption depends on the medium"
    assert sum(path.stat().st_size for path in folders[family].rglob("*") if path.is_file()) < 2_000_000


def test_images_may_be_given_as_pil_images(captioners: dict[str, TransformersCaptioner],
                                           media: dict[str, list[Path]]) -> None:
    captioner = captioners["vit-gpt2"]
    from_file, from_pil = captioner.generate([_request("image", media["image"][0]),
                                              _request("image", Image.open(media["image"][0]))])
    assert from_file.text == from_pil.text


def test_the_token_budget_comes_from_the_request_then_the_settings_then_the_folder(
        folders: dict[str, Path], media: dict[str, list[Path]]) -> None:
    captioner = TransformersCaptioner(folders["git"], AdapterSettings(max_new_tokens=3))
    short, default = captioner.generate([_request("image", media["image"][0], max_new_tokens=1),
                                         _request("image", media["image"][0])])
    assert len(short.answer_token_ids) == 1 and len(default.answer_token_ids) <= 3
    assert default.answer_token_ids[:1] == short.answer_token_ids
    folder_default = TransformersCaptioner(folders["git"])
    assert folder_default.describe()["folder_max_length"] == 16  # the tiny folder's generation config
    assert len(folder_default.generate([_request("image", media["image"][0])])[0].answer_token_ids) <= 16
    assert folder_default.fingerprint() != captioner.fingerprint()


@pytest.mark.parametrize("family", ["blip", "git"])
def test_blip_and_git_may_start_from_a_fixed_prefix(family: str, folders: dict[str, Path],
                                                     media: dict[str, list[Path]]) -> None:
    plain = TransformersCaptioner(folders[family], SETTINGS)
    prefixed = TransformersCaptioner(folders[family], SETTINGS, prefix="a picture of")
    result = prefixed.generate([_request("image", media["image"][0])])[0]
    assert result.text.startswith("a picture of") and 1 <= len(result.answer_token_ids) <= BUDGET
    assert prefixed.describe()["prefix"] == "a picture of" and prefixed.fingerprint() != plain.fingerprint()


def test_a_prefix_is_refused_for_captioners_without_one(folders: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match=r"a vision-encoder-decoder captioner decodes without a text prefix"):
        TransformersCaptioner(folders["vit-gpt2"], prefix="a picture of")
    with pytest.raises(ConfigError, match=r"where: option\(s\) prefix do not apply to the transformers-captioner of "
                                          r".*; it takes none \(only blip and git take a prefix\)"):
        check_option_values(folders["vit-gpt2"], {"prefix": "a picture of"}, where="where")
    for bad in (5, "  "):  # a BLIP takes a prefix, but only words: refused by the check, before any weight loads
        with pytest.raises(ConfigError, match=rf"where.prefix: expected the words a caption starts with .* got "
                                              rf"{bad!r}"):
            check_option_values(folders["blip"], {"prefix": bad}, where="where")
        with pytest.raises(ConfigError, match=r"prefix: expected the words"):
            load_captioner(folders["blip"], SETTINGS, options={"prefix": bad})
        with pytest.raises(ConfigError, match=r"transformers-captioner.prefix: expected the words"):
            TransformersCaptioner(folders["blip"], SETTINGS, prefix=bad)


def test_video_frames_are_evenly_spaced_and_repeated_for_short_clips() -> None:
    assert evenly_spaced_frames(9, 4) == [0, 3, 5, 8]  # 0, 2.67, 5.33, 8 rounded
    assert evenly_spaced_frames(10, 4) == [0, 3, 6, 9]
    assert evenly_spaced_frames(2, 4) == [0, 0, 1, 1]
    assert evenly_spaced_frames(1, 3) == [0, 0, 0]
    with pytest.raises(ConfigError, match=r"cannot pick 4 frame\(s\) from a clip of 0"):
        evenly_spaced_frames(0, 4)


def test_what_a_captioner_cannot_answer_is_refused_by_index(captioners: dict[str, TransformersCaptioner],
                                                            media: dict[str, list[Path]]) -> None:
    captioner, image = captioners["vit-gpt2"], media["image"][0]
    cases = [
        (GenerationRequest.build("hello"), r"request 1 gives no image; this adapter captions exactly one image"),
        (GenerationRequest.build("two", images=[image, image]), r"request 1 gives 2 media \(image file .*\)"),
        (GenerationRequest.build("hear", audios=[media["audio"][0]]), r"request 1 gives audio file .*a0.wav; "
                                                                       r"this adapter reads image only"),
        (GenerationRequest.build("edit", images=[image], want=("image",)),
         r"request 1 asks for image output; this adapter writes text only"),
        (_request("image", image, history=(("hi", "hello"),)), r"request 1 continues a conversation of 1 turn"),
        (_request("image", torch.zeros(3, 224, 224)), r"request 1 gives image input \(Tensor\); this adapter "
                                                       r"reads image files or PIL images, not preprocessed"),
    ]
    for request, message in cases:
        with pytest.raises(ConfigError, match=message):
            captioner.generate([_request("image", image), request])


def test_any_changed_file_or_setting_changes_the_fingerprint(folders: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(folders["vit-gpt2"], copy)
    seen = {TransformersCaptioner(copy).fingerprint()}
    assert TransformersCaptioner(copy).fingerprint() in seen, "stable across loads"
    assert TransformersCaptioner(copy, AdapterSettings(max_new_tokens=4)).fingerprint() not in seen
    processor = copy / "preprocessor_config.json"
    processor.write_text(json.dumps({**json.loads(processor.read_text()), "_edited_by_test": 1}))
    seen.add(TransformersCaptioner(copy).fingerprint())
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    seen.add(TransformersCaptioner(copy).fingerprint())
    assert len(seen) == 3


def _edited_copy(source: Path, target: Path, **changes: object) -> Path:
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    (target / "config.json").write_text(json.dumps(config))
    return target


def test_folders_that_are_not_supported_captioners_are_refused_without_loading(folders: dict[str, Path],
                                                                               tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(MissingWeightsError, match=rf"{missing} is not a folder"):
        check_captioner_folder(missing)
    with pytest.raises(MissingWeightsError, match=rf"{tmp_path} has no config.json"):
        check_captioner_folder(tmp_path)
    bert = _edited_copy(folders["blip"], tmp_path / "bert", model_type="bert")
    with pytest.raises(ConfigError, match=r"model_type is 'bert'; the transformers-captioner adapter reads "
                                          r"vision-encoder-decoder .*; blip .*; git .*; whisper"):
        check_captioner_folder(bert)
    convnext = _edited_copy(folders["vit-gpt2"], tmp_path / "convnext", encoder={"model_type": "convnext"})
    with pytest.raises(ConfigError, match=r"encoder.model_type is 'convnext'.* \(vit, deit, beit, swin\)"):
        check_captioner_folder(convnext)
    broken_git = _edited_copy(folders["git"], tmp_path / "git-video", num_image_with_embedding=0)
    with pytest.raises(CheckpointError, match=r"num_image_with_embedding must be a positive frame count, got 0"):
        check_captioner_folder(broken_git)
    (bert / "preprocessor_config.json").unlink()
    (bert / "config.json").write_text((folders["blip"] / "config.json").read_text())
    with pytest.raises(MissingWeightsError, match=r"has no preprocessor_config.json or "):
        check_captioner_folder(bert)


def test_the_tiny_writer_refuses_a_family_of_another_modality(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"family 'whisper' is not a tiny image captioner; image families: "
                                          r"vit-gpt2, blip, git"):
        write_tiny_captioner("image", tmp_path / "x", family="whisper")


def test_every_tiny_folder_loads_in_a_fresh_offline_process(folders: dict[str, Path], media: dict[str, list[Path]],
                                                            tmp_path: Path) -> None:
    llm = write_tiny_causal_lm(tmp_path / "llm")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from nextgpt.adapters.transformers_captioner import TransformersCaptioner\n"
        "from nextgpt.adapters.transformers_causal_lm import TransformersCausalLM\n"
        "from nextgpt.core.requests import GenerationRequest\n"
        "llm = sys.argv[-1]\n"
        "for folder, modality, medium in zip(*(iter(sys.argv[1:-1]),) * 3):\n"
        "    request = GenerationRequest.build('', **{modality + 's': [medium]}, max_new_tokens=2)\n"
        "    print(modality, repr(TransformersCaptioner(Path(folder)).generate([request])[0].text))\n"
        "answer = TransformersCausalLM(Path(llm)).generate([GenerationRequest.build('hi', max_new_tokens=2)])\n"
        "print('llm', repr(answer[0].text))\n")
    arguments = [str(item) for family in ("vit-gpt2", "timesformer-gpt2", "whisper")
                 for item in (folders[family], FAMILY_MODALITIES[family], media[FAMILY_MODALITIES[family]][0])]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script, *arguments, str(llm)], capture_output=True, text=True,
                          env=environment, check=False)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["image", "video", "audio", "llm"]


def _no_java() -> Path:
    raise MetricUnavailableError("METEOR is left out of this test")


@pytest.mark.parametrize(("task", "family"), [("caption-image", "vit-gpt2"), ("caption-video", "timesformer-gpt2"),
                                              ("caption-audio", "whisper")])
def test_the_captioner_runs_its_captioning_task_through_the_benchmark_runner(
        task: str, family: str, captioners: dict[str, TransformersCaptioner], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(meteor, "meteor_jar", _no_java)  # METEOR's JVM start takes longer than the whole run
    captioner = captioners[family]
    store = ResultsStore(tmp_path / "store")
    summary = BenchmarkRunner(captioner, store, RunSettings(tasks=(task,), limit=2, bootstrap=0, extractors="toy"),
                              progress=None).run()
    assert summary.tasks[task].n == 2
    assert isinstance(summary.tasks[task].metrics["cider"], float)
    assert summary.tasks[task].metrics.get("meteor") is None  # unavailable, with its reason
    assert store.run(summary.run_id)["model"] == captioner.describe()
    assert {row["model_fingerprint"] for row in store.runs()} == {captioner.fingerprint()}


def test_the_stage_profiler_times_the_encoder_once_per_medium_and_the_decoder_per_token(
        captioners: dict[str, TransformersCaptioner], media: dict[str, list[Path]]) -> None:
    from nextgpt.profiling.stage_profiler import StageProfiler

    captioner = captioners["vit-gpt2"]
    requests = [_request("image", path, max_new_tokens=3) for path in media["image"][:2]]
    with StageProfiler(captioner) as profiler:
        results = captioner.generate(requests)
    records = {name: record.to_dict() for name, record in profiler.records().items()}
    assert (records["encoder"]["units"], records["encoder"]["unit"]) == (2, "images")
    longest = max(len(result.answer_token_ids) for result in results)
    assert records["decoder"]["unit"] == "tokens" and records["decoder"]["units"] == 2 * records["decoder"]["calls"]
    assert records["decoder"]["calls"] >= longest
