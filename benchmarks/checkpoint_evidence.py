"""Does a checkpoint beat the untrained model?  Both run the same tasks on the same held-out samples (the
synthetic world's *test* split; training only ever sees the *train* split) and each metric is shown with its
bootstrap 95% CI, so a reader can tell a real gain from noise.  Used by
``benchmarks/test_bench_trained_checkpoint.py`` (whose printed tables are the ones in docs/training.md).

A second table asks the paper's question of how much the LLM path loses: a checkpoint that bundles its pre-trained
decoders (``decoders/<modality>`` diffusers pipeline folders) is scored on t2i / t2v / t2a attribute accuracy with
each decoder *alone* (the diffusers adapter, conditioned on the decoder's own text encoder with the task's
prompt) and *through NExT-GPT* (conditioned on the LLM's signal tokens), on the same samples, beside the untrained
model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nextgpt.core.errors import ConfigError
from nextgpt.core.modalities import Modality

#: (task, metric) pairs the table of docs/training.md reports: captioning quality, the rate of correct signal
#: tokens and whether generated media show the asked-for attributes (read back by the synthetic world's verifiers)
EVIDENCE_METRICS: tuple[tuple[str, str], ...] = (
    ("caption-image", "bleu4"), ("caption-image", "cider"), ("caption-image", "attribute_accuracy"),
    ("caption-video", "bleu4"), ("caption-video", "cider"), ("caption-video", "attribute_accuracy"),
    ("caption-audio", "bleu4"), ("caption-audio", "cider"), ("caption-audio", "attribute_accuracy"),
    ("t2i", "signal_exact"), ("t2v", "signal_exact"), ("t2a", "signal_exact"),
    ("t2i", "signal_rate"), ("t2v", "signal_rate"), ("t2a", "signal_rate"),
    ("t2i", "attribute_accuracy"), ("t2v", "attribute_accuracy"), ("t2a", "attribute_accuracy"),
    ("edit-image", "signal_exact"), ("edit-video", "signal_exact"), ("edit-audio", "signal_exact"),
    ("dialogue", "modality_accuracy"),
)


@dataclass(frozen=True)
class EvidenceRow:
    task: str
    metric: str
    n: int
    untrained: float | None
    untrained_ci: tuple[float, float] | None
    trained: float | None
    trained_ci: tuple[float, float] | None

    @property
    def separated(self) -> bool:
        """The trained model's CI lies entirely above the untrained one's."""
        return (self.trained_ci is not None and self.untrained_ci is not None
                and self.trained_ci[0] > self.untrained_ci[1])


def score_model(model: Any, store_dir: Path, tasks: tuple[str, ...], limit: int, label: str) -> Any:
    from benchmarks.runner.runner import BenchmarkRunner, RunSettings
    from benchmarks.store import ResultsStore

    settings = RunSettings(tasks=tasks, limit=limit, extractors="toy", bootstrap=1000, batch_size=8)
    return BenchmarkRunner(model, ResultsStore(store_dir), settings, progress=None,
                           model_description={"model": label}).run()


def evidence_rows(untrained: Any, trained: Any) -> list[EvidenceRow]:
    """Rows of ``EVIDENCE_METRICS`` from two ``RunSummary`` objects of the same tasks and samples."""
    rows = []
    for task, metric in EVIDENCE_METRICS:
        if task not in untrained.tasks or task not in trained.tasks:
            continue
        before, after = untrained.tasks[task], trained.tasks[task]
        rows.append(EvidenceRow(task, metric, after.n, before.metrics.get(metric), _ci(before.ci.get(metric)),
                                after.metrics.get(metric), _ci(after.ci.get(metric))))
    return rows


def _ci(value: list[float] | None) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def _cell(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci is not None else "")


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def markdown_table(rows: list[EvidenceRow]) -> str:
    lines = ["| task | metric | n | untrained tiny (95% CI) | tiny-trained (95% CI) | CIs separate |",
             "| --- | --- | ---: | --- | --- | --- |"]
    lines += [f"| {r.task} | {r.metric} | {r.n} | {_cell(r.untrained, r.untrained_ci)} | "
              f"{_cell(r.trained, r.trained_ci)} | {'yes' if r.separated else 'no'} |" for r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ decoder alone vs LLM path
#: The text-to-X task that measures each decoder, and the metric the decoder-path table compares.
DECODER_TASKS: dict[Modality, str] = {"image": "t2i", "video": "t2v", "audio": "t2a"}
DECODER_PATH_METRIC = "attribute_accuracy"
#: What ``decoder_path_markdown`` says for a checkpoint that bundles no decoders (no table to show).
NO_BUNDLED_DECODERS = ("No decoder-path rows: the checkpoint bundles no pre-trained decoders (no `decoders/image`, "
                       "`decoders/video` or `decoders/audio` pipeline folder), so there is no decoder to run alone; "
                       "it generates with the preset's own decoders.")


@dataclass(frozen=True)
class DecoderPathRow:
    """One task's attribute accuracy: untrained model, the checkpoint's decoder alone, the same decoder through
    NExT-GPT (each None when its run has no value)."""

    task: str
    metric: str
    n: int
    untrained: float | None
    untrained_ci: tuple[float, float] | None
    alone: float | None
    alone_ci: tuple[float, float] | None
    through: float | None
    through_ci: tuple[float, float] | None

    @property
    def alone_separated(self) -> bool:
        """The decoder alone's CI lies entirely above the untrained model's."""
        return _above(self.alone_ci, self.untrained_ci)

    @property
    def through_separated(self) -> bool:
        """The checkpoint's (through NExT-GPT) CI lies entirely above the untrained model's."""
        return _above(self.through_ci, self.untrained_ci)

    @property
    def gap(self) -> float | None:
        """Through NExT-GPT minus alone: what the LLM path loses (negative) or gains (positive)."""
        return None if self.alone is None or self.through is None else self.through - self.alone


def _above(upper: tuple[float, float] | None, lower: tuple[float, float] | None) -> bool:
    return upper is not None and lower is not None and upper[0] > lower[1]


def bundled_decoders(checkpoint: str | Path) -> dict[Modality, Path]:
    """Modality -> the diffusers pipeline folder the checkpoint bundles for it (a ``decoders.<m>.path`` inside the
    checkpoint folder, as the tiny-trained recipe writes its pre-trained decoders). A checkpoint built before the
    recipe trained decoders runs its preset's random ones and bundles none: an empty dict."""
    folder, config = _checkpoint_config(checkpoint)
    bundled: dict[Modality, Path] = {}
    for modality in DECODER_TASKS:
        path = config.decoders.for_modality(modality).path
        if path is not None and Path(path).resolve().is_relative_to(folder):
            bundled[modality] = Path(path)
    return bundled


