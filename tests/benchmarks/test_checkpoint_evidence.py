"""The checkpoint-evidence tables and the rule of benchmarks/test_bench_trained_checkpoint.py, on made-up run
summaries (no model runs): rows, separation, the decoder-alone vs through-NExT-GPT table, which decoders a
checkpoint bundles, and which failures the rule reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks.checkpoint_evidence import (
    EVIDENCE_METRICS,
    NO_BUNDLED_DECODERS,
    DecoderPathRow,
    EvidenceRow,
    bundled_decoders,
    decoder_alone_adapter,
    decoder_path_markdown,
    decoder_path_rows,
    evidence_failures,
    evidence_rows,
)
from benchmarks.runner.runner import RunSummary, TaskSummary
from nextgpt.core.errors import ConfigError
from nextgpt.model.pretrained import SHIPPED_CHECKPOINTS

Interval = tuple[float, float]


def summary(scores: dict[str, dict[str, tuple[float, Interval]]], n: int = 48) -> RunSummary:
    """A RunSummary whose task -> metric -> (value, CI) are given."""
    return RunSummary(run_id="r", resumed=False, tasks={
        task: TaskSummary(metrics={m: value for m, (value, _) in metrics.items()},
                          ci={m: list(ci) for m, (_, ci) in metrics.items()}, n=n)
        for task, metrics in scores.items()})


def attributes(value: float, low: float, high: float) -> dict[str, tuple[float, Interval]]:
    return {"attribute_accuracy": (value, (low, high))}


def test_the_table_reports_text_to_x_attribute_accuracy() -> None:
    for task in ("t2i", "t2v", "t2a"):
        assert (task, "attribute_accuracy") in EVIDENCE_METRICS
    untrained = summary({"t2i": attributes(0.13, 0.08, 0.18)})
    trained = summary({"t2i": attributes(0.32, 0.25, 0.40)})
    rows = [row for row in evidence_rows(untrained, trained) if row.metric == "attribute_accuracy"]
    assert [(r.task, r.untrained, r.trained, r.trained_ci, r.separated) for r in rows] == [
        ("t2i", 0.13, 0.32, (0.25, 0.40), True)]


def test_decoder_path_rows_pair_the_three_runs_of_each_task() -> None:
    untrained = summary({"t2i": attributes(0.13, 0.08, 0.18), "t2v": attributes(0.13, 0.09, 0.17),
                         "t2a": attributes(0.0, 0.0, 0.0)})
    trained = summary({"t2i": attributes(0.32, 0.25, 0.40), "t2v": attributes(0.23, 0.17, 0.30),
                       "t2a": attributes(0.29, 0.20, 0.38)})
    alone = {"t2a": summary({"t2a": attributes(0.47, 0.38, 0.56)}),
             "t2i": summary({"t2i": attributes(0.57, 0.50, 0.64)})}  # no video decoder bundled
    rows = decoder_path_rows(untrained, trained, alone)
    assert [row.task for row in rows] == ["t2i", "t2a"]  # DECODER_TASKS order, only the decoders run alone
    image = rows[0]
    assert (image.metric, image.n, image.untrained, image.alone, image.through) == (
        "attribute_accuracy", 48, 0.13, 0.57, 0.32)
    assert image.alone_ci == (0.50, 0.64) and image.through_ci == (0.25, 0.40)
    assert image.gap == pytest.approx(-0.25)


def test_decoder_path_separation_needs_the_whole_interval_above_the_untrained_one() -> None:
    def row(alone_ci: Interval | None, through_ci: Interval | None) -> DecoderPathRow:
        return DecoderPathRow("t2i", "attribute_accuracy", 48, 0.13, (0.08, 0.18), 0.5, alone_ci, 0.3, through_ci)

    assert row((0.19, 0.6), (0.25, 0.4)).alone_separated and row((0.19, 0.6), (0.25, 0.4)).through_separated
    assert not row((0.18, 0.6), (0.10, 0.4)).alone_separated  # touching the untrained upper bound is not above
    assert not row((0.18, 0.6), (0.10, 0.4)).through_separated
    assert not row(None, None).alone_separated and not row(None, None).through_separated
    missing = DecoderPathRow("t2i", "attribute_accuracy", 48, None, None, None, None, 0.3, (0.2, 0.4))
    assert missing.gap is None and not missing.through_separated


def test_decoder_path_markdown_shows_each_path_and_the_gap() -> None:
    rows = [DecoderPathRow("t2i", "attribute_accuracy", 48, 0.13, (0.08, 0.18), 0.57, (0.5, 0.64), 0.32,
                           (0.25, 0.4)),
            DecoderPathRow("t2a", "attribute_accuracy", 48, 0.0, (0.0, 0.0), 0.1, (0.0, 0.2), None, None)]
    lines = decoder_path_markdown(rows).splitlines()
    assert lines[0].startswith("| task | metric | n | untrained tiny (95% CI) | decoder alone (95% CI) | "
                               "through NExT-GPT (95% CI) | through - alone |")
    assert lines[2] == ("| t2i | attribute_accuracy | 48 | 0.130 [0.080, 0.180] | 0.570 [0.500, 0.640] | "
                        "0.320 [0.250, 0.400] | -0.250 | yes | yes |")
    assert lines[3] == ("| t2a | attribute_accuracy | 48 | 0.000 [0.000, 0.000] | 0.100 [0.000, 0.200] | n/a | n/a | "
                        "no | no |")


def test_without_bundled_decoders_the_table_says_so() -> None:
    assert decoder_path_markdown([]) == NO_BUNDLED_DECODERS
    assert "bundles no pre-trained decoders" in NO_BUNDLED_DECODERS


def passing_rows() -> list[EvidenceRow]:
    """Every row the rule reads, each separated."""
    return [EvidenceRow(task, metric, 48, 0.0, (0.0, 0.0), 0.5, (0.4, 0.6)) for task, metric in EVIDENCE_METRICS]


def path_row(task: str, alone_ci: Interval) -> DecoderPathRow:
    return DecoderPathRow(task, "attribute_accuracy", 48, 0.1, (0.05, 0.15), 0.5, alone_ci, 0.3, (0.2, 0.4))


def test_the_rule_passes_a_checkpoint_that_shows_everything() -> None:
    path_rows = [path_row(task, (0.4, 0.6)) for task in ("t2i", "t2v", "t2a")]
    assert evidence_failures(passing_rows(), path_rows, ["image", "video", "audio"]) == []


def test_without_bundled_decoders_the_rule_skips_text_to_x_attributes_only() -> None:
    rows = [row if row.metric != "attribute_accuracy" or not row.task.startswith("t2") else
            EvidenceRow(row.task, row.metric, 48, 0.13, (0.08, 0.18), 0.12, (0.07, 0.17)) for row in passing_rows()]
    assert evidence_failures(rows, [], []) == []
    assert evidence_failures(rows, [], ["video"]) == [
        "t2v: the checkpoint bundles a video decoder, but its videos through NExT-GPT do not show the asked-for "
        "attributes more often than the untrained model's",
        "t2v: the checkpoint bundles a video decoder, but it was not run alone"]


def test_the_rule_fails_a_bundled_decoder_that_alone_is_not_above_untrained() -> None:
    path_rows = [path_row("t2i", (0.4, 0.6)), path_row("t2a", (0.1, 0.3))]  # overlaps the untrained (0.05, 0.15)
    assert evidence_failures(passing_rows(), path_rows, ["image", "audio"]) == [
        "t2a: the bundled audio decoder alone does not show the asked-for attributes more often than the untrained "
        "model"]


def test_the_rule_still_checks_captions_and_signal_tokens() -> None:
    rows = [row if (row.task, row.metric) not in {("caption-video", "cider"), ("t2a", "signal_exact")} else
            EvidenceRow(row.task, row.metric, 48, 0.0, (0.0, 0.1), 0.05, (0.0, 0.1)) for row in passing_rows()]
    assert evidence_failures(rows, [], []) == [
        "caption-video: CIDEr of the trained model is not above the untrained one",
        "t2a: correct signal-token rate is not above the untrained one"]


def checkpoint_with_image_decoder(tmp_path: Path, decoder_path: str) -> Path:
    """The shipped checkpoint's config with ``decoders.image.path`` set (its other parts named at their shipped
    places, outside this folder), and a pipeline index at the bundled place (only config files:
    ``bundled_decoders`` reads no weights)."""
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    shutil.copy(SHIPPED_CHECKPOINTS["tiny-trained"] / "config.json", folder / "config.json")
    data = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    data["config"]["decoders"]["image"].update(path=decoder_path, architecture=None)
    shipped = SHIPPED_CHECKPOINTS["tiny-trained"]  # its bundled LLM and encoder, named where they are
    data["config"]["llm"]["path"] = str(shipped / data["config"]["llm"]["path"])
    data["config"]["encoder"]["checkpoint"] = str(shipped / data["config"]["encoder"]["checkpoint"])
    for modality in ("video", "audio"):  # the shipped decoders, named where they are: outside this folder
        decoder = data["config"]["decoders"][modality]
        if decoder["path"] is not None and not Path(decoder["path"]).is_absolute():
            decoder["path"] = str(shipped / decoder["path"])
    (folder / "config.json").write_text(json.dumps(data), encoding="utf-8")
    index = (folder / decoder_path if not Path(decoder_path).is_absolute() else Path(decoder_path))
    index.mkdir(parents=True, exist_ok=True)
    (index / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}),
                                            encoding="utf-8")
    return folder


def test_the_shipped_checkpoint_bundles_the_decoders_its_config_names() -> None:
    config = json.loads((SHIPPED_CHECKPOINTS["tiny-trained"] / "config.json").read_text(encoding="utf-8"))
    expected = {m for m in ("image", "video", "audio") if config["config"]["decoders"][m]["path"] is not None}
    assert set(bundled_decoders("tiny-trained")) == expected


def test_a_decoder_folder_inside_the_checkpoint_is_bundled(tmp_path: Path) -> None:
    folder = checkpoint_with_image_decoder(tmp_path, "decoders/image")
    assert bundled_decoders(folder) == {"image": (folder / "decoders" / "image").resolve()}


def test_a_decoder_folder_outside_the_checkpoint_is_not_bundled(tmp_path: Path) -> None:
    outside = tmp_path / "sd-folder"
    folder = checkpoint_with_image_decoder(tmp_path, str(outside))
    assert bundled_decoders(folder) == {}
    with pytest.raises(ConfigError, match=r"bundles no image decoder"):
        decoder_alone_adapter(folder, "image")
