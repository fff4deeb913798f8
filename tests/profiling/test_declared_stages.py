"""StageProfiler on models that declare their own stages (``HasStages``): a small fake model whose modules advance
a fake clock by known amounts (so exclusive times are exact, with no timed assertion), the declarations refused,
``profile_model`` within a model's capabilities, and ``nextgpt-bench profile --model diffusers:FOLDER`` on a tiny
saved Stable Diffusion folder."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from benchmarks.cli import main
from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import Capabilities, HasStages, JSONValue, ProfiledStage
from nextgpt.core.modalities import Modality
from nextgpt.core.requests import GenerationRequest, GenerationResult
from nextgpt.profiling import END_TO_END, OTHER, StageProfiler
from nextgpt.profiling.options import ProfilingOptionError, SpeedOptions
from nextgpt.profiling.session import ProfileConfig, default_modalities, profile_model
from nextgpt.profiling.table import measured_table
from nextgpt.tiny_baselines.diffusers_folders import write_tiny_pipeline
from reports.stage_records import stage_order

STEPS = 3
#: fake seconds each part spends per call (powers of two: the sums are exact in floating point)
ENCODE, ATTENTION, DENOISE_OWN, DECODE, GENERATE_OWN = 1.0, 0.5, 0.25, 2.0, 0.125


class FakeClock:
    """Stands in for the profiler's host clock: a mark reads ``now``, which the fake modules advance."""

    def __init__(self) -> None:
        self.now = 0.0

    def mark(self) -> float:
        return self.now

    def elapsed(self, marks: list[Any]) -> list[float]:
        return [b - a for a, b in itertools.pairwise(marks)]


