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

from benchmarks.runner.runner import BenchmarkRunner, RunSettings, RunSummary
from benchmarks.store import ResultsStore
from nextgpt.core.errors import ConfigError, TaskError
from nextgpt.core.interface import AnyToAnyModel, Capabilities, JSONValue
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


def test_a_task_the_model_cannot_do_is_refused_before_the_run(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(TaskError, match=r"task t2v asks for video output; the model writes text and audio, image"):
        _run(SolidColourModel(), store, ("t2i", "t2v"))
    with pytest.raises(TaskError, match=r"task caption-video gives the model video input; it reads text and audio"):
        _run(SolidColourModel(), store, ("caption-video",))
    assert store.runs() == []


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
