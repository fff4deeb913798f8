"""Cross-modal cycle tasks: the declarations (legs, metrics per leg, the `cycle` suite with each reference next to
its cycle), the runner (legs as turns, each built from the previous leg's stored output, cached with it, resumed
only when complete, a broken chain scored as a failure), capability skips per leg, and scoring against the source:
a model that knows the synthetic world answers every leg perfectly and the cycle scores as perfect."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from synthetic_world_model import WorldModel, digest

from benchmarks.datasets.registry import resolve_dataset
from benchmarks.runner.keys import sample_seed
from benchmarks.runner.runner import BenchmarkRunner, RunSettings, RunSummary
from benchmarks.store import ResultsStore
from benchmarks.tasks import get_task, suite_tasks
from benchmarks.tasks.legs import Leg, leg_problems
from benchmarks.tasks.task import Task, cycle_task
from nextgpt.core.errors import TaskError
from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import GenerationRequest, GenerationResult


@pytest.fixture(autouse=True)
def no_meteor(monkeypatch: pytest.MonkeyPatch) -> None:
    """METEOR starts a JVM per scored text task (most of these tests' time); tests/metrics checks it."""
    from metrics.captions import meteor

    monkeypatch.setattr(meteor, "meteor_jar", _no_java)


def _no_java() -> Path:
    from metrics.errors import MetricUnavailableError

    raise MetricUnavailableError("METEOR is left out of this test (tests/metrics checks it against pycocoevalcap)")


@pytest.fixture(scope="module", autouse=True)
def private_dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def _run(model: WorldModel, store: ResultsStore, tasks: tuple[str, ...], limit: int = 2) -> RunSummary:
    settings = RunSettings(tasks=tasks, limit=limit, bootstrap=0, extractors="toy")
    return BenchmarkRunner(model, store, settings, progress=None).run()  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- declarations
def test_the_cycle_suite_holds_every_cycle_followed_by_its_reference() -> None:
    names = [task.name for task in suite_tasks("cycle")]
    assert names == [f"cycle-{kind}{suffix}" for kind in ("image", "video", "audio", "text-image", "text-video",
                                                          "text-audio") for suffix in ("", "-reference")]
    assert {task.group for task in suite_tasks("cycle")} == {"cycle"}
    assert "cycle-image" not in [task.name for task in suite_tasks("default")]


def test_each_metric_is_declared_on_the_leg_it_reads() -> None:
    text_image = get_task("cycle-text-image")
    caption = ("cider", "bleu4", "meteor", "attribute_accuracy", "colour_accuracy", "shape_accuracy",
               "size_accuracy", "background_accuracy")
    assert [(leg.output, leg.metrics) for leg in text_image.legs] == [("image", ("clip_t",)), ("text", caption)]
    assert text_image.metrics[0] == "cider" == text_image.headline_metric, "the final leg's metrics come first"
    image = get_task("cycle-image")
    assert image.output == "image" and image.legs[0].media == "sample" and "clip_i" in image.legs[1].metrics
    assert get_task("cycle-image-reference").legs[0].given
    assert get_task("cycle-text-audio-reference").legs[0] == Leg("audio", given=True)
    scoring = text_image.scoring()
    assert [(leg.turn, leg.output, leg.metrics) for leg in scoring.legs] == [
        (0, "image", ("clip_t",)), (1, "text", caption)]
    assert get_task("cycle-audio").legs[1].metrics == ("mel_distance", "attribute_accuracy", "pitch_accuracy",
                                                        "pattern_accuracy")


def test_the_legs_ask_what_the_single_step_tasks_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caption and generation prompts come from caption-X and t2x, so changing those changes the cycles."""
    import dataclasses

    from benchmarks.tasks import cycles, task

    for modality, text_to in (("image", "t2i"), ("video", "t2v"), ("audio", "t2a")):
        caption, generate = get_task(f"caption-{modality}").prompt, get_task(text_to).prompt
        assert get_task(f"cycle-{modality}").legs[0].prompt == caption
        assert get_task(f"cycle-{modality}").legs[1].prompt == generate.replace("{caption}", "{previous}")
        assert get_task(f"cycle-text-{modality}").legs[0].prompt == generate
        assert get_task(f"cycle-text-{modality}").legs[1].prompt == caption
    monkeypatch.setitem(task._TASKS, "t2i", dataclasses.replace(get_task("t2i"), prompt="Paint {caption}, please."))
    assert cycles._generate("image", "{previous}") == "Paint {previous}, please."


@pytest.mark.parametrize(("legs", "problem"), [
    ((Leg("text", "Describe.", "sample"),), "at least 2 legs"),
    ((Leg("text", "Describe.", "sample"), Leg("image", "Generate an image.", "none")), "does not contain {previous}"),
    ((Leg("image", "Generate {caption}."), Leg("text", "Describe.", "none")), "does not read it"),
    ((Leg("text", "Describe.", "sample"), Leg("image", "Of {previous}.", given=True)), "only the first leg"),
    ((Leg("text", "Describe.", "previous"), Leg("image", "Of {previous}.")), "no previous leg to read"),
    ((Leg("image", "Of {caption}.", metrics=("cider",)), Leg("text", "Describe.", "previous")),
     "metric cider does not apply to image output"),
    ((Leg("image", "Of {caption}.", metrics=("clip_i",)), Leg("text", "D.", "previous"),
      Leg("image", "Of {previous}.", metrics=("clip_i",))), "declared on legs 0 and 2"),
    ((Leg("text", "Describe.", "sample"), Leg("image", "Of {previous}.", "previous")),
     "leg 1: the previous leg produces text, so there is no medium to read"),
    ((Leg("image", "Of {caption}.", metrics=("fid",)), Leg("text", "D.", "previous"),
      Leg("image", "Of {previous}.", metrics=("kid",))), "declared on legs 0, 2"),
])
def test_a_bad_cycle_is_refused_naming_the_leg(legs: tuple[Leg, ...], problem: str) -> None:
    assert any(problem in p for p in leg_problems(legs)), leg_problems(legs)
    with pytest.raises(TaskError, match="task broken"):
        cycle_task("broken", "image-captions", legs, description="")


def test_a_cycles_metrics_must_be_its_legs_metrics() -> None:
    legs = (Leg("text", "Describe.", "sample"), Leg("image", "Of {previous}.", metrics=("clip_i",)))
    with pytest.raises(TaskError, match="exactly the legs' metrics"):
        Task(name="odd", family="image-captions", output="image", metrics=("clip_i", "fid"), prompt="",
             uses_inputs=True, legs=legs)
    with pytest.raises(TaskError, match="generated leg by leg"):
        get_task("cycle-image").requests(resolve_dataset("image-captions", None, limit=1).samples[0], 0)


# ------------------------------------------------------------------------------------------------- runner
def test_each_leg_is_built_from_the_previous_legs_output_and_stored_as_its_turn(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    model = WorldModel()
    summary = _run(model, store, ("cycle-image",))
    assert summary.tasks["cycle-image"].generated == 4 and summary.tasks["cycle-image"].n == 2
    recorded = store.recorded(summary.run_id, "cycle-image")
    assert sorted(recorded) == [("image-0000", 0), ("image-0000", 1), ("image-0001", 0), ("image-0001", 1)]
    dataset = resolve_dataset("image-captions", None, limit=2)
    for index, sample in enumerate(dataset.samples):
        caption, regenerate = model.requests[2 * index], model.requests[2 * index + 1]
        seed = sample_seed(0, "cycle-image", sample.id)
        assert (caption.seed, regenerate.seed) == (seed, seed + 1), "each leg has its own seed"
        assert caption.media[0].source == sample.inputs[0].path and not caption.want
        assert recorded[(sample.id, 0)].text == sample.captions[0]
        assert regenerate.text == f"Generate an image of {sample.captions[0]}." and not regenerate.media
        assert regenerate.want == frozenset({"image"}) == regenerate.allowed_outputs
        assert len(recorded[(sample.id, 1)].media) == 1


def test_a_medium_goes_to_the_next_leg_as_the_stored_file(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    model = WorldModel()
    summary = _run(model, store, ("cycle-text-video",), limit=1)
    describe = model.requests[1]
    generated = store.recorded(summary.run_id, "cycle-text-video")[("video-0000", 0)].media[0]
    assert describe.media[0].modality == "video" and Path(describe.media[0].source) == store.media_path(generated)
    assert describe.text == "Describe this video in one sentence."


def test_the_cache_never_serves_a_leg_for_a_different_previous_output(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    first = WorldModel()
    _run(first, store, ("cycle-image",))
    again = _run(WorldModel(), store, ("cycle-image",), limit=1)
    assert again.tasks["cycle-image"].cached == 2 and again.tasks["cycle-image"].generated == 0
    with store.transaction() as db:  # the cache keeps the image legs but forgets the captions
        db.execute("DELETE FROM run_samples WHERE task='cycle-image' AND turn=0")
        db.execute("DELETE FROM generations WHERE task='cycle-image' AND turn=0")
    other = WorldModel(caption_prefix="maybe ")
    other.fingerprint = first.fingerprint  # type: ignore[method-assign]  # the same identity, other captions
    changed = _run(other, store, ("cycle-image",))
    assert changed.tasks["cycle-image"].generated == 4
    samples = resolve_dataset("image-captions", None, limit=2).samples
    asked = [r.text for r in other.requests if r.want]
    assert asked == [f"Generate an image of maybe {s.captions[0]}." for s in samples]


class _KilledDuringTheImageLeg(WorldModel):
    """Answers the captioning leg, then dies while drawing (a crash inside generate, mid-cycle)."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        if any(request.want for request in requests):
            raise KeyboardInterrupt("killed while drawing leg 1")
        return super().generate(requests)


def test_a_cycle_killed_mid_sample_resumes_from_its_finished_legs(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(KeyboardInterrupt):
        _run(_KilledDuringTheImageLeg(), store, ("cycle-image",), limit=1)
    with store.transaction() as db:
        run_id, = db.execute("SELECT run_id FROM runs").fetchone()
    assert list(store.recorded(run_id, "cycle-image")) == [("image-0000", 0)], "the caption leg was kept"
    store.fail_run(run_id, "killed")
    model = WorldModel()
    resumed = _run(model, store, ("cycle-image",), limit=1)
    assert resumed.run_id == run_id and resumed.resumed
    assert [bool(r.want) for r in model.requests] == [True], "leg 0 is not asked again, only the unfinished leg"
    assert resumed.tasks["cycle-image"].cached == 1 and resumed.tasks["cycle-image"].generated == 1
    assert len(store.recorded(run_id, "cycle-image")) == 2


def test_a_reference_leg_is_the_ground_truth_not_a_request(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    model = WorldModel()
    summary = _run(model, store, ("cycle-image-reference", "cycle-text-audio-reference"), limit=1)
    assert [r.want for r in model.requests] == [frozenset({"image"}), frozenset()], "one request per cycle"
    image = store.recorded(summary.run_id, "cycle-image-reference")[("image-0000", 0)]
    sample = resolve_dataset("image-captions", None, limit=1).samples[0]
    assert image.text == sample.captions[0] and not image.media
    sound = store.recorded(summary.run_id, "cycle-text-audio-reference")[("audio-0000", 0)]
    source = resolve_dataset("audio-captions", None, limit=1).samples[0].inputs[0].path
    assert store.media_path(sound.media[0]).read_bytes() == source.read_bytes()
    assert digest(model.requests[1].media[0].source) == digest(source)


def test_a_broken_chain_is_recorded_and_scored_as_a_failure(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    model = WorldModel(produce=frozenset())  # says "here it is" and draws nothing
    summary = _run(model, store, ("cycle-text-image",))
    assert len(model.requests) == 2, "the captioning leg is never asked without its image"
    final = store.recorded(summary.run_id, "cycle-text-image")[("image-0001", 1)]
    assert final.text == "" and not final.media
    scores = summary.tasks["cycle-text-image"].metrics
    assert scores["attribute_accuracy"] == 0.0 and scores["cider"] == 0.0
    assert scores["clip_t"] is None, "no image was produced: unavailable, not zero"
    again = _run(WorldModel(produce=frozenset()), store, ("cycle-text-image",))
    assert again.tasks["cycle-text-image"].generated == 0 and again.tasks["cycle-text-image"].cached == 2


# ----------------------------------------------------------------------------------------- capabilities
def test_a_model_is_skipped_only_for_the_legs_it_cannot_do(tmp_path: Path) -> None:
    pictures = WorldModel(inputs=frozenset(), outputs=frozenset({"image"}))  # text -> image only
    summary = _run(pictures, ResultsStore(tmp_path / "store"),
                   ("cycle-image", "cycle-image-reference", "cycle-text-image", "cycle-text-image-reference"),
                   limit=1)
    assert list(summary.tasks) == ["cycle-image-reference"]
    assert summary.skipped == {
        "cycle-image": "the task gives the model image input but it reads text only",
        "cycle-text-image": "the task gives the model image input but it reads text only",
        "cycle-text-image-reference": "the task gives the model image input but it reads text only"}
    captioner = WorldModel(outputs=frozenset())
    summary = _run(captioner, ResultsStore(tmp_path / "other"), ("cycle-audio", "cycle-text-audio-reference"),
                   limit=1)
    assert list(summary.tasks) == ["cycle-text-audio-reference"]
    assert summary.skipped["cycle-audio"] == "the task asks for audio output (leg 1) but the model writes text only"


# ---------------------------------------------------------------------------------------------- scoring
@pytest.mark.parametrize("modality", MODALITIES)
def test_a_perfect_medium_cycle_scores_as_the_source(modality: Modality, tmp_path: Path) -> None:
    name = f"cycle-{modality}"
    summary = _run(WorldModel(), ResultsStore(tmp_path / "store"), (name, f"{name}-reference"))
    for task in (name, f"{name}-reference"):
        scores = summary.tasks[task].metrics
        if modality == "audio":
            assert scores["mel_distance"] == pytest.approx(0.0, abs=1e-6)
        else:
            assert scores["clip_i"] == pytest.approx(1.0, abs=1e-5), "the regenerated medium is the source"
        assert scores["attribute_accuracy"] == 1.0, "the verifiers read the source's scene off the regenerated one"


def test_a_cycle_that_draws_the_wrong_scene_or_nothing_scores_below_perfect(tmp_path: Path) -> None:
    wrong = _run(WorldModel(shift=True), ResultsStore(tmp_path / "wrong"), ("cycle-image",)).tasks["cycle-image"]
    assert wrong.metrics["attribute_accuracy"] < 1.0 and wrong.metrics["clip_i"] < 1.0 - 1e-4
    nothing = _run(WorldModel(produce=frozenset()), ResultsStore(tmp_path / "nothing"), ("cycle-image",))
    scores = nothing.tasks["cycle-image"].metrics
    assert scores["attribute_accuracy"] == 0.0 == scores["colour_accuracy"], "no medium: the cycle failed"
    assert scores["clip_i"] is None


def test_a_perfect_text_cycle_scores_its_final_caption_and_its_intermediate_medium(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    summary = _run(WorldModel(), store, ("cycle-text-image", "cycle-text-image-reference"))
    perfect, reference = (summary.tasks[t].metrics for t in ("cycle-text-image", "cycle-text-image-reference"))
    assert perfect["attribute_accuracy"] == 1.0 and perfect["cider"] > 1.0
    assert perfect == reference, "the model draws exactly the dataset's render, so the reference is the same"
    per_sample = store.sample_scores(summary.run_id, "cycle-text-image")
    assert set(per_sample["clip_t"]) == set(per_sample["cider"]) == {"image-0000", "image-0001"}
    wrong = WorldModel(caption_prefix="a blurry ")
    assert np.isfinite(_run(wrong, ResultsStore(tmp_path / "b"), ("cycle-text-image",)).tasks[
        "cycle-text-image"].metrics["cider"])


# ------------------------------------------------------------------------------------- real models (slow)
@pytest.mark.slow
@pytest.mark.e2e  # every cycle of the suite through the real tiny model: a minute or more (CI: pytest -m e2e)
def test_the_tiny_model_runs_the_cycle_suite_through_the_cli(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from benchmarks.cli import main

    code = main(["run", "--preset", "tiny", "--suite", "cycle", "--limit", "1", "--bootstrap", "0", "--store",
                 str(tmp_path / "store"), "--no-report", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["skipped"] == {} and list(summary["tasks"]) == [t.name for t in suite_tasks("cycle")]
    for name, task in summary["tasks"].items():
        assert task["n"] == 1, name
        assert isinstance(task["metrics"][get_task(name).headline_metric], float), name
    stored = ResultsStore(tmp_path / "store").recorded(summary["run_id"], "cycle-text-video")
    assert sorted(turn for _, turn in stored) == [0, 1]


@pytest.mark.slow
def test_the_tiny_cascade_runs_the_same_cycles(tmp_path: Path) -> None:
    """The cascade baseline is the cycles' other reference point: the same tasks, nothing of its own (a medium
    cycle, a text cycle and a reference twin of the suite; the CLI test above runs the whole suite)."""
    from nextgpt.adapters.cascade_config import load_cascade
    from nextgpt.adapters.settings import AdapterSettings
    from nextgpt.tiny_baselines.cascade_folder import write_tiny_cascade

    cascade = load_cascade(write_tiny_cascade(tmp_path / "cascade"), AdapterSettings())
    tasks = ("cycle-image", "cycle-text-audio", "cycle-video-reference")
    summary = BenchmarkRunner(cascade, ResultsStore(tmp_path / "store"),
                              RunSettings(tasks=tasks, limit=1, bootstrap=0, extractors="toy"), progress=None).run()
    assert summary.skipped == {} and sorted(summary.tasks) == sorted(tasks)
    for name, task in summary.tasks.items():
        assert task.n == 1 and isinstance(task.metrics[get_task(name).headline_metric], float), name