class Spending(nn.Module):
    def __init__(self, clock: FakeClock, seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds = clock, seconds
        self.linear = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.clock.now += self.seconds
        return self.linear(x)


class Denoiser(Spending):
    """A stage that calls another declared stage (its attention) inside its own forward."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock, DENOISE_OWN)
        self.attention = Spending(clock, ATTENTION)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(self.attention(x))


class Decoder(Spending):
    """Timed through its ``decode`` method, not its forward (as a VAE's decode is)."""

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        return self(latents)


class FakeModel:
    """Text in, one image out; declares its stages out of data-flow order on purpose."""

    def __init__(self, inputs: frozenset[Modality] = frozenset()) -> None:
        self.clock = FakeClock()
        self.capabilities = Capabilities(inputs=inputs, outputs=frozenset({"image"}))
        self.encoder = Spending(self.clock, ENCODE)
        self.denoiser = Denoiser(self.clock)
        self.decoder = Decoder(self.clock, DECODE)
        self.seen_media: list[Any] = []

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        self.clock.now += GENERATE_OWN
        self.seen_media.extend(item.source for request in requests for item in request.media)
        latents = self.encoder(torch.zeros(len(requests), 4))
        for _ in range(STEPS):
            latents = self.denoiser(latents)
        self.decoder.decode(latents)
        return [GenerationResult(text="") for _ in requests]

    def fingerprint(self) -> str:
        return "fake"

    def describe(self) -> dict[str, JSONValue]:
        return {"adapter": "fake-declared", "source": "memory"}

    def profiled_stages(self) -> list[ProfiledStage]:
        return [ProfiledStage("decode", self.decoder, "latents", method="decode", per_item=True),
                ProfiledStage("denoise", self.denoiser, "steps"),
                ProfiledStage("attention", self.denoiser.attention),
                ProfiledStage("encode", self.encoder, "samples", per_item=True)]


def _requests(count: int) -> list[GenerationRequest]:
    return [GenerationRequest.build("draw", want=("image",), seed=seed) for seed in range(count)]


def _hooks(model: FakeModel) -> list[tuple[int, ...]]:
    modules = (model.encoder, model.denoiser, model.denoiser.attention, model.decoder)
    return [(*m._forward_hooks, *m._forward_pre_hooks) for m in modules]


def _profiled(model: FakeModel, batches: Sequence[int]) -> tuple[StageProfiler, dict[str, Any]]:
    profiler = StageProfiler(model)
    profiler.clock = model.clock  # type: ignore[assignment]  # exact, known durations
    with profiler:
        for size in batches:
            model.generate(_requests(size))
    return profiler, profiler.records()


def test_a_declaring_model_is_cut_into_its_stages_in_data_flow_order() -> None:
    assert isinstance(FakeModel(), HasStages)
    _, records = _profiled(FakeModel(), [3, 1])
    assert list(records) == ["encode", "denoise", "attention", "decode", OTHER, END_TO_END]
    assert [records[name].extra["position"] for name in records] == list(range(6))
    assert records[END_TO_END].kind == "total" and all(r.kind == "stage" for n, r in records.items()
                                                       if n != END_TO_END)


def test_units_are_batch_sizes_for_per_item_stages_and_calls_otherwise() -> None:
    _, records = _profiled(FakeModel(), [3, 1])
    units = {name: (r.calls, r.throughput.units, r.throughput.unit) for name, r in records.items()}
    assert units == {"encode": (2, 4, "samples"), "denoise": (2 * STEPS, 2 * STEPS, "steps"),
                     "attention": (2 * STEPS, 2 * STEPS, "calls"), "decode": (2, 4, "latents"),
                     OTHER: (2, 4, "samples"), END_TO_END: (2, 4, "samples")}


def test_times_are_exclusive_and_add_up_to_each_generate_call() -> None:
    _, records = _profiled(FakeModel(), [2, 2])
    assert records["encode"].latency.values == (ENCODE, ENCODE)
    assert records["attention"].latency.values == (ATTENTION,) * 2 * STEPS
    assert records["denoise"].latency.values == (DENOISE_OWN,) * 2 * STEPS  # its attention is not in it
    assert records["decode"].latency.values == (DECODE, DECODE)
    assert records[OTHER].latency.values == (GENERATE_OWN, GENERATE_OWN)
    one_call = GENERATE_OWN + ENCODE + STEPS * (ATTENTION + DENOISE_OWN) + DECODE
    assert records[END_TO_END].latency.values == (one_call, one_call)
    assert sum(r.seconds for r in records.values() if r.kind == "stage") == records[END_TO_END].seconds


def test_detach_restores_every_module_and_method() -> None:
    model = FakeModel()
    hooks_before = _hooks(model)
    profiler, records = _profiled(model, [1])
    assert _hooks(model) == hooks_before
    assert "generate" not in vars(model) and "decode" not in vars(model.decoder)
    model.generate(_requests(2))  # after detach: nothing more is recorded
    assert profiler.records() == records


def test_stages_used_outside_generate_are_not_recorded() -> None:
    model = FakeModel()
    with StageProfiler(model) as profiler:
        model.decoder.decode(torch.zeros(2, 4))
        model.denoiser(torch.zeros(2, 4))
    assert profiler.records() == {}


class _Declaring(FakeModel):
    def __init__(self, stages: list[ProfiledStage]) -> None:
        super().__init__()
        self.declared = stages

    def profiled_stages(self) -> list[ProfiledStage]:
        return self.declared


@pytest.mark.parametrize(("stages", "message"), [
    (lambda m: [ProfiledStage("a", m.encoder), ProfiledStage("b", m.encoder)], "both time the same Spending"),
    (lambda m: [ProfiledStage("decode", m.decoder, method="decode"), ProfiledStage("decoder", m.decoder)],
     "'decode' and 'decoder' both time"),
    (lambda m: [ProfiledStage("a", m.encoder), ProfiledStage("a", m.decoder)], "two stages are named 'a'"),
    (lambda m: [ProfiledStage(OTHER, m.encoder)], "'other' is the profiler's own record"),
])
def test_ambiguous_declarations_are_refused_before_anything_is_hooked(stages: Any, message: str) -> None:
    model = _Declaring([])
    model.declared = stages(model)
    hooks_before = _hooks(model)
    with pytest.raises(ConfigError, match=message):
        StageProfiler(model)
    assert _hooks(model) == hooks_before and "generate" not in vars(model)


def test_tables_and_report_order_take_any_stage_names() -> None:
    _, records = _profiled(FakeModel(), [1])
    table = measured_table(records)
    assert [line.split()[0] for line in table.splitlines()[1:]] == list(records)
    stored = {name: records[name].to_dict() for name in sorted(records)}  # the results store sorts by name
    assert stage_order(stored) == list(records)
    stored_before_positions = {name: {k: v for k, v in record.items() if k != "position"}
                               for name, record in stored.items()}
    assert stage_order(stored_before_positions) == ["attention", "decode", "denoise", "encode", OTHER, END_TO_END]


def test_profile_model_uses_the_model_capabilities_and_media_files(tmp_path: Path) -> None:
    model = FakeModel(inputs=frozenset({"audio", "video"}))
    inputs, outputs = default_modalities(model.capabilities)
    assert (inputs, outputs) == (("video",), ("image",))  # no image input: the first medium it reads
    run = profile_model(model, ProfileConfig(batch_size=2, warmup=0, inputs=("video", "audio"), outputs=outputs))
    assert run.records[END_TO_END].throughput.units == 2 and run.dtype == "float32"
    assert [Path(source).suffix for source in model.seen_media] == [".mp4", ".wav", ".mp4", ".wav"]
    assert not any(Path(source).exists() for source in model.seen_media)  # the temporary folder is gone


def test_profile_model_refuses_what_the_model_cannot_do() -> None:
    model = FakeModel()
    with pytest.raises(ConfigError, match=r"fake-declared adapter reads no image \(its inputs: text only\)"):
        profile_model(model, ProfileConfig(warmup=0, inputs=("image",), outputs=("image",)))
    with pytest.raises(ConfigError, match=r"writes no audio, video \(its outputs: image\)"):
        profile_model(model, ProfileConfig(warmup=0, inputs=(), outputs=("image", "video", "audio")))
    with pytest.raises(ProfilingOptionError, match="kv_cache=off"):
        profile_model(model, ProfileConfig(warmup=0, inputs=(), outputs=("image",),
                                           options=SpeedOptions(kv_cache=False)))


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_pipeline("image", tmp_path_factory.mktemp("tiny-sd") / "pipeline")


def test_profile_command_times_the_diffusers_adapter_in_its_declared_stages(sd_folder: Path, capsys: Any) -> None:
    code = main(["profile", "--model", f"diffusers:{sd_folder}", "--steps", "2", "--batch-size", "2",
                 "--warmup", "0", "--json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["adapter"], document["source"]) == ("diffusers-text-to-image", str(sd_folder))
    assert (document["inputs"], document["outputs"]) == ([], ["image"])  # what a text-to-image model does
    stages = document["stages"]
    assert list(stages) == ["text_encoder", "unet", "vae_decode", OTHER, END_TO_END]
    # guidance: the prompts and the empty negative prompts of the batch go through the text encoder
    assert stages["text_encoder"]["units"] == 4 and stages["text_encoder"]["unit"] == "prompts"
    assert (stages["unet"]["calls"], stages["unet"]["unit"]) == (2, "steps")  # one call per step, both halves
    assert (stages["vae_decode"]["calls"], stages["vae_decode"]["units"]) == (1, 2)
    assert stages[END_TO_END]["units"] == 2 and document["prediction"] is None
    parts = sum(record["seconds"] for name, record in stages.items() if name != END_TO_END)
    assert parts == pytest.approx(stages[END_TO_END]["seconds"])


@pytest.mark.parametrize("flag", ["--predict", "--no-kv-cache", "--compare"])
def test_nextgpt_only_flags_are_refused_for_an_adapter(sd_folder: Path, flag: str, capsys: Any) -> None:
    assert main(["profile", "--model", f"diffusers:{sd_folder}", flag]) == 2
    assert f"profile {flag}: for NExT-GPT only" in capsys.readouterr().err
