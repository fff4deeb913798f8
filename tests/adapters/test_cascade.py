"""The cascade any-to-any baseline, composed of small fake components: the modality rule, the prompts each component
gets, the seeds, the batching, the refusals and the fingerprint."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nextgpt.adapters.cascade import Cascade, CascadeOptions, component_seed
from nextgpt.adapters.cascade_prompts import llm_turn
from nextgpt.adapters.cascade_rule import OUTPUT_WORDS, choose_outputs, keyword_outputs
from nextgpt.core.errors import ConfigError, TaskError
from nextgpt.core.interface import AnyToAnyModel, Capabilities, ProfiledStage
from nextgpt.core.modalities import Modality
from nextgpt.core.requests import GenerationRequest, GenerationResult, MediaInput


class FakeComponent:
    """A model of the interface that records every batch it is given and answers through ``answer``."""

    def __init__(self, name: str, capabilities: Capabilities,
                 answer: Callable[[GenerationRequest], GenerationResult]) -> None:
        self.name = name
        self.capabilities = capabilities
        self.answer = answer
        self.batches: list[list[GenerationRequest]] = []
        self.version = 0
        self.layer = torch.nn.Linear(2, 2)

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        self.batches.append(list(requests))
        return [self.answer(request) for request in requests]

    def fingerprint(self) -> str:
        return f"{self.name}-v{self.version}"

    def describe(self) -> dict[str, object]:
        return {"adapter": f"fake-{self.name}", "source": f"/models/{self.name}"}

    def profiled_stages(self) -> list[ProfiledStage]:
        return [ProfiledStage("forward", self.layer, unit="samples", per_item=True)]

    @property
    def requests(self) -> list[GenerationRequest]:
        return [request for batch in self.batches for request in batch]


def captioner(modality: Modality) -> FakeComponent:
    def answer(request: GenerationRequest) -> GenerationResult:
        (item,) = request.media
        return GenerationResult(text=f" a {modality} caption of {Path(str(item.source)).stem} ")
    return FakeComponent(f"captioner-{modality}", Capabilities(frozenset({modality}), frozenset()), answer)


def llm(reply: Callable[[str], str] = lambda prompt: f"described ({len(prompt)} chars)") -> FakeComponent:
    return FakeComponent("llm", Capabilities(frozenset(), frozenset()),
                         lambda request: GenerationResult(text=reply(request.text)))


def generator(modality: Modality) -> FakeComponent:
    """Draws from the request's seed, so equal seeds give equal media."""
    def answer(request: GenerationRequest) -> GenerationResult:
        value = request.seed % 251
        if modality == "image":
            return GenerationResult(text="", images=[Image.new("RGB", (4, 4), (value, 0, 0))])
        if modality == "video":
            return GenerationResult(text="", videos=[np.full((2, 4, 4, 3), value, dtype=np.uint8)])
        return GenerationResult(text="", audios=[np.full(8, value / 251, dtype=np.float32)], audio_sample_rate=8000)
    return FakeComponent(f"generator-{modality}", Capabilities(frozenset(), frozenset({modality})), answer)


def full_cascade(**options: object) -> Cascade:
    return Cascade(captioners={m: captioner(m) for m in ("image", "video", "audio")}, llm=llm(),
                   generators={m: generator(m) for m in ("image", "video", "audio")},
                   options=CascadeOptions(**options), source="/configs/cascade.json")  # type: ignore[arg-type]


def parts(cascade: Cascade) -> dict[str, FakeComponent]:
    return {role: component for role, component in cascade.components().items()}  # type: ignore[misc]


def t2x(modality: Modality, text: str = "Generate a picture of a red circle.", seed: int = 0) -> GenerationRequest:
    return GenerationRequest.build(text, want=(modality,), allowed_outputs=(modality,), seed=seed)


def test_the_cascade_reads_what_its_captioners_read_and_writes_what_its_generators_write() -> None:
    cascade = Cascade(captioners={"audio": captioner("audio")}, llm=None, generators={"image": generator("image")},
                      options=CascadeOptions(generator_prompt="user"))
    assert isinstance(cascade, AnyToAnyModel)
    assert cascade.capabilities == Capabilities(frozenset({"audio"}), frozenset({"image"}))
    assert list(cascade.components()) == ["captioner.audio", "generator.image"]
    assert full_cascade().capabilities == Capabilities.any_to_any()


