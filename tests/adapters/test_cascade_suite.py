"""The tiny cascade as a user's would be: every component a tiny folder saved in its library's own format, a
``model.json`` beside them, loaded through ``load_cascade`` and run on the whole default suite.

Slow: writing the seven folders takes ~20 s and the suite ~2 min on 2 busy cores, most of it the captioning
tasks' METEOR (a Java process per task); the cascade's own generations take a few seconds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks.runner.runner import BenchmarkRunner, RunSettings
from benchmarks.store import ResultsStore
from benchmarks.tasks.task import get_task, suite_tasks
from metrics.captions import meteor
from metrics.errors import MetricUnavailableError
from nextgpt.adapters.cascade import Cascade
from nextgpt.adapters.cascade_config import check_cascade_config, load_cascade
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError, MissingWeightsError
from nextgpt.core.interface import AnyToAnyModel, Capabilities
from nextgpt.tiny_baselines.cascade_folder import write_tiny_cascade

pytestmark = pytest.mark.slow


def _no_java() -> Path:
    raise MetricUnavailableError("METEOR is left out of this test (tests/metrics checks it against pycocoevalcap)")


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_cascade(tmp_path_factory.mktemp("tiny-cascade") / "cascade")


@pytest.fixture(scope="module")
def cascade(config_file: Path) -> Cascade:
    return load_cascade(config_file, AdapterSettings())


def test_the_tiny_cascade_loads_from_its_folders_and_describes_them(cascade: Cascade, config_file: Path) -> None:
    check_cascade_config(config_file)
    assert isinstance(cascade, AnyToAnyModel)
    assert cascade.capabilities == Capabilities.any_to_any()
    description = cascade.describe()
    assert description["adapter"] == "cascade" and description["source"] == str(config_file)
    components = description["components"]
    assert isinstance(components, dict)
    assert {role: part["source"] for role, part in components.items()} == {  # type: ignore[index]
        "captioner.image": str(config_file.parent / "captioner-image"),
        "captioner.video": str(config_file.parent / "captioner-video"),
        "captioner.audio": str(config_file.parent / "captioner-audio"),
        "llm": str(config_file.parent / "llm"),
        "generator.image": str(config_file.parent / "generator-image"),
        "generator.video": str(config_file.parent / "generator-video"),
        "generator.audio": str(config_file.parent / "generator-audio")}
    json.dumps(description)
    stages = [stage.name for stage in cascade.profiled_stages()]
    assert any(name.startswith("llm.") for name in stages)
    assert all(any(name.startswith(f"{role}.") for name in stages) for role in components)


@pytest.mark.slow
@pytest.mark.e2e  # every task of the default suite through the tiny cascade: two minutes of CPU (CI: pytest -m e2e)
def test_the_tiny_cascade_runs_every_task_of_the_default_suite(cascade: Cascade, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTGPT_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(meteor, "meteor_jar", _no_java)  # a JVM start per captioning task: most of the test's time
    tasks = tuple(task.name for task in suite_tasks("default"))
    assert len(tasks) == 10
    settings = RunSettings(tasks=tasks, limit=2, bootstrap=0, extractors="toy", batch_size=2)
    summary = BenchmarkRunner(cascade, ResultsStore(tmp_path / "store"), settings, progress=None).run()
    assert summary.skipped == {}
    assert sorted(summary.tasks) == sorted(tasks)
    for name, task in summary.tasks.items():
        assert task.n == 2, name
        headline = get_task(name).headline_metric
        assert isinstance(task.metrics[headline], float), f"{name}: its headline {headline} was not computed"
    # the cascade has no signal tokens: every produced medium is recorded 'unsignalled', so the dialogue counts it but
    # signal_rate and signal_exact are not applicable (unavailable), never a 0 that would compare as worse
    assert summary.tasks["t2i"].metrics["signal_rate"] is None
    assert summary.tasks["t2i"].metrics["signal_exact"] is None


def test_each_component_folder_is_checked_against_its_field(config_file: Path, tmp_path: Path) -> None:
    def write(**changes: object) -> Path:
        config = {**json.loads(config_file.read_text(encoding="utf-8")), **changes}
        edited = config_file.parent / "edited.json"
        edited.write_text(json.dumps(config), encoding="utf-8")
        return edited

    base = json.loads(config_file.read_text(encoding="utf-8"))
    swapped = write(captioners={**base["captioners"], "video": "captioner-audio"})
    with pytest.raises(ConfigError, match=rf"cascade config {swapped}: captioners.video: .*captioner-audio is a "
                                          r"audio captioner, not a video one"):
        check_cascade_config(swapped)
    swapped = write(generators={**base["generators"], "image": "generator-audio"})
    with pytest.raises(ConfigError, match=r"generators.image: .*generator-audio is a AudioLDMPipeline, which "
                                          r"writes audio, not image"):
        check_cascade_config(swapped)
    missing = write(llm="no-such-llm")
    with pytest.raises(MissingWeightsError, match=rf"cascade config {missing}: llm: .*no-such-llm is not a folder"):
        check_cascade_config(missing)
    not_an_llm = write(llm="captioner-image")
    with pytest.raises(ConfigError, match=r"cascade config .*: llm: "):
        check_cascade_config(not_an_llm)
    option = write(generators={**base["generators"], "audio": {"path": "generator-audio", "num_frames": 3}})
    with pytest.raises(ConfigError, match=r"generators.audio: option\(s\) num_frames do not apply to a "
                                          r"AudioLDMPipeline; it takes audio_length_in_s"):
        check_cascade_config(option)
    # option values are checked too, by the adapter's own check, before anything loads
    short = write(generators={**base["generators"], "audio": {"path": "generator-audio", "audio_length_in_s": 0.01}})
    with pytest.raises(ConfigError, match=r"generators.audio.audio_length_in_s: expected at least 0.032 s .* got "
                                          r"0.01"):
        check_cascade_config(short)
    # a ViT-GPT2 captioner decodes without a prefix: the check says so (not the load)
    prefixed = write(captioners={**base["captioners"], "image": {"path": "captioner-image", "prefix": "a"}})
    with pytest.raises(ConfigError, match=r"captioners.image: option\(s\) prefix do not apply to the "
                                          r"transformers-captioner of .*; it takes none \(only blip and git"):
        check_cascade_config(prefixed)
    twice = write()
    with pytest.raises(ConfigError, match=r"settings.num_inference_steps is also given by the command"):
        load_cascade(twice, AdapterSettings(num_inference_steps=3))


def test_a_changed_file_of_any_component_changes_the_fingerprint(config_file: Path, cascade: Cascade,
                                                                  tmp_path: Path) -> None:
    copy = tmp_path / "cascade"
    shutil.copytree(config_file.parent, copy)
    copied = copy / config_file.name
    assert load_cascade(copied, AdapterSettings()).fingerprint() == cascade.fingerprint(), "moving keeps it"
    tokenizer = copy / "llm" / "tokenizer_config.json"
    tokenizer.write_text(tokenizer.read_text(encoding="utf-8").replace("{", '{"edited": true, ', 1), encoding="utf-8")
    assert load_cascade(copied, AdapterSettings()).fingerprint() != cascade.fingerprint()


def test_writing_the_tiny_cascade_never_replaces_a_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{tmp_path} already exists and is not an empty folder; choose a new "
                                          "folder for the tiny cascade"):
        write_tiny_cascade(tmp_path)
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"
    # not even a folder that holds a cascade config: it may be the user's own cascade beside their downloads
    own = tmp_path / "own"
    own.mkdir()
    (own / "model.json").write_text('{"adapter": "cascade"}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"already exists and is not an empty folder"):
        write_tiny_cascade(own)
    assert [path.name for path in own.iterdir()] == ["model.json"]
