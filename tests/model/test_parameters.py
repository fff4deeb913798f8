"""Parameter counts of the paper-scale presets (meta device) and per-stage freezing."""

from __future__ import annotations

import pytest

from nextgpt.model.building import build_model
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.parameters import STAGE_COMPONENTS, component_of, parameter_table, set_trainable_stage
from nextgpt.model.presets import get_preset


@pytest.fixture(scope="module")
def paper_7b() -> NextGPT:
    return build_model(get_preset("paper-7b"), device="meta")


def _totals(model: NextGPT) -> tuple[int, int, dict[str, int]]:
    rows = parameter_table(model)
    per_component = {row.component: row.trainable + row.frozen for row in rows}
    return sum(r.trainable for r in rows), sum(r.frozen for r in rows), per_component


def test_paper_7b_is_built_without_memory(paper_7b: NextGPT) -> None:
    assert all(p.is_meta for p in paper_7b.parameters())


def test_paper_7b_trainable_total_within_5_percent_of_155m(paper_7b: NextGPT) -> None:
    trainable, frozen, per_component = _totals(paper_7b)
    assert abs(trainable / 155e6 - 1) < 0.05, trainable
    assert abs(frozen / 12.275e9 - 1) < 0.05, frozen
    assert per_component["encoder"] == 1_200_781_057  # ImageBind-Huge, all six modality trunks
    assert per_component["llm"] == 6_738_415_616  # LLaMA-7B (32000 rows)
    assert per_component["signal_embeddings"] == 2 * 38 * 4096


def test_legacy_variant_trainable_total_within_5_percent_of_131m() -> None:
    trainable, _, per_component = _totals(build_model(get_preset("paper-7b-legacy"), device="meta"))
    assert abs(trainable / 131e6 - 1) < 0.05, trainable
    assert per_component["input_projection"] == 1024 * 4096 + 4096


def test_lora_is_exactly_r_times_in_plus_out_per_adapted_matrix(paper_7b: NextGPT) -> None:
    r = paper_7b.config.lora.r
    adapted = 0
    for module_name, module in paper_7b.llm.named_modules():
        if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
            base = module.base_layer
            count = sum(p.numel() for n, p in module.named_parameters() if "lora_" in n)
            assert count == r * (base.in_features + base.out_features), module_name
            adapted += 1
    assert adapted == 32 * 4  # q, k, v, o in each of 32 layers
    assert _totals(paper_7b)[2]["lora"] == 32 * 4 * 32 * (4096 + 4096)


def test_output_projections_have_77_77_1_queries(paper_7b: NextGPT) -> None:
    shapes = {m: tuple(paper_7b.output_projections[m].queries.shape) for m in ("image", "video", "audio")}
    assert shapes == {"image": (1, 77, 512), "video": (1, 77, 512), "audio": (1, 1, 512)}


@pytest.mark.parametrize("stage", [1, 2, 3, "none", "all"])
def test_each_stage_trains_only_its_components(tiny_model: NextGPT, stage: object) -> None:
    try:
        set_trainable_stage(tiny_model, stage)  # type: ignore[arg-type]
        for name, param in tiny_model.named_parameters():
            assert param.requires_grad == (component_of(name) in STAGE_COMPONENTS[stage]), name  # type: ignore[index]
    finally:
        set_trainable_stage(tiny_model, "all")


def test_unknown_stage_is_rejected(tiny_model: NextGPT) -> None:
    with pytest.raises(ValueError, match="unknown training stage 4"):
        set_trainable_stage(tiny_model, 4)  # type: ignore[arg-type]


def test_signal_rows_are_separate_from_frozen_vocabulary(tiny_model: NextGPT) -> None:
    embedding = tiny_model.llm.get_input_embeddings()
    assert not embedding.base.weight.requires_grad and embedding.extra.requires_grad
    assert embedding.extra.shape == (38, tiny_model.config.llm.hidden_size)
    assert tiny_model.llm.config.vocab_size == 512 + 38 == len(tiny_model.tokenizer)