@pytest.mark.parametrize(("message", "expected"), [
    ("Show me a picture of a red circle on a white background.", {"image"}),
    ("Now make a short video of a blue square moving left.", {"video"}),
    ("Play a pulsing high tone for me.", {"audio"}),
    ("Thank you, that is all for now.", set()),
    ("DRAW me something, then an Animation with music!", {"image", "video", "audio"}),
    ("Imagine a photonic film-maker.", {"video"}),  # whole words only: not "imagine", not "photonic"
])
def test_the_keyword_rule_reads_whole_words_of_the_message(message: str, expected: set[str]) -> None:
    assert keyword_outputs(message) == expected


def test_want_forces_allowed_outputs_and_the_generators_limit_and_history_does_not_count() -> None:
    everything = frozenset({"image", "video", "audio"})
    assert choose_outputs(GenerationRequest.build("Describe this sound.", want=("image",)), everything) == {"image"}
    captioning = GenerationRequest.build("Describe this picture.", allowed_outputs=())
    assert choose_outputs(captioning, everything) == frozenset()
    limited = GenerationRequest.build("a picture and a video", allowed_outputs=("video",))
    assert choose_outputs(limited, everything) == {"video"}
    assert choose_outputs(GenerationRequest.build("a picture and a video"), frozenset({"image"})) == {"image"}
    later_turn = GenerationRequest(text="Thanks.", history=(("Show me a picture", "Here it is."),))
    assert choose_outputs(later_turn, everything) == frozenset()
    assert all(word.isalpha() and word.islower() for words in OUTPUT_WORDS.values() for word in words)


def test_the_llm_turn_follows_the_documented_template() -> None:
    turn = llm_turn("Make it blue.", captions=(("image", "a red circle"), ("audio", "a low tone")),
                    outputs=("image", "audio"))
    assert turn.splitlines() == ["[Attached image: a red circle]", "[Attached sound: a low tone]", "Make it blue.",
                                 "(Answer with one sentence that describes the image and sound to create.)"]
    assert llm_turn("Thanks.", captions=(), outputs=()) == "Thanks."


def test_text_to_x_prompts_the_generator_with_the_llm_answer_by_default_or_the_user_text() -> None:
    cascade = full_cascade()
    [result] = cascade.generate([t2x("image")])
    components = parts(cascade)
    [call] = components["llm"].requests
    assert call.text == ("Generate a picture of a red circle.\n"
                         "(Answer with one sentence that describes the image to create.)")
    assert call.allowed_outputs == frozenset() and not call.media and not call.history
    [drawn] = components["generator.image"].requests
    assert drawn.text == result.text == f"described ({len(call.text)} chars)"
    assert drawn.want == drawn.allowed_outputs == {"image"}
    assert len(result.images) == 1 and not result.videos and not result.audios
    assert result.signal_runs == [], "no signal tokens: the runner records the image as unsignalled"
    assert not components["generator.video"].batches and not components["captioner.image"].batches

    literal = full_cascade(generator_prompt="user")
    literal.generate([t2x("audio", "Generate the sound of a low tone.")])
    assert [r.text for r in parts(literal)["generator.audio"].requests] == ["Generate the sound of a low tone."]


def test_editing_captions_the_source_and_states_it_to_the_llm_and_the_generator() -> None:
    request = GenerationRequest.build("Make the circle blue.", images=["data/red-circle.png"], want=("image",),
                                      allowed_outputs=("image",), seed=5, num_inference_steps=3, guidance_scale=2.0)
    cascade = full_cascade(generator_prompt="user")
    [result] = cascade.generate([request])
    components = parts(cascade)
    [caption_call] = components["captioner.image"].requests
    assert caption_call.text == "" and caption_call.media == request.media, "the captioner only describes"
    assert caption_call.allowed_outputs == frozenset()
    assert components["llm"].requests[0].text.startswith(
        "[Attached image: a image caption of red-circle]\nMake the circle blue.\n")
    [drawn] = components["generator.image"].requests
    assert drawn.text == "a image caption of red-circle. Make the circle blue."
    assert (drawn.num_inference_steps, drawn.guidance_scale) == (3, 2.0), "the request's settings reach the generator"
    assert len(result.images) == 1


