"""Any-to-any generation on the tiny model, and how imperfect signal-token runs are handled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nextgpt.core.requests import GenerationRequest
from nextgpt.model.demo_inputs import write_demo_inputs
from nextgpt.model.nextgpt_model import NextGPT


@pytest.fixture(scope="module")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_demo_inputs(tmp_path_factory.mktemp("inputs"))


def test_any_to_any_round_trip(tiny_model: NextGPT, demo_inputs: dict[str, Path]) -> None:
    request = GenerationRequest.build("describe these, then make all three",
                                      images=[demo_inputs["image"]], videos=[demo_inputs["video"]],
                                      audios=[demo_inputs["audio"]], want=["image", "video", "audio"])
    result = tiny_model.generate(request)
    assert isinstance(result.text, str)
    assert sorted(result.produced) == ["audio", "image", "video"]
    config = tiny_model.config.decoders
    assert result.images[0].size == (config.image.width, config.image.height)
    assert result.videos[0].shape == (config.video.num_frames, config.video.height, config.video.width, 3)
    assert result.videos[0].dtype == np.uint8
    assert result.audios[0].dtype == np.float32
    assert len(result.audios[0]) == int(config.audio.audio_length_s * 16000)
    assert result.audio_sample_rate == 16000
    assert result.conditions["image"].shape == (1, 77, 32)
    assert result.conditions["audio"].shape == (1, 32)
    assert torch.allclose(result.conditions["audio"].norm(dim=-1), torch.ones(1), atol=1e-5)


def test_every_input_changes_the_prompt(tiny_model: NextGPT, demo_inputs: dict[str, Path]) -> None:
    text_only = tiny_model.prompt_embeddings(GenerationRequest.build("hi"))
    tokens = tiny_model.input_projection.tokens_per_input
    for modality in ("image", "video", "audio"):
        with_media = tiny_model.prompt_embeddings(
            GenerationRequest.build("hi", **{f"{modality}s": [demo_inputs[modality]]}))
        # <Img> marker + concept tokens + </Img> + space
        assert with_media.shape[1] > text_only.shape[1] + tokens


def test_same_seed_same_outputs(tiny_model: NextGPT) -> None:
    request = GenerationRequest.build("a red circle", want=["image", "audio"], seed=7)
    first, second = tiny_model.generate(request), tiny_model.generate(request)
    assert first.text == second.text
    assert np.array_equal(np.asarray(first.images[0]), np.asarray(second.images[0]))
    assert np.array_equal(first.audios[0], second.audios[0])


def test_text_only_answer_calls_no_decoder(tiny_model: NextGPT, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a decoder ran for a text-only answer")

    for modality in ("image", "video", "audio"):
        monkeypatch.setattr(tiny_model.decoder(modality), "decode", forbidden)
    monkeypatch.setattr(tiny_model, "decode_answers", lambda prompts, requests: [[5, 6, 7] for _ in requests])
    result = tiny_model.generate(GenerationRequest.build("just talk"))
    assert result.produced == [] and result.images == [] and result.conditions == {}


@pytest.mark.parametrize("emitted, status", [
    ("partial", "repaired"), ("runaway", "complete"), ("shuffled", "repaired"), ("complete", "complete")])
def test_imperfect_runs_still_produce_one_image(tiny_model: NextGPT, monkeypatch: pytest.MonkeyPatch,
                                                emitted: str, status: str) -> None:
    image_ids = list(tiny_model.signal_vocab.run_ids["image"])
    raw = {"partial": [5, image_ids[0], image_ids[1]],
           "runaway": [5, *image_ids, *image_ids, *image_ids, image_ids[0]],
           "shuffled": [5, image_ids[3], image_ids[1], 6, image_ids[0]],
           "complete": [5, *image_ids, 6]}[emitted]
    monkeypatch.setattr(tiny_model, "decode_answers", lambda prompts, requests: [list(raw) for _ in requests])
    result = tiny_model.generate(GenerationRequest.build("draw"))
    assert len(result.images) == 1 and isinstance(result.images[0], Image.Image)
    assert [(r.modality, r.status) for r in result.signal_runs] == [("image", status)]
    start = result.signal_runs[0].start
    assert result.answer_token_ids[start:start + 4] == image_ids


def test_conditions_read_hidden_states_at_the_run(tiny_model: NextGPT, monkeypatch: pytest.MonkeyPatch) -> None:
    """The image condition equals the projection of the LLM's last hidden states at the [IMG] positions."""
    image_ids = list(tiny_model.signal_vocab.run_ids["image"])
    monkeypatch.setattr(tiny_model, "decode_answers", lambda prompts, requests: [[5, *image_ids] for _ in requests])
    request = GenerationRequest.build("draw")
    result = tiny_model.generate(request)
    with torch.no_grad():
        prompt = tiny_model.prompt_embeddings(request)
        ids = torch.tensor([[5, *image_ids]])
        hidden = tiny_model.llm(inputs_embeds=torch.cat([prompt, tiny_model.embed_ids(ids)], 1),
                                output_hidden_states=True).hidden_states[-1]
        expected = tiny_model.project_signal_states("image", hidden[:, -4:])
    assert torch.allclose(result.conditions["image"], expected, atol=1e-6)


