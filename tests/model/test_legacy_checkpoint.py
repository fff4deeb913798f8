"""The official legacy delta (7b_tiva_v0 ``pytorch_model.pt``) key names, mapped onto our tiny-legacy model.

The checkpoint is written by the test with the exact key names of ``NExT-GPT-Lagacy/code/model/agent.py``'s
``save_model`` (trainable parameters of ``NextGPTModel``: ``llama_proj``, ``gen_text_hidden_fcs[_video|_audio]``
with ``fc`` / ``tfm`` / ``model`` / ``query_embs``, peft LoRA weights and the resized embedding / lm_head).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from model_helpers import perturb_trainable

from nextgpt.core.errors import CheckpointError
from nextgpt.model.building import build_model
from nextgpt.model.checkpoint import load_checkpoint
from nextgpt.model.legacy_checkpoint import convert_legacy_checkpoint, map_legacy_key
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.presets import get_preset

LEGACY_OUTPUT = {"image": "gen_text_hidden_fcs.0.", "video": "gen_text_hidden_fcs_video.0.",
                 "audio": "gen_text_hidden_fcs_audio.0."}


def legacy_state_of(model: NextGPT, *, peft_adapter_name: bool = False) -> dict[str, torch.Tensor]:
    """Our trainable tensors under the legacy names (independent of the mapping under test)."""
    state: dict[str, torch.Tensor] = {}
    params = dict(model.named_parameters())
    state["llama_proj.weight"] = params["input_projection.linear.weight"].detach().clone()
    state["llama_proj.bias"] = params["input_projection.linear.bias"].detach().clone()
    for modality, prefix in LEGACY_OUTPUT.items():
        ours = f"output_projections.{modality}."
        for name, param in params.items():
            if not name.startswith(ours):
                continue
            rest = name[len(ours):]
            legacy = (rest.replace("in_fc.", "fc.", 1).replace("transformer.", "tfm.", 1)
                      .replace("out_fc.", "model.", 1).replace("queries", "query_embs"))
            state[prefix + legacy] = param.detach().clone()
    for layer in range(model.config.llm.num_hidden_layers):
        for projection in ("q_proj", "k_proj", "v_proj", "o_proj"):
            for side in ("A", "B"):
                ours = f"llm.base_model.model.model.layers.{layer}.self_attn.{projection}.lora_{side}.default.weight"
                legacy = (f"llama_model.base_model.model.model.layers.{layer}.self_attn.{projection}.lora_{side}"
                          + (".default" if peft_adapter_name else "") + ".weight")
                state[legacy] = params[ours].detach().clone()
    embed = model.llm.get_input_embeddings()
    state["llama_model.base_model.model.model.embed_tokens.weight"] = embed.weight.detach().clone()
    state["llama_model.base_model.model.lm_head.weight"] = model.llm.get_output_embeddings().weight.detach().clone()
    return state


@pytest.fixture(scope="module")
def legacy_model() -> NextGPT:
    model = build_model(get_preset("tiny-legacy"))
    perturb_trainable(model, seed=11)
    return model


@pytest.mark.parametrize("peft_adapter_name", [False, True])
def test_legacy_delta_converts_to_identical_tensors(legacy_model: NextGPT, tmp_path: Path,
                                                    peft_adapter_name: bool) -> None:
    delta = tmp_path / "pytorch_model.pt"
    torch.save(legacy_state_of(legacy_model, peft_adapter_name=peft_adapter_name), delta)
    conversion = convert_legacy_checkpoint(delta, get_preset("tiny-legacy"), tmp_path / "converted")
    assert conversion.ok, conversion.summary()
    loaded = load_checkpoint(tmp_path / "converted", preset="tiny-legacy")
    original = dict(legacy_model.named_parameters())
    for name, param in loaded.named_parameters():
        assert torch.equal(param, original[name]), name


def test_key_mapping_examples() -> None:
    assert map_legacy_key("llama_proj.weight") == "input_projection.linear.weight"
    assert map_legacy_key("gen_text_hidden_fcs_video.0.tfm.decoder.layers.3.multihead_attn.in_proj_weight") == \
        "output_projections.video.transformer.decoder.layers.3.multihead_attn.in_proj_weight"
    assert map_legacy_key("gen_text_hidden_fcs_audio.0.query_embs") == "output_projections.audio.queries"
    assert map_legacy_key("gen_text_hidden_fcs.0.model.bias") == "output_projections.image.out_fc.bias"
    assert map_legacy_key("llama_model.base_model.model.model.layers.31.self_attn.o_proj.lora_B.weight") == \
        "llm.base_model.model.model.layers.31.self_attn.o_proj.lora_B.default.weight"
    assert map_legacy_key("visual_encoder.trunk.weight") is None


def test_broken_delta_names_every_problem(legacy_model: NextGPT, tmp_path: Path) -> None:
    state = legacy_state_of(legacy_model)
    del state["gen_text_hidden_fcs_audio.0.query_embs"]
    state["gen_text_hidden_fcs.0.fc.weight"] = torch.zeros(5, 5)
    state["some_new_head.weight"] = torch.zeros(2)
    delta = tmp_path / "pytorch_model.pt"
    torch.save(state, delta)
    with pytest.raises(CheckpointError) as error:
        convert_legacy_checkpoint(delta, get_preset("tiny-legacy"), tmp_path / "out")
    message = str(error.value)
    assert "missing (1):\n    output_projections.audio.queries" in message
    assert "unexpected (1):\n    some_new_head.weight" in message
    assert "output_projections.image.in_fc.weight: checkpoint (5, 5) vs model (32, 64)" in message
    assert not (tmp_path / "out").exists()


def test_vocabulary_size_trap_is_explained(legacy_model: NextGPT, tmp_path: Path) -> None:
    state = legacy_state_of(legacy_model)
    key = "llama_model.base_model.model.model.embed_tokens.weight"
    state[key] = torch.cat([state[key], torch.zeros(4, state[key].shape[1])])  # 4 extra rows: 32042-style
    torch.save(state, tmp_path / "pytorch_model.pt")
    with pytest.raises(CheckpointError, match=r"embed_tokens.weight: \(554, 64\) has 554 rows; expected "
                                              r"512 base \+ 38 added tokens = 550 rows"):
        convert_legacy_checkpoint(tmp_path / "pytorch_model.pt", get_preset("tiny-legacy"), tmp_path / "out")


def test_stage_two_delta_without_lora_needs_allow_missing(legacy_model: NextGPT, tmp_path: Path) -> None:
    state = {k: v for k, v in legacy_state_of(legacy_model).items() if "lora_" not in k}
    torch.save(state, tmp_path / "pytorch_model.pt")
    with pytest.raises(CheckpointError, match=r"missing \(16\)"):
        convert_legacy_checkpoint(tmp_path / "pytorch_model.pt", get_preset("tiny-legacy"), tmp_path / "out")
    conversion = convert_legacy_checkpoint(tmp_path / "pytorch_model.pt", get_preset("tiny-legacy"),
                                           tmp_path / "out", allow_missing=True)
    assert len(conversion.missing) == 16
    loaded = load_checkpoint(tmp_path / "out")
    fresh = dict(build_model(get_preset("tiny-legacy")).named_parameters())
    for name, param in loaded.named_parameters():
        expected = fresh[name] if "lora_" in name else dict(legacy_model.named_parameters())[name]
        assert torch.equal(param, expected), name


def test_grouping_model_refuses_a_linear_projection_delta(legacy_model: NextGPT, tmp_path: Path) -> None:
    torch.save(legacy_state_of(legacy_model), tmp_path / "pytorch_model.pt")
    with pytest.raises(CheckpointError, match=r"legacy linear input projection.*tiny-legacy"):
        convert_legacy_checkpoint(tmp_path / "pytorch_model.pt", get_preset("tiny"), tmp_path / "out")


def test_pickled_code_is_not_executed(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    torch.save({"llama_proj.weight": Evil()}, tmp_path / "pytorch_model.pt", _use_new_zipfile_serialization=True)
    with pytest.raises(CheckpointError, match=r"pytorch_model\.pt is not a plain tensor file.*refused for safety"):
        convert_legacy_checkpoint(tmp_path / "pytorch_model.pt", get_preset("tiny-legacy"), tmp_path / "out")
