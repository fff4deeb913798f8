"""The cycle tasks in reports, compare and gate: a `cycle` group in the overview and the metric tables (each
reference next to its cycle), per-sample pairing in compare, and gate rules on cycle metrics -- on runs of a model
that knows the synthetic world (perfect) and of the same model drawing the wrong sample (degraded)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from report_helpers import cli
from synthetic_world_model import WorldModel

TASKS = ("cycle-image", "cycle-image-reference", "cycle-text-image")


def _no_java() -> Path:
    from metrics.errors import MetricUnavailableError

    raise MetricUnavailableError("METEOR is left out of this test (a JVM start per text task; tests/metrics checks it)")


@dataclass(frozen=True)
class CycleRuns:
    store_dir: Path
    perfect: str
    degraded: str


@pytest.fixture(scope="module")
def cycle_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CycleRuns]:
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings
    from benchmarks.store import ResultsStore
    from metrics.captions import meteor

    root = tmp_path_factory.mktemp("cycle-runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEXTGPT_BENCH_CACHE", str(root / "cache"))
        patch.setattr(meteor, "meteor_jar", _no_java)
        store = ResultsStore(root / "store")
        settings = RunSettings(tasks=TASKS, limit=3, bootstrap=50, extractors="toy")
        perfect, degraded = (BenchmarkRunner(model, store, settings, progress=None).run().run_id  # type: ignore[arg-type]
                             for model in (WorldModel(), WorldModel(shift=True)))
        store.close()
        yield CycleRuns(root / "store", perfect, degraded)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_report_shows_the_cycle_group_with_each_reference_beside_its_cycle(
        cycle_runs: CycleRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = cli(["report", cycle_runs.perfect, "--store", str(cycle_runs.store_dir), "--out",
                                str(tmp_path / "report")], capsys)
    assert code == 0, stderr
    page = Path(stdout.strip()).read_text(encoding="utf-8")
    overview = _text(page[page.index("<h2 id=\"overview\">"):page.index("<h2 id=\"samples\">")])
    metrics = _text(page[page.index("<h2 id=\"metrics\">"):page.index("<h2 id=\"plots\">")])
    for section in (overview, metrics):
        assert "Cycle consistency" in section.split("cycle-image")[0], "the group is titled before its tasks"
        positions = [section.index(f" {task} ") for task in TASKS]
        assert positions == sorted(positions), "in registration order: each reference right after its cycle"
    for metric in ("clip_i", "cider", "clip_t", "attribute_accuracy"):
        assert metric in metrics


def test_every_task_group_has_a_title() -> None:
    from benchmarks.tasks import TASK_GROUPS
    from reports.overview_html import GROUP_TITLES

    assert set(TASK_GROUPS) <= set(GROUP_TITLES), "a group without a title shows as its key"


def test_compare_pairs_cycle_metrics_per_sample(cycle_runs: CycleRuns, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(["compare", cycle_runs.perfect, cycle_runs.degraded, "--store", str(cycle_runs.store_dir),
                          "--bootstrap", "50", "--set-groups", "0", "--json"], capsys)
    assert code == 0, err
    rows = {(row["task"], row["metric"]): row for row in json.loads(out)["rows"]}
    assert {task for task, _ in rows} == set(TASKS)
    final = rows[("cycle-text-image", "attribute_accuracy")]
    assert final["b"] < final["a"] == 1.0, "captions of the wrong render name the wrong scene"
    assert final["ci"] is not None, "a per-sample metric of a cycle is paired sample by sample"
    assert rows[("cycle-image", "clip_i")]["b"] < rows[("cycle-image", "clip_i")]["a"]


def test_gate_judges_cycle_metrics(cycle_runs: CycleRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"metrics": {"cycle-text-image/attribute_accuracy": {"tolerance_abs": 0.01},
                                             "*": {"ignore": True}}}))
    command = ["gate", cycle_runs.degraded, "--baseline", cycle_runs.perfect, "--store", str(cycle_runs.store_dir),
               "--bootstrap", "50", "--set-groups", "0", "--rules", str(rules)]
    code, out, _ = cli(command, capsys)
    assert code == 1, out
    assert any(line.startswith("FAIL") and "cycle-text-image" in line and "attribute_accuracy" in line
               for line in out.splitlines()), out
    code, out, _ = cli(["gate", cycle_runs.perfect, "--baseline", cycle_runs.perfect, "--store",
                        str(cycle_runs.store_dir), "--bootstrap", "50", "--set-groups", "0"], capsys)
    assert code == 0, out


def test_the_leaderboard_has_a_cycle_table(cycle_runs: CycleRuns) -> None:
    from benchmarks.store import ResultsStore
    from leaderboards.board import build_leaderboard
    from reports.rundata import load_from_store

    store = ResultsStore(cycle_runs.store_dir)
    board = build_leaderboard([load_from_store(store, run) for run in (cycle_runs.perfect, cycle_runs.degraded)],
                              include_paper=False)
    tables = board.group_tables()
    assert list(tables) == ["cycle"]
    assert list(dict.fromkeys(task for task, _ in tables["cycle"].columns)) == list(TASKS)
    assert list(board.headline().columns) == list(TASKS)
    assert "## cycle" in board.to_markdown()


def test_the_gallery_shows_each_leg_with_its_prompt_and_the_scores_it_declares(cycle_runs: CycleRuns) -> None:
    from benchmarks.datasets.registry import resolve_dataset
    from benchmarks.store import ResultsStore
    from reports.gallery import gallery_items

    store = ResultsStore(cycle_runs.store_dir)
    settings = store.run(cycle_runs.perfect)["settings"]
    caption = resolve_dataset("image-captions", None, limit=1).samples[0].captions[0]
    for task, first_prompt in (("cycle-image", "Describe this image in one sentence."),
                               ("cycle-image-reference", "(ground truth)")):
        scores = store.sample_scores(cycle_runs.perfect, task)
        first, last = gallery_items(store, cycle_runs.perfect, task, scores, settings, 1)
        assert (first.turn, first.prompt, last.turn) == (0, first_prompt, 1)
        assert last.prompt == f"Generate an image of {caption}." and first.text == caption
        assert len(first.inputs) == (task == "cycle-image") and not last.inputs
        assert not first.scores and last.scores["clip_i"] == pytest.approx(1.0, abs=1e-5)
    scores = store.sample_scores(cycle_runs.perfect, "cycle-text-image")
    image, text = gallery_items(store, cycle_runs.perfect, "cycle-text-image", scores, settings, 1)
    assert {m.split("[")[0] for m in image.scores} == {"clip_t"}, "the intermediate image's card shows its CLIP-T"
    assert "cider" in text.scores and not any(m.startswith("clip_t") for m in text.scores)
