"""Frozen parts load from local folders (from_pretrained on paths, never a hub name) and behave identically."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from nextgpt.core.errors import MissingWeightsError
from nextgpt.core.requests import GenerationRequest
from nextgpt.model.building import build_model
from nextgpt.model.checkpoint import load_trainable_state, trainable_state
from nextgpt.model.config import DecoderSetConfig, TokenizerConfig
from nextgpt.model.presets import get_preset, tiny, with_local_weights
from nextgpt.model.tiny_tokenizers import build_llm_tokenizer


def export_frozen_parts(folder: Path) -> dict[str, Path]:
    """Write a tiny model's frozen components in the formats real weights come in."""
    model = build_model(tiny())
    paths = {"imagebind": folder / "imagebind_tiny.pth", "llm": folder / "llm"}
    torch.save(model.encoder.model.state_dict(), paths["imagebind"])
    base = model.llm.unload()  # drops LoRA, keeps the base LLaMA
    base.model.embed_tokens = base.model.embed_tokens.base
    base.lm_head = base.lm_head.base
    base.config.vocab_size = model.config.llm.vocab_size
    base.save_pretrained(paths["llm"])
    build_llm_tokenizer(model.config.tokenizer.vocab_size).save_pretrained(paths["llm"])
    for modality in ("image", "video", "audio"):
        paths[f"{modality}_decoder"] = folder / f"{modality}_decoder"
        model.decoder(modality).pipeline().save_pretrained(paths[f"{modality}_decoder"])
    return paths


def test_model_from_local_folders_matches_the_seeded_build(tmp_path: Path) -> None:
    paths = export_frozen_parts(tmp_path)
    config = tiny().replace(tokenizer=TokenizerConfig(kind="llm"))
    config = with_local_weights(config, **paths)
    from_folders = build_model(config)
    reference = build_model(tiny())
    load_trainable_state(from_folders, trainable_state(reference), source="reference")
    for (name, a), (_, b) in zip(from_folders.named_parameters(), reference.named_parameters(), strict=True):
        assert torch.equal(a, b), name
    request = GenerationRequest.build("a red circle", want=["image", "video", "audio"], seed=5)
    ours, theirs = from_folders.generate(request), reference.generate(request)
    assert ours.text == theirs.text
    assert np.array_equal(np.asarray(ours.images[0]), np.asarray(theirs.images[0]))
    assert np.array_equal(ours.videos[0], theirs.videos[0])
    # the reloaded vocoder sums in a different order: equal to float32 rounding, not bit for bit
    assert np.allclose(ours.audios[0], theirs.audios[0], rtol=1e-4, atol=1e-12)
    half = build_model(config, dtype=torch.bfloat16)  # folders are read straight into bfloat16
    assert {p.dtype for p in half.parameters()} == {torch.bfloat16}
    assert half.llm.get_base_model().model.layers[0].mlp.up_proj.weight.dtype == torch.bfloat16


def test_missing_folders_say_what_to_put_where(tmp_path: Path) -> None:
    config = get_preset("tiny")
    with pytest.raises(MissingWeightsError, match=r"imagebind_huge\.pth"):
        build_model(config.replace(encoder=dataclasses.replace(config.encoder, checkpoint=str(tmp_path / "x.pth"))))
    with pytest.raises(MissingWeightsError, match=r"llm\.path = .* is not a transformers model folder"):
        build_model(config.replace(llm=dataclasses.replace(config.llm, path=str(tmp_path))))
    decoders = DecoderSetConfig(image=dataclasses.replace(config.decoders.image, path=str(tmp_path), architecture=None),
                                video=config.decoders.video, audio=config.decoders.audio)
    with pytest.raises(MissingWeightsError, match=r"decoders\.image\.path = .*runwayml/stable-diffusion-v1-5"):
        build_model(config.replace(decoders=decoders))
