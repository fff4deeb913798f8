"""The harness knows a model only through ``nextgpt.core.interface.AnyToAnyModel``: a small model that is not
NExT-GPT runs through the real runner and gets scores; NExT-GPT implements the interface; its fingerprint is the
formula that keys every existing generation cache."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.runner.keys import cache_key
from benchmarks.runner.runner import BenchmarkRunner, RunSettings, RunSummary
from benchmarks.store import ResultsStore
from nextgpt.core.errors import ConfigError, MediaError, TaskError
from nextgpt.core.interface import AnyToAnyModel, Capabilities, JSONValue
from nextgpt.core.media import STORED_SUFFIX
from nextgpt.core.requests import GenerationRequest, GenerationResult, SignalRun
from nextgpt.model import fingerprint
from nextgpt.model.building import build_model
from nextgpt.model.nextgpt_model import NextGPT
from nextgpt.model.parameters import TRAINABLE_COMPONENTS, component_of
from nextgpt.model.presets import tiny


class SolidColourModel:
    """Not NExT-GPT: echoes the request as its caption, draws solid-colour images and plays sine tones."""

    capabilities = Capabilities(inputs=frozenset({"image", "audio"}), outputs=frozenset({"image", "audio"}))
    device = torch.device("cpu")

    def __init__(self, colour: tuple[int, int, int] = (200, 40, 40), hertz: float = 440.0) -> None:
        self.colour, self.hertz, self.generated = colour, hertz, 0

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        results = []
        for request in requests:
            result = GenerationResult(text=f"a red square, as asked: {request.text.lower()}")
            if "image" in request.want:
                result.images.append(Image.new("RGB", (32, 32), self.colour))
            if "audio" in request.want:
                seconds = np.arange(16000, dtype=np.float32) / 16000
                result.audios.append((0.5 * np.sin(2 * np.pi * self.hertz * seconds)).astype(np.float32))
            result.signal_runs = [SignalRun(m, "forced", 0, 0, 0) for m in sorted(request.want)]
            results.append(result)
        self.generated += len(results)
        return results

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps([self.colour, self.hertz]).encode()).hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"source": "solid-colour test model", "colour": list(self.colour), "hertz": self.hertz}


class KeywordModel:
    """Not NExT-GPT and without signal tokens: picks its outputs from the request's words and reports no
    ``signal_runs`` at all (the interface does not ask for them). ``broken`` replaces the media of that modality
    with what the store refuses; ``answers`` changes how many results ``generate`` returns per request."""

    capabilities = Capabilities.any_to_any()
    device = torch.device("cpu")

    def __init__(self, *, broken: str | None = None, answers: int = 1, result_type: type = GenerationResult) -> None:
        self.broken, self.answers, self.result_type = broken, answers, result_type

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        return [self._answer(request) for request in requests for _ in range(self.answers)]

    def _answer(self, request: GenerationRequest) -> GenerationResult:
        text = request.text.lower()
        result = GenerationResult(text=f"here it is: {text}")
        if "image" in request.want or "picture" in text:
            result.images.append(Image.new("RGB", (0, 4) if self.broken == "image" else (32, 32), (200, 40, 40)))
        if "video" in request.want or "video" in text:
            result.videos.append(np.full((4, 16, 16, 3), 90, dtype=np.uint8))
        if "audio" in request.want or "tone" in text:
            samples = np.full(8000, np.nan if self.broken == "audio" else 0.25, dtype=np.float32)
            result.audios.append(samples)
        if self.result_type is not GenerationResult:
            return self.result_type(result.text)  # type: ignore[no-any-return]
        return result

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(["keyword", self.broken, self.answers]).encode()).hexdigest()

    def describe(self) -> dict[str, JSONValue]:
        return {"source": "keyword test model"}


@pytest.fixture(scope="module", autouse=True)
def private_dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["NEXTGPT_BENCH_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def tiny_model() -> NextGPT:
    return build_model(tiny())


def _run(model: AnyToAnyModel, store: ResultsStore, tasks: tuple[str, ...]) -> RunSummary:
    settings = RunSettings(tasks=tasks, limit=3, bootstrap=0, extractors="toy")
    return BenchmarkRunner(model, store, settings, progress=None).run()


def test_a_model_that_is_not_nextgpt_runs_through_the_runner(tmp_path: Path) -> None:
    model = SolidColourModel()
    assert isinstance(model, AnyToAnyModel)
    store = ResultsStore(tmp_path / "store")
    summary = _run(model, store, ("caption-image", "t2i", "t2a"))
    assert model.generated == 9
    tasks = summary.tasks
    assert tasks["caption-image"].n == tasks["t2i"].n == tasks["t2a"].n == 3
    # a model without signal tokens reports its outputs as forced: it never "asked" for them
    assert tasks["t2i"].metrics["signal_rate"] == tasks["t2a"].metrics["signal_rate"] == 0.0
    assert all(isinstance(tasks["t2i"].metrics[name], float) for name in ("fid", "clip_score"))
    assert isinstance(tasks["t2a"].metrics["fad"], float)
    assert 0.0 <= (tasks["caption-image"].metrics["bleu1"] or -1.0) <= 1.0
    assert store.run(summary.run_id)["model"] == model.describe()
    again = _run(model, store, ("caption-image", "t2i", "t2a"))
    assert model.generated == 9, "the fingerprint keys the cache: nothing is generated twice"
    assert again.to_json()["tasks"] == summary.to_json()["tasks"]
    _run(SolidColourModel(colour=(40, 40, 200)), store, ("t2i",))  # another fingerprint: generated anew
    assert len({row["model_fingerprint"] for row in store.runs()}) == 2


def test_a_task_the_model_cannot_do_is_skipped_with_its_reason(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    summary = _run(SolidColourModel(), store, ("t2i", "t2v"))
    assert list(summary.tasks) == ["t2i"]
    assert summary.skipped == {"t2v": "the task asks for video output but the model writes text and audio, image"}
    with pytest.raises(TaskError, match=r"can do none of the selected tasks; .*\n  caption-video: the task gives the "
                                        r"model video input but it reads text and audio, image$"):
        _run(SolidColourModel(), store, ("caption-video",))
    assert len(store.runs()) == 1, "a run of nothing is refused before a run row is written"


def test_the_runner_refuses_what_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"object is not an AnyToAnyModel .* it lacks capabilities, device, "
                                          r"generate, fingerprint, describe"):
        BenchmarkRunner(object(), ResultsStore(tmp_path / "store"),  # type: ignore[arg-type]
                        RunSettings(tasks=("t2i",)), progress=None)


def test_nextgpt_is_an_any_to_any_model(tiny_model: NextGPT) -> None:
    assert isinstance(tiny_model, AnyToAnyModel)
    assert tiny_model.capabilities == Capabilities.any_to_any()
    assert tiny_model.describe() == {"preset": "tiny", "checkpoint": None, "device": "cpu", "dtype": "float32"}
    request = GenerationRequest("hello", max_new_tokens=2)
    assert [r.text for r in tiny_model.generate([request])] == [tiny_model.generate(request).text]


def _fingerprint_before_the_interface(model: NextGPT, frozen_limit: int = 50_000_000) -> str:
    """``benchmarks.runner.keys.model_fingerprint`` as it was (with ``trainable_state``/``frozen_fingerprint`` of
    ``nextgpt.model.checkpoint`` inlined): every generation cached before the interface is keyed by it."""
    digest = hashlib.sha256(json.dumps(model.config.to_dict(), sort_keys=True).encode())
    trainable = {name: param.detach().cpu().contiguous() for name, param in model.named_parameters()
                 if component_of(name) in TRAINABLE_COMPONENTS}
    for name, tensor in sorted(trainable.items()):
        digest.update(name.encode())
        digest.update(tensor.to(torch.float32).numpy().tobytes())
    frozen = [(n, p) for n, p in model.named_parameters() if component_of(n) not in TRAINABLE_COMPONENTS]
    frozen_digest = None
    if sum(p.numel() for _, p in frozen) <= frozen_limit and not any(p.is_meta for _, p in frozen):
        hashed = hashlib.sha256()
        for name, param in frozen:
            hashed.update(f"{name}:{tuple(param.shape)}".encode())
            hashed.update(param.detach().float().cpu().numpy().tobytes())
        frozen_digest = hashed.hexdigest()
    digest.update(str(frozen_digest).encode())
    return digest.hexdigest()


def test_nextgpt_fingerprint_keeps_existing_caches_valid(tiny_model: NextGPT, monkeypatch: pytest.MonkeyPatch) -> None:
    assert tiny_model.fingerprint() == _fingerprint_before_the_interface(tiny_model)
    monkeypatch.setattr(fingerprint, "FINGERPRINT_LIMIT", 0)  # a paper-scale model: frozen weights not hashed
    assert tiny_model.fingerprint() == _fingerprint_before_the_interface(tiny_model, frozen_limit=0)
    assert tiny_model.fingerprint() != _fingerprint_before_the_interface(tiny_model)


def test_media_of_a_model_without_signal_runs_are_recorded_unsignalled(tmp_path: Path) -> None:
    """They count for the dialogue's modality accuracy; the signal metrics are not applicable (unavailable, with
    the reason), not a 0 that would compare as a model failing to ask."""
    store = ResultsStore(tmp_path / "store")
    settings = RunSettings(tasks=("dialogue", "t2i", "t2v"), limit=2, bootstrap=0, extractors="toy")
    summary = BenchmarkRunner(KeywordModel(), store, settings, progress=None).run()
    dialogue = summary.tasks["dialogue"].metrics
    # every turn produced exactly the expected media (the last turn of each dialogue: text only)
    assert dialogue["modality_accuracy"] == 1.0
    assert dialogue["image_turn_accuracy"] == dialogue["video_turn_accuracy"] == dialogue["audio_turn_accuracy"] == 1.0
    for task in ("t2i", "t2v"):
        assert summary.tasks[task].metrics["signal_rate"] is None
        assert summary.tasks[task].metrics["signal_exact"] is None

    reasons = {(m.task, m.metric): m.result.to_dict() for m in store.metric_values(summary.run_id)}
    for task in ("t2i", "t2v"):
        for metric in ("signal_rate", "signal_exact"):
            assert "the model has no signal tokens" in json.dumps(reasons[(task, metric)])
    recorded = store.recorded(summary.run_id, "dialogue")
    for generation in recorded.values():
        assert generation.signal_runs == tuple(
            {"modality": m.modality, "status": "unsignalled", "dropped": 0} for m in generation.media)
        assert all(m.path.endswith(STORED_SUFFIX[m.modality]) for m in generation.media)  # type: ignore[index]
    assert {m.modality for g in recorded.values() for m in g.media} == {"image", "video", "audio"}


def test_a_model_s_own_signal_runs_are_kept_as_they_are(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    summary = _run(SolidColourModel(), store, ("t2i",))
    for generation in store.recorded(summary.run_id, "t2i").values():
        assert generation.signal_runs == ({"modality": "image", "status": "forced", "dropped": 0},)


@pytest.mark.parametrize(("model", "message"), [
    (KeywordModel(answers=2), r"task t2i: KeywordModel.generate returned 2 result\(s\) for 1 request\(s\); expected "
                              r"one GenerationResult per request"),
    (KeywordModel(answers=0), r"task t2i: KeywordModel.generate returned 0 result\(s\) for 1 request\(s\)"),
    (KeywordModel(result_type=str), r"task t2i: KeywordModel.generate returned results that are not "
                                    r"GenerationResult \(0: str\); expected nextgpt.core.requests.GenerationResult"),
])
def test_what_generate_returns_is_checked(model: KeywordModel, message: str, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(TaskError, match=message):
        _run(model, store, ("t2i",))
    assert store.runs()[0]["status"] == "failed"


def test_a_dialogue_turn_s_results_are_checked(tmp_path: Path) -> None:
    settings = RunSettings(tasks=("dialogue",), limit=1, bootstrap=0, extractors="toy")
    with pytest.raises(TaskError, match=r"task dialogue: KeywordModel.generate returned 0 result\(s\) for 1 "):
        BenchmarkRunner(KeywordModel(answers=0), ResultsStore(tmp_path / "store"), settings, progress=None).run()


@pytest.mark.parametrize(("broken", "task", "message"), [
    ("image", "t2i", r"task t2i, sample '[^']+', turn 0: image 0 produced by the model \(KeywordModel\) cannot be "
                     r"stored: image to encode is empty \(0x4\)"),
    ("audio", "dialogue", r"task dialogue, sample 'dialogue-0000', turn \d: audio 0 produced by the model "
                          r"\(KeywordModel\) cannot be stored: audio to encode contains NaN"),
])
def test_media_the_store_refuses_name_the_model_and_the_sample(broken: str, task: str, message: str,
                                                                tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(MediaError, match=message):
        _run(KeywordModel(broken=broken), store, (task,))
    assert store.runs()[0]["status"] == "failed"


def test_an_image_that_is_not_a_pil_image_is_a_media_error(tmp_path: Path) -> None:
    class ArrayImages(KeywordModel):
        def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
            results = super().generate(requests)
            for result in results:
                result.images = [np.zeros((8, 8, 3), dtype=np.uint8)]  # type: ignore[list-item]
            return results

    with pytest.raises(MediaError, match=r"image 0 produced by the model \(ArrayImages\) cannot be stored: expected "
                                         r"a PIL image in GenerationResult.images, got ndarray"):
        _run(ArrayImages(), ResultsStore(tmp_path / "store"), ("t2i",))


def test_cache_keys_hash_input_files_as_before(tmp_path: Path) -> None:
    """The key of a request with an input file is the formula every stored cache was written with."""
    picture = tmp_path / "input.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(picture)
    request = GenerationRequest.build("describe it", images=[picture], seed=7)
    payload = {
        "model": "fp", "task": "caption-image", "sample": "s", "turn": 0, "text": "describe it",
        "media": [("image", hashlib.sha256(picture.read_bytes()).hexdigest())], "want": [], "allowed": None,
        "history": [], "seed": 7, "max_new_tokens": None, "steps": None, "guidance": None, "settings": {"k": 1},
    }
    expected = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    digests: dict[Path, str] = {}
    assert cache_key("fp", "caption-image", "s", 0, request, {"k": 1}, digests) == expected
    assert digests == {picture: hashlib.sha256(picture.read_bytes()).hexdigest()}
