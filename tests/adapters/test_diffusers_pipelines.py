"""The ``diffusers`` adapter kind: ``model_index.json`` chooses the adapter, a folder no adapter reads is refused
before any weights load, and every file of a folder is part of the adapter's fingerprint. The folders are the
tiny preset's decoders written by ``write_tiny_pipeline``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nextgpt.adapters.diffusers_pipelines import check_diffusers_folder, load_diffusers_adapter
from nextgpt.adapters.diffusers_text_to_audio import DiffusersTextToAudio
from nextgpt.adapters.diffusers_text_to_image import DiffusersTextToImage
from nextgpt.adapters.diffusers_text_to_video import DiffusersTextToVideo
from nextgpt.adapters.folder_fingerprint import folder_sha256
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import CheckpointError, ConfigError, MissingWeightsError
from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline

SETTINGS = AdapterSettings(num_inference_steps=1)
ADAPTERS = {"image": DiffusersTextToImage, "video": DiffusersTextToVideo, "audio": DiffusersTextToAudio}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-pipelines")
    return {modality: write_tiny_pipeline(modality, root / modality) for modality in ADAPTERS}


def _edit_index(folder: Path, **changes: object) -> None:
    index = folder / "model_index.json"
    index.write_text(json.dumps({**json.loads(index.read_text(encoding="utf-8")), **changes}), encoding="utf-8")


@pytest.mark.parametrize("modality", list(ADAPTERS))
def test_model_index_chooses_the_adapter(folders: dict[str, Path], modality: str) -> None:
    adapter_class = ADAPTERS[modality]
    assert check_diffusers_folder(folders[modality]) == adapter_class.pipeline_class
    adapter = load_diffusers_adapter(folders[modality], SETTINGS)
    assert type(adapter) is adapter_class and adapter.capabilities.outputs == {modality}
    assert adapter.describe()["adapter"] == f"diffusers-text-to-{modality}"
    assert adapter.num_inference_steps == 1, "the settings reach the adapter"


def test_each_adapter_takes_its_own_options_and_refuses_the_others(folders: dict[str, Path]) -> None:
    video = load_diffusers_adapter(folders["video"], SETTINGS, options={"num_frames": 2, "height": 16})
    assert (video.describe()["num_frames"], video.describe()["height"]) == (2, 16)
    with pytest.raises(ConfigError, match=r"option\(s\) num_frames do not apply to a AudioLDMPipeline; it takes "
                                          r"audio_length_in_s"):
        load_diffusers_adapter(folders["audio"], SETTINGS, options={"num_frames": 2})


def test_a_folder_no_adapter_reads_is_refused_naming_it(folders: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(MissingWeightsError, match=rf"diffusers: {missing} is not a folder"):
        check_diffusers_folder(missing)
    with pytest.raises(MissingWeightsError, match=rf"diffusers: {tmp_path} has no model_index.json"):
        load_diffusers_adapter(tmp_path, SETTINGS)
    other = shutil.copytree(folders["image"], tmp_path / "other")
    _edit_index(other, _class_name="StableDiffusionXLPipeline")
    with pytest.raises(ConfigError, match=r"other/model_index.json: _class_name is 'StableDiffusionXLPipeline'; the "
                                          r"diffusers adapter reads StableDiffusionPipeline, TextToVideoSDPipeline, "
                                          r"AudioLDMPipeline"):
        load_diffusers_adapter(other, SETTINGS)
    (other / "model_index.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CheckpointError, match=r"other/model_index.json: not a readable JSON object"):
        check_diffusers_folder(other)
    incomplete = shutil.copytree(folders["audio"], tmp_path / "incomplete")
    shutil.rmtree(incomplete / "vocoder")
    with pytest.raises(MissingWeightsError, match=r"incomplete lacks the component folder\(s\) vocoder"):
        check_diffusers_folder(incomplete)


def test_an_adapter_refuses_another_adapters_pipeline(folders: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match=r"_class_name is 'AudioLDMPipeline'; the diffusers-text-to-video adapter "
                                          r"reads TextToVideoSDPipeline folders only"):
        DiffusersTextToVideo(folders["audio"], SETTINGS)


@pytest.mark.parametrize(("modality", "edited"), [
    ("video", ("unet/diffusion_pytorch_model.safetensors", "text_encoder/config.json", "model_index.json")),
    ("audio", ("vocoder/model.safetensors", "tokenizer/tokenizer_config.json", "scheduler/scheduler_config.json")),
])
def test_any_changed_or_added_file_changes_the_fingerprint(folders: dict[str, Path], tmp_path: Path,
                                                           modality: str, edited: tuple[str, ...]) -> None:
    copy = shutil.copytree(folders[modality], tmp_path / modality)
    seen = {load_diffusers_adapter(copy, SETTINGS).fingerprint()}
    for relative in edited:
        path = copy / relative
        data = bytearray(path.read_bytes())
        if path.suffix == ".json":
            data = bytearray(json.dumps({**json.loads(data), "_edited_by_test": len(seen)}).encode("utf-8"))
        else:
            data[-1] ^= 1  # one bit of one weight
        path.write_bytes(bytes(data))
        seen.add(load_diffusers_adapter(copy, SETTINGS).fingerprint())
    (copy / "README.md").write_text("a note\n", encoding="utf-8")
    seen.add(load_diffusers_adapter(copy, SETTINGS).fingerprint())
    assert len(seen) == len(edited) + 2, "every edit gave a new fingerprint"


def test_the_tiny_folders_are_written_whole_and_the_same_every_time(folders: dict[str, Path],
                                                                    tmp_path: Path) -> None:
    again = write_tiny_pipeline("image", tmp_path / "image")
    assert folder_sha256(again) == folder_sha256(folders["image"]), "seeded weights, same files"
    before = folder_sha256(again)
    # a pipeline folder already there -- a user's real download, say -- is never replaced
    with pytest.raises(ConfigError, match=rf"{again} already exists and is not an empty folder; choose a new folder "
                                          r"for the tiny image pipeline \(nothing is overwritten\)"):
        write_tiny_pipeline("image", again)
    assert folder_sha256(again) == before, "the existing pipeline is untouched"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["image"], "no staging or backup folder is left"
    assert {path.name for path in again.iterdir()} == {"model_index.json", "scheduler", "text_encoder",
                                                       "tokenizer", "unet", "vae"}
    with pytest.raises(ConfigError, match=r"modality must be one of image, video, audio .* got 'text'"):
        write_tiny_pipeline("text", tmp_path / "text")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{occupied} already exists and is not an empty folder"):
        write_tiny_pipeline("image", occupied)
    assert (occupied / "notes.txt").read_text(encoding="utf-8") == "mine\n"
