"""Batched generation: a request answered in a batch equals the same request answered alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nextgpt.core.errors import ConfigError
from nextgpt.core.requests import GenerationRequest
from nextgpt.model.config import TextGenerationConfig
from nextgpt.model.decoding import DecodingRow, decode_batch, left_padded
from nextgpt.model.demo_inputs import write_demo_inputs
from nextgpt.model.nextgpt_model import NextGPT


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_demo_inputs(tmp_path_factory.mktemp("batched"))


def _requests(inputs: dict[str, Path]) -> list[GenerationRequest]:
    return [
        GenerationRequest.build("describe this", images=[inputs["image"]], seed=3),
        GenerationRequest.build("a much longer message with history and a sound to listen to",
                                audios=[inputs["audio"]], want=["image"], seed=11,
                                history=(("hello", "hi there"),)),
        GenerationRequest.build("make a picture and a sound", want=["image", "audio"], seed=5, max_new_tokens=4),
    ]


def test_a_batch_gives_what_each_request_gives_alone(tiny_model: NextGPT, inputs: dict[str, Path]) -> None:
    requests = _requests(inputs)
    alone = [tiny_model.generate(r) for r in requests]
    together = tiny_model.generate(requests)
    assert len(together) == len(requests)
    for single, batched in zip(alone, together, strict=True):
        assert batched.raw_token_ids == single.raw_token_ids
        assert batched.text == single.text
        assert batched.produced == single.produced
        for a, b in zip(single.images, batched.images, strict=True):
            np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=2)
        for a, b in zip(single.audios, batched.audios, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-4)
    assert len(together[2].raw_token_ids) <= 4  # the row's own token limit, not the batch's


def _sampling_llm(tiny_model: NextGPT) -> tuple[torch.nn.Module, list[torch.Tensor]]:
    torch.manual_seed(0)
    prompts = [torch.randn(1, length, tiny_model.config.llm.hidden_size) for length in (3, 9, 5)]
    return tiny_model.llm, prompts


def test_sampled_answers_follow_each_rows_seed_not_the_batch(tiny_model: NextGPT) -> None:
    llm, prompts = _sampling_llm(tiny_model)
    settings = TextGenerationConfig(max_new_tokens=12, do_sample=True, temperature=1.5, top_p=0.9)
    rows = [DecodingRow(max_new_tokens=12, seed=seed) for seed in (1, 2, 3)]
    batched = decode_batch(llm, prompts, rows, settings=settings, eos_token_id=-1)
    alone = [decode_batch(llm, [p], [r], settings=settings, eos_token_id=-1)[0]
             for p, r in zip(prompts, rows, strict=True)]
    assert batched == alone
    reseeded = decode_batch(llm, prompts[:1], [DecodingRow(max_new_tokens=12, seed=99)], settings=settings,
                            eos_token_id=-1)[0]
    assert reseeded != batched[0]  # the seed matters (12 draws from ~550 tokens at temperature 1.5)


def test_suppressed_tokens_and_cache_off(tiny_model: NextGPT) -> None:
    llm, prompts = _sampling_llm(tiny_model)
    settings = TextGenerationConfig(max_new_tokens=6)
    free = decode_batch(llm, prompts, [DecodingRow(6, 0)] * 3, settings=settings, eos_token_id=-1)
    banned = tuple(sorted({token for row in free for token in row}))
    suppressed = decode_batch(llm, prompts, [DecodingRow(6, 0, banned)] * 3, settings=settings, eos_token_id=-1)
    assert not {token for row in suppressed for token in row} & set(banned)
    no_cache = decode_batch(llm, prompts, [DecodingRow(6, 0)] * 3, settings=settings, eos_token_id=-1,
                            use_cache=False)
    assert no_cache == free


def test_left_padding_keeps_each_prompt_at_the_end() -> None:
    prompts = [torch.ones(1, 2, 4), 2 * torch.ones(1, 5, 4)]
    embeds, mask = left_padded(prompts)
    assert embeds.shape == (2, 5, 4) and mask.tolist() == [[0, 0, 0, 1, 1], [1, 1, 1, 1, 1]]
    assert embeds[0, :3].abs().sum() == 0 and bool((embeds[0, 3:] == 1).all())


def test_decoder_seed_list_must_match_the_batch(tiny_model: NextGPT) -> None:
    condition = torch.zeros(2, *tiny_model.decoder("image").condition_shape)
    with pytest.raises(ConfigError, match="3 seeds for 2 conditions"):
        tiny_model.decoder("image").decode(condition, seed=[1, 2, 3])