def test_captioning_answers_with_text_only_and_without_an_llm_with_the_caption() -> None:
    request = GenerationRequest.build("Describe this video in one sentence.", videos=["clips/blue-square.mp4"],
                                      allowed_outputs=(), max_new_tokens=12)
    cascade = full_cascade()
    [result] = cascade.generate([request])
    assert result.text.startswith("described") and not result.signal_runs and not result.images
    components = parts(cascade)
    assert components["llm"].requests[0].max_new_tokens == 12
    assert components["captioner.video"].requests[0].max_new_tokens == 12
    assert not any(components[f"generator.{m}"].batches for m in ("image", "video", "audio"))

    bare = Cascade(captioners={"video": captioner("video")}, llm=None, generators={},
                   options=CascadeOptions(generator_prompt="user"))
    assert bare.generate([request])[0].text == "a video caption of blue-square"


def test_a_dialogue_turn_states_the_history_and_picks_its_output_by_keyword() -> None:
    history = (("Play a low tone for me.", "Here is a low tone."),)
    turns = [GenerationRequest(text="Show me a picture of a red circle.", history=history, seed=7),
             GenerationRequest(text="Thank you, that is all for now.", history=history, seed=8)]
    cascade = full_cascade()
    picture, thanks = cascade.generate(turns)
    assert picture.produced == ["image"] and len(picture.images) == 1
    assert thanks.produced == [] and not thanks.images and thanks.text
    calls = parts(cascade)["llm"].requests
    assert [call.history for call in calls] == [history, history], "the LLM's adapter writes the turns its own way"
    assert calls[1].text == "Thank you, that is all for now.", "no output chosen: no description asked for"


def test_a_batch_makes_one_call_per_component_and_each_result_depends_only_on_its_request() -> None:
    batch = [t2x("image", seed=1), t2x("video", seed=2), t2x("image", seed=3),
             GenerationRequest.build("Describe it.", images=["a.png"], audios=["b.wav"], allowed_outputs=(), seed=4),
             GenerationRequest.build("Add echo.", audios=["c.wav"], want=("audio",), seed=5)]
    cascade = full_cascade()
    together = cascade.generate(batch)
    components = parts(cascade)
    assert {role: [len(b) for b in c.batches] for role, c in components.items()} == {
        "captioner.image": [1], "captioner.video": [], "captioner.audio": [2], "llm": [5],
        "generator.image": [2], "generator.video": [1], "generator.audio": [1]}
    for request, batched in zip(batch, together):
        [alone] = full_cascade().generate([request])
        assert alone.text == batched.text and alone.produced == batched.produced
        assert [np.asarray(i).tolist() for i in alone.images] == [np.asarray(i).tolist() for i in batched.images]
        assert [v.tolist() for v in alone.videos + alone.audios] == [
            v.tolist() for v in batched.videos + batched.audios]
    assert together[4].audio_sample_rate == 8000, "the audio generator's rate is passed on"


def test_each_component_gets_its_own_seed_derived_from_the_request_seed() -> None:
    request = GenerationRequest.build("Make it louder and brighter.", images=["x.png", "y.png"], audios=["z.wav"],
                                      want=("image", "audio"), seed=11)
    cascade = full_cascade()
    cascade.generate([request])
    components = parts(cascade)
    seeds = {"captioner.image": [r.seed for r in components["captioner.image"].requests],
             "captioner.audio": [r.seed for r in components["captioner.audio"].requests],
             "llm": [r.seed for r in components["llm"].requests],
             "generator.image": [r.seed for r in components["generator.image"].requests],
             "generator.audio": [r.seed for r in components["generator.audio"].requests]}
    assert seeds == {"captioner.image": [component_seed(11, "captioner.image", 0),
                                         component_seed(11, "captioner.image", 1)],
                     "captioner.audio": [component_seed(11, "captioner.audio", 2)],
                     "llm": [component_seed(11, "llm")], "generator.image": [component_seed(11, "generator.image")],
                     "generator.audio": [component_seed(11, "generator.audio")]}
    flat = [seed for values in seeds.values() for seed in values]
    assert len(set(flat)) == len(flat), "no two components draw the same stream"
    assert component_seed(12, "llm") != component_seed(11, "llm")
    assert all(0 <= seed < 2**32 for seed in flat)


def test_what_the_cascade_cannot_answer_is_refused_naming_the_request_and_the_component() -> None:
    cascade = Cascade(captioners={"image": captioner("image")}, llm=llm(), generators={"image": generator("image")})
    with pytest.raises(ConfigError, match=r"cascade: request 1 gives audio file b.wav; this cascade has no audio "
                                          r"captioner \(it reads image\)"):
        cascade.generate([t2x("image"), GenerationRequest.build("Describe.", audios=["b.wav"])])
    with pytest.raises(ConfigError, match=r"request 0 asks for video output; this cascade has no generator for it "
                                          r"\(it writes image\)"):
        cascade.generate([t2x("video")])
    assert not parts(cascade)["llm"].batches, "nothing runs before every request is checked"
    # a keyword for a medium it cannot write is not an error: the rule only chooses what it can generate
    assert cascade.generate([GenerationRequest(text="Play a song and show a photo.")])[0].produced == ["image"]