def _checkpoint_config(checkpoint: str | Path) -> tuple[Path, Any]:
    """The checkpoint's folder (a shipped name resolved) and its ``NextGPTConfig`` (bundled paths made absolute)."""
    from nextgpt.model.checkpoint import read_checkpoint_config
    from nextgpt.model.pretrained import resolve_checkpoint

    folder = resolve_checkpoint(checkpoint).resolve()
    return folder, read_checkpoint_config(folder)


def decoder_alone_adapter(checkpoint: str | Path, modality: Modality) -> Any:
    """The checkpoint's bundled ``modality`` decoder as the diffusers adapter, with the sampler settings, frame
    size, frame count and clip length NExT-GPT's decoder uses (the checkpoint's ``decoders.<m>``), so the two
    paths differ only in the conditioning."""
    from nextgpt.adapters.diffusers_pipelines import load_diffusers_adapter
    from nextgpt.adapters.settings import AdapterSettings

    folder = bundled_decoders(checkpoint).get(modality)
    if folder is None:
        raise ConfigError(f"checkpoint {checkpoint}: bundles no {modality} decoder (its decoders.{modality}.path is "
                          "not a pipeline folder inside the checkpoint), so there is no decoder to run alone")
    decoder = _checkpoint_config(checkpoint)[1].decoders.for_modality(modality)
    options: dict[str, Any] = ({"audio_length_in_s": decoder.audio_length_s} if modality == "audio"
                               else {"height": decoder.height, "width": decoder.width})
    if modality == "video":
        options["num_frames"] = decoder.num_frames
    settings = AdapterSettings(num_inference_steps=decoder.num_inference_steps, guidance_scale=decoder.guidance_scale)
    return load_diffusers_adapter(folder, settings, options=options)


