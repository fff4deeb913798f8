"""The transformers causal-LM adapter: the tiny NExT-GPT LLaMA (random weights) and its tokenizer, saved with
save_pretrained and loaded through the adapter exactly as a user's local LLM folder would be."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nextgpt.adapters.settings import AdapterSettings
from nextgpt.adapters.transformers_causal_lm import TransformersCausalLM, check_causal_lm_folder
from nextgpt.adapters.transformers_decoding import until_end
from nextgpt.core.errors import ConfigError, MissingWeightsError
from nextgpt.core.interface import AnyToAnyModel, HasStages
from nextgpt.core.requests import GenerationRequest
from nextgpt.tiny_baselines.causal_lm_folder import write_tiny_causal_lm

BUDGET = 6


@pytest.fixture(scope="module")
def llm_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_causal_lm(tmp_path_factory.mktemp("tiny-llm") / "llm")


@pytest.fixture(scope="module")
def llm(llm_folder: Path) -> TransformersCausalLM:
    return TransformersCausalLM(llm_folder, AdapterSettings(max_new_tokens=BUDGET))


def _texts(model: TransformersCausalLM, requests: list[GenerationRequest]) -> list[str]:
    return [result.text for result in model.generate(requests)]


def test_the_adapter_is_a_text_model_described_by_its_folder(llm: TransformersCausalLM, llm_folder: Path) -> None:
    assert isinstance(llm, AnyToAnyModel) and isinstance(llm, HasStages)
    assert llm.capabilities.inputs == frozenset() and llm.capabilities.outputs == frozenset()
    description = llm.describe()
    assert description["adapter"] == "transformers-causal-lm" and description["source"] == str(llm_folder)
    assert description["model_class"] == "LlamaForCausalLM" and description["prompt_format"] == "chat-template"
    assert description["max_new_tokens"] == BUDGET and len(str(description["folder_sha256"])) == 64
    json.dumps(description)
    assert [stage.name for stage in llm.profiled_stages()] == ["llm"]
    assert sum(path.stat().st_size for path in llm_folder.rglob("*") if path.is_file()) < 2_000_000


def test_answers_are_deterministic_whatever_the_seed_and_the_batch(llm: TransformersCausalLM) -> None:
    prompts = ["describe a red circle", "play a high tone", "show me a video of a blue square"]
    batch = _texts(llm, [GenerationRequest.build(text, seed=index) for index, text in enumerate(prompts)])
    assert all(isinstance(text, str) for text in batch)
    alone = [_texts(llm, [GenerationRequest.build(text, seed=99)])[0] for text in prompts]
    assert alone == batch, "greedy decoding: neither the seed nor the other (left-padded) rows change an answer"


def test_the_token_budget_comes_from_the_request_then_the_settings(llm: TransformersCausalLM,
                                                                   llm_folder: Path) -> None:
    short, default = llm.generate([GenerationRequest.build("hello", max_new_tokens=2),
                                   GenerationRequest.build("hello")])
    assert 1 <= len(short.answer_token_ids) <= 2 and len(default.answer_token_ids) <= BUDGET
    assert default.answer_token_ids[:len(short.answer_token_ids)] == short.answer_token_ids
    unset = TransformersCausalLM(llm_folder)
    assert unset.describe()["default_max_new_tokens"] == 64  # the tiny folder's generation config sets none
    assert unset.fingerprint() != llm.fingerprint()


def test_history_goes_into_the_prompt_as_turns(llm: TransformersCausalLM) -> None:
    request = GenerationRequest.build("and now?", history=(("hello", "hi there"),))
    assert llm.prompt(request) == "### Human: hello\n### Assistant: hi there\n### Human: and now?\n### Assistant:"
    with_history, without = _texts(llm, [request, GenerationRequest.build("and now?")])
    assert isinstance(with_history, str) and isinstance(without, str)


def test_without_a_chat_template_the_plain_vicuna_format_is_used(llm_folder: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(llm_folder, plain)
    (plain / "chat_template.jinja").unlink()
    config_file = plain / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    config.pop("chat_template", None)
    config.pop("pad_token", None)  # a tokenizer without a pad token pads with its end-of-sequence token
    config_file.write_text(json.dumps(config))
    model = TransformersCausalLM(plain, AdapterSettings(max_new_tokens=3))
    assert model.describe()["prompt_format"] == "vicuna-v0-plain"
    assert model.prompt(GenerationRequest.build("hi")) == "### Human: hi\n### Assistant:"
    texts = _texts(model, [GenerationRequest.build("hi"), GenerationRequest.build("a much longer prompt here")])
    assert all("###" not in text for text in texts)


def test_requests_with_media_or_media_outputs_are_refused_by_index(llm: TransformersCausalLM) -> None:
    with pytest.raises(ConfigError, match=r"request 1 gives image file cat.png; this adapter reads text only"):
        llm.generate([GenerationRequest.build("hi"), GenerationRequest.build("what is it", images=["cat.png"])])
    with pytest.raises(ConfigError, match=r"request 0 asks for audio output; this adapter writes text only"):
        llm.generate([GenerationRequest.build("a tone", want=("audio",))])


def test_any_changed_file_changes_the_fingerprint(llm_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(llm_folder, copy)
    seen = {TransformersCausalLM(copy).fingerprint()}
    assert TransformersCausalLM(copy).fingerprint() in seen, "stable across loads"
    config_file = copy / "generation_config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "_edited_by_test": 1}))
    seen.add(TransformersCausalLM(copy).fingerprint())
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    seen.add(TransformersCausalLM(copy).fingerprint())
    assert len(seen) == 3


def test_folders_that_are_not_causal_lms_are_refused_without_loading(llm_folder: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(MissingWeightsError, match=rf"{missing} is not a folder"):
        check_causal_lm_folder(missing)
    with pytest.raises(MissingWeightsError, match=rf"{tmp_path} has no config.json"):
        check_causal_lm_folder(tmp_path)
    other = tmp_path / "other"
    shutil.copytree(llm_folder, other)
    config_file = other / "config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "model_type": "t5"}))
    with pytest.raises(ConfigError, match=r"model_type 't5' is not a causal LM .* \(e.g. llama, mistral"):
        check_causal_lm_folder(other)
    (other / "model.safetensors").unlink()
    with pytest.raises(MissingWeightsError, match=r"has no weights"):
        check_causal_lm_folder(other)
    check_causal_lm_folder(llm_folder)


def test_the_tiny_folder_is_reproducible_and_never_overwrites(llm_folder: Path, tmp_path: Path) -> None:
    again = write_tiny_causal_lm(tmp_path / "again")
    assert TransformersCausalLM(again).describe()["folder_sha256"] == TransformersCausalLM(llm_folder).folder_sha256
    with pytest.raises(ConfigError, match=r"already exists and is not an empty folder"):
        write_tiny_causal_lm(again)


def test_the_stage_profiler_counts_one_token_per_row_and_forward(llm: TransformersCausalLM) -> None:
    from nextgpt.profiling.stage_profiler import StageProfiler

    with StageProfiler(llm) as profiler:
        llm.generate([GenerationRequest.build("hello", max_new_tokens=3)] * 2)
    record = profiler.records()["llm"].to_dict()
    assert record["unit"] == "tokens" and record["units"] == 2 * record["calls"] and 1 <= record["calls"] <= 3


def test_an_answer_ends_before_the_first_end_token_of_any_kind() -> None:
    """The one cut both transformers adapters use: a generation config's eos_token_id is one id, several or none."""
    assert until_end([7, 8, 2, 9, 2], 2) == [7, 8]
    assert until_end([7, 3, 8, 2], [2, 3]) == [7]
    assert until_end([7, 8], None) == [7, 8] and until_end([2], 2) == []