def test_components_that_do_not_fit_their_role_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"the captioner.video component reads image, not video"):
        Cascade(captioners={"video": captioner("image")}, llm=llm(), generators={})
    with pytest.raises(ConfigError, match=r"the generator.audio component writes image, not audio"):
        Cascade(captioners={}, llm=llm(), generators={"audio": generator("image")})
    with pytest.raises(ConfigError, match=r"generator_prompt 'llm' .* has no llm"):
        Cascade(captioners={}, llm=None, generators={"image": generator("image")})
    with pytest.raises(ConfigError, match=r"cascade: llm is a str, not a model of the model interface"):
        Cascade(captioners={}, llm="gpt", generators={})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"no component"):
        Cascade(captioners={}, llm=None, generators={}, options=CascadeOptions(generator_prompt="user"))
    with pytest.raises(ConfigError, match=r"generator_prompt must be one of llm, user, got 'caption'"):
        CascadeOptions(generator_prompt="caption")  # type: ignore[arg-type]


def test_a_component_that_breaks_the_interface_is_a_task_error_naming_its_role() -> None:
    short = FakeComponent("llm", Capabilities(frozenset(), frozenset()), lambda r: GenerationResult(text=""))
    short.generate = lambda requests: []  # type: ignore[method-assign]
    with pytest.raises(TaskError, match=r"cascade: llm returned 0 result\(s\) for 1 request\(s\)"):
        Cascade(captioners={}, llm=short, generators={}).generate([GenerationRequest(text="hi")])
    empty = FakeComponent("generator-video", Capabilities(frozenset(), frozenset({"video"})),
                          lambda r: GenerationResult(text="no video today"))
    with pytest.raises(TaskError, match=r"generator.video answered a request for video without any video"):
        Cascade(captioners={}, llm=llm(), generators={"video": empty}).generate([t2x("video")])


def test_the_fingerprint_follows_every_component_and_the_options() -> None:
    cascade = full_cascade()
    original = cascade.fingerprint()
    assert full_cascade().fingerprint() == original, "equal components and options: equal fingerprint"
    assert full_cascade(generator_prompt="user").fingerprint() != original
    seen = {original}
    for component in parts(cascade).values():
        component.version += 1
        seen.add(cascade.fingerprint())
    assert len(seen) == 8, "each of the seven components changes it"


def test_describe_names_the_source_the_options_and_every_component() -> None:
    description = full_cascade().describe()
    assert description["adapter"] == "cascade" and description["source"] == "/configs/cascade.json"
    assert description["options"] == {"generator_prompt": "llm"}
    assert description["components"]["generator.video"] == {  # type: ignore[index]
        "adapter": "fake-generator-video", "source": "/models/generator-video"}
    assert description["device"] == "cpu"
    json.dumps(description)


def test_profiled_stages_are_the_components_stages_prefixed_by_role() -> None:
    cascade = full_cascade()
    stages = cascade.profiled_stages()
    assert [stage.name for stage in stages] == [
        "captioner.image.forward", "captioner.video.forward", "captioner.audio.forward", "llm.forward",
        "generator.image.forward", "generator.video.forward", "generator.audio.forward"]
    assert stages[3].module is parts(cascade)["llm"].layer and stages[3].per_item and stages[3].unit == "samples"
    shared = captioner("image")
    twice = Cascade(captioners={"image": shared}, llm=shared, generators={})
    assert [stage.name for stage in twice.profiled_stages()] == ["captioner.image.forward"]


def test_media_inputs_keep_their_order_in_the_llm_turn() -> None:
    request = GenerationRequest(text="Compare them.", media=(MediaInput("audio", "1.wav"), MediaInput("image", "2.png"),
                                                             MediaInput("audio", "3.wav")))
    cascade = full_cascade()
    cascade.generate([request])
    assert parts(cascade)["llm"].requests[0].text == (
        "[Attached sound: a audio caption of 1]\n[Attached image: a image caption of 2]\n"
        "[Attached sound: a audio caption of 3]\nCompare them.")
