"""Speed/memory switches: each works on the tiny model, changes no answer it should not, and is undone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nextgpt.core.requests import GenerationRequest
from nextgpt.profiling import StageProfiler
from nextgpt.profiling.options import ProfilingOptionError, SpeedOptions, applied

TEXT = GenerationRequest.build("Say something.", allowed_outputs=[], seed=0, max_new_tokens=6)
IMAGE = GenerationRequest.build("Draw a circle.", want=["image"], allowed_outputs=["image"], seed=0, max_new_tokens=4)


def test_kv_cache_off_gives_the_same_greedy_answer_and_is_undone(profiled_tiny_model: Any) -> None:
    model = profiled_tiny_model
    config = model.llm.get_base_model().generation_config
    with StageProfiler(model) as cached_profile:
        cached = model.generate(TEXT)
    with applied(model, SpeedOptions(kv_cache=False)), StageProfiler(model) as uncached_profile:
        assert config.use_cache is False
        uncached = model.generate(TEXT)
    assert config.use_cache is not False
    assert uncached.raw_token_ids == cached.raw_token_ids
    assert uncached_profile.records()["llm_decode"].calls == cached_profile.records()["llm_decode"].calls


def test_attention_and_vae_slicing_keep_the_image_and_are_undone(profiled_tiny_model: Any) -> None:
    model = profiled_tiny_model
    unet, vae = model.decoder("image").components["unet"], model.decoder("image").components["vae"]
    before = {name: type(p) for name, p in unet.attn_processors.items()}
    plain = np.asarray(model.generate(IMAGE).images[0], dtype=np.int16)
    with applied(model, SpeedOptions(attention_slicing=True, vae_slicing=True)):
        assert {type(p).__name__ for p in unet.attn_processors.values()} == {"SlicedAttnProcessor"}
        assert vae.use_slicing
        sliced = np.asarray(model.generate(IMAGE).images[0], dtype=np.int16)
    assert {name: type(p) for name, p in unet.attn_processors.items()} == before and not vae.use_slicing
    assert np.abs(sliced - plain).max() <= 1  # the same arithmetic in slices: at most a rounding step apart


def test_cpu_offload_needs_cuda(profiled_tiny_model: Any) -> None:
    offload = SpeedOptions(cpu_offload=True)
    with pytest.raises(ProfilingOptionError, match="CUDA"), applied(profiled_tiny_model, offload):
        pass


def test_options_validate_and_label() -> None:
    assert SpeedOptions().label() == "default"
    assert SpeedOptions(kv_cache=False, attention_slicing=True).label() == "kv_cache=off,attention_slicing=on"
    with pytest.raises(ProfilingOptionError, match="kv_cache"):
        SpeedOptions(kv_cache="no")  # type: ignore[arg-type]
