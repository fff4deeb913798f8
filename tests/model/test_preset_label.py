"""Issue 12, case 2: a checkpoint's ``preset`` label must be the architecture's.

Before: editing ``preset`` in config.json to ``tiny-legacy`` loaded the grouping projection under the legacy label,
so reports (which print ``config.preset``) lied about what was evaluated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli
from model_helpers import copy_folder

from nextgpt.core.errors import CheckpointError, ConfigError
from nextgpt.model.checkpoint import read_checkpoint_config, write_checkpoint_folder
from nextgpt.model.presets import (
    PRESETS,
    architecture_differences,
    get_preset,
    preset_of_architecture,
    tiny,
    with_local_weights,
)
from nextgpt.model.pretrained import SHIPPED_CHECKPOINTS


def relabelled_copy(tmp_path: Path, preset: str) -> Path:
    folder = copy_folder(SHIPPED_CHECKPOINTS["tiny-trained"], tmp_path / "relabelled")
    config_file = folder / "config.json"
    data = json.loads(config_file.read_text(encoding="utf-8"))
    data["config"]["preset"] = preset
    config_file.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder


def test_a_legacy_label_on_the_grouping_architecture_is_refused(tmp_path: Path) -> None:
    folder = relabelled_copy(tmp_path, "tiny-legacy")
    with pytest.raises(CheckpointError) as error:
        read_checkpoint_config(folder)
    message = str(error.value)
    assert str(folder / "config.json") in message
    assert "field \"preset\" is 'tiny-legacy'" in message
    assert "input_projection.kind is 'grouping' where preset 'tiny-legacy' has 'linear'" in message
    assert "set \"preset\" to 'tiny'" in message


def test_a_paper_label_on_a_tiny_architecture_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"field \"preset\" is 'paper-7b'.*set \"preset\" to 'tiny'"):
        read_checkpoint_config(relabelled_copy(tmp_path, "paper-7b"))


def test_generate_exits_2_on_a_relabelled_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = relabelled_copy(tmp_path, "tiny-legacy")
    code, _, err = run_cli(["generate", "--checkpoint", str(folder), "--text", "hi", "--out", str(tmp_path / "o")],
                           capsys)
    assert code == 2 and "field \"preset\" is 'tiny-legacy'" in err


def test_a_label_that_names_no_preset_claims_nothing(tmp_path: Path) -> None:
    assert read_checkpoint_config(relabelled_copy(tmp_path, "my-tiny-variant")).preset == "my-tiny-variant"


def test_writing_a_lying_label_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"NextGPTConfig\.preset: field \"preset\" is 'tiny-legacy'"):
        write_checkpoint_folder(tmp_path / "ckpt", tiny().replace(preset="tiny-legacy"), {})
    assert not (tmp_path / "ckpt").exists()


def test_every_preset_is_its_own_architecture() -> None:
    assert {name: preset_of_architecture(get_preset(name)) for name in PRESETS} == {name: name for name in PRESETS}
    assert preset_of_architecture(read_checkpoint_config(SHIPPED_CHECKPOINTS["tiny-trained"])) == "tiny"


def test_local_weight_paths_do_not_change_the_architecture(tmp_path: Path) -> None:
    local = with_local_weights(get_preset("paper-7b"), imagebind=tmp_path / "i.pth", llm=tmp_path / "llm",
                               image_decoder=tmp_path / "sd", video_decoder=tmp_path / "zs",
                               audio_decoder=tmp_path / "al")
    assert architecture_differences(local, get_preset("paper-7b")) == []