def score_decoders_alone(checkpoint: str | Path, store_dir: Path, limit: int) -> dict[str, Any]:
    """Task -> the ``RunSummary`` of each bundled decoder alone on its text-to-X task (nothing when none is
    bundled)."""
    return {DECODER_TASKS[modality]: score_model(decoder_alone_adapter(checkpoint, modality), store_dir / modality,
                                                 (DECODER_TASKS[modality],), limit, f"{checkpoint} {modality} decoder")
            for modality in bundled_decoders(checkpoint)}


def decoder_path_rows(untrained: Any, trained: Any, alone: Mapping[str, Any]) -> list[DecoderPathRow]:
    """A row per task of ``alone`` (task -> the decoder-alone ``RunSummary``) that all three runs answered, in
    ``DECODER_TASKS`` order. ``n`` is the through-NExT-GPT run's; the three runs read the same samples."""
    rows = []
    for task in DECODER_TASKS.values():
        if task not in alone or task not in untrained.tasks or task not in trained.tasks:
            continue
        before, solo, after = untrained.tasks[task], alone[task].tasks.get(task), trained.tasks[task]
        if solo is None:
            continue
        metric = DECODER_PATH_METRIC
        rows.append(DecoderPathRow(task, metric, after.n, before.metrics.get(metric), _ci(before.ci.get(metric)),
                                   solo.metrics.get(metric), _ci(solo.ci.get(metric)),
                                   after.metrics.get(metric), _ci(after.ci.get(metric))))
    return rows


def decoder_path_markdown(rows: list[DecoderPathRow]) -> str:
    """The decoder-alone vs through-NExT-GPT table, or ``NO_BUNDLED_DECODERS`` when there is no row."""
    if not rows:
        return NO_BUNDLED_DECODERS
    lines = ["| task | metric | n | untrained tiny (95% CI) | decoder alone (95% CI) | through NExT-GPT (95% CI) | "
             "through - alone | alone above untrained | through above untrained |",
             "| --- | --- | ---: | --- | --- | --- | ---: | --- | --- |"]
    lines += [f"| {r.task} | {r.metric} | {r.n} | {_cell(r.untrained, r.untrained_ci)} | "
              f"{_cell(r.alone, r.alone_ci)} | {_cell(r.through, r.through_ci)} | {_signed(r.gap)} | "
              f"{'yes' if r.alone_separated else 'no'} | {'yes' if r.through_separated else 'no'} |" for r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ the benchmark's rule
CAPTION_TASKS = ("caption-image", "caption-video", "caption-audio")


def evidence_failures(rows: list[EvidenceRow], path_rows: list[DecoderPathRow],
                      bundled: Iterable[Modality]) -> list[str]:
    """Why the checkpoint does not show what training should buy (empty: it does).

    Always: captioning CIDEr and attribute accuracy, and the t2i / t2v / t2a rate of correct signal tokens, with
    the checkpoint's CI above the untrained model's. For each modality of ``bundled`` (the checkpoint bundles its
    pre-trained decoder; a checkpoint running the preset's random decoders cannot draw the asked-for attributes):
    that task's attribute accuracy through NExT-GPT and with the decoder alone, each CI above the untrained one's.
    The gap between the two paths is reported, not judged."""
    separated = {(row.task, row.metric) for row in rows if row.separated}
    failures = []
    for task in CAPTION_TASKS:
        if (task, "cider") not in separated:
            failures.append(f"{task}: CIDEr of the trained model is not above the untrained one")
        if (task, "attribute_accuracy") not in separated:
            failures.append(f"{task}: captions do not name the input's attributes more often than untrained")
    for task in DECODER_TASKS.values():
        if (task, "signal_exact") not in separated:
            failures.append(f"{task}: correct signal-token rate is not above the untrained one")
    by_task = {row.task: row for row in path_rows}
    for modality in bundled:
        task = DECODER_TASKS[modality]
        if (task, DECODER_PATH_METRIC) not in separated:
            failures.append(f"{task}: the checkpoint bundles a {modality} decoder, but its {modality}s through "
                            "NExT-GPT do not show the asked-for attributes more often than the untrained model's")
        if task not in by_task:
            failures.append(f"{task}: the checkpoint bundles a {modality} decoder, but it was not run alone")
        elif not by_task[task].alone_separated:
            failures.append(f"{task}: the bundled {modality} decoder alone does not show the asked-for attributes "
                            "more often than the untrained model")
    return failures