def test_batch_of_requests_equals_one_by_one(tiny_model: NextGPT) -> None:
    requests = [GenerationRequest.build("one", seed=1), GenerationRequest.build("two", want=["audio"], seed=2)]
    together = tiny_model.generate(requests)
    alone = [tiny_model.generate(r) for r in requests]
    assert [r.text for r in together] == [r.text for r in alone]
    assert np.array_equal(together[1].audios[0], alone[1].audios[0])


def test_allowed_outputs_suppress_other_signal_tokens(fresh_tiny_model: NextGPT) -> None:
    """A model pushed to emit nothing but signal tokens emits only the allowed modalities' ones."""
    model = fresh_tiny_model
    base_vocab = model.config.llm.vocab_size

    def favour_signal_tokens(module: torch.nn.Module, args: object, logits: torch.Tensor) -> torch.Tensor:
        logits = logits.clone()
        logits[..., base_vocab:] += 1000.0
        return logits

    model.llm.get_output_embeddings().register_forward_hook(favour_signal_tokens)
    vocab = model.signal_vocab
    free = model.generate(GenerationRequest.build("make something", max_new_tokens=12))
    assert set(free.raw_token_ids) <= vocab.all_ids  # the hook works: only signal tokens and markers
    only_audio = model.generate(GenerationRequest.build("make something", allowed_outputs=["audio"],
                                                        max_new_tokens=12))
    assert set(only_audio.raw_token_ids) <= set(vocab.run_ids["audio"]) | set(vocab.marker_ids)
    assert only_audio.produced == ["audio"]
    nothing = model.generate(GenerationRequest.build("make something", allowed_outputs=[], max_new_tokens=12))
    assert nothing.produced == [] and nothing.images == [] and nothing.audios == []


def test_bfloat16_model_generates_every_output() -> None:
    from nextgpt.model.building import build_model
    from nextgpt.model.presets import tiny

    model = build_model(tiny(), dtype=torch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    result = model.generate(GenerationRequest.build("hi", want=["image", "video", "audio"], max_new_tokens=4))
    assert len(result.images) == len(result.videos) == len(result.audios) == 1
    assert np.isfinite(result.audios[0]).all()


def test_history_is_part_of_the_prompt(tiny_model: NextGPT) -> None:
    plain = tiny_model.prompt_embeddings(GenerationRequest.build("and now?"))
    with_history = tiny_model.prompt_embeddings(GenerationRequest.build(
        "and now?", history=(("draw a cat", "here it is"),)))
    expected = tiny_model.embed_text("### Human: draw a cat\n### Assistant: here it is\n")
    assert with_history.shape[1] == plain.shape[1] + expected.shape[1]
    assert torch.equal(with_history[:, 1:1 + expected.shape[1]], expected)
