"""Sample gallery: what the model was given and what it produced, media copied next to the page.

Model outputs are untrusted: text is escaped, media are referenced only by names this module makes up (hash +
known suffix), so nothing a model writes can become markup or a path.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.html_page import esc, fmt

IMAGE_SUFFIXES = {".png", ".apng", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
VIDEO_SUFFIXES = {".mp4", ".webm", ".ogv", ".mov"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3"}


@dataclass(frozen=True)
class GalleryItem:
    sample_id: str
    turn: int
    prompt: str | None
    inputs: tuple[Path, ...]
    text: str
    outputs: tuple[Path, ...]
    scores: dict[str, float | None]


def copy_media(source: Path, out_dir: Path, folder: str) -> str | None:
    """Copy ``source`` into ``out_dir/folder`` under a content-derived name -> relative URL (None if missing)."""
    if not source.is_file():
        return None
    suffix = source.suffix.lower()
    if suffix not in IMAGE_SUFFIXES | VIDEO_SUFFIXES | AUDIO_SUFFIXES:
        return None
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:24]
    target = out_dir / folder / f"{digest}{suffix}"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return f"{folder}/{target.name}"


def media_html(url: str | None, label: str) -> str:
    if url is None:
        return f"<span class=\"small\">({esc(label)}: file missing)</span>"
    suffix = Path(url).suffix
    if suffix in IMAGE_SUFFIXES:  # animated PNG videos play in <img>
        return f"<img src=\"{esc(url)}\" alt=\"{esc(label)}\" loading=\"lazy\">"
    if suffix in VIDEO_SUFFIXES:
        return f"<video controls muted loop preload=\"metadata\" src=\"{esc(url)}\"></video>"
    return f"<audio controls preload=\"metadata\" src=\"{esc(url)}\"></audio>"


def item_html(item: GalleryItem, out_dir: Path) -> str:
    turn = f" turn {item.turn}" if item.turn else ""
    parts = [f"<div class=\"card\"><div><b>{esc(item.sample_id)}</b>{esc(turn)}</div>"]
    if item.prompt:
        parts.append(f"<div class=\"small\">input</div><pre>{esc(item.prompt)}</pre>")
    parts += [media_html(copy_media(p, out_dir, "inputs"), "input") for p in item.inputs]
    parts.append(f"<div class=\"small\">generated text</div><pre class=\"generated\">{esc(item.text)}</pre>")
    parts += [media_html(copy_media(p, out_dir, "media"), "generated") for p in item.outputs]
    if item.scores:
        parts.append("<div class=\"small\">" + ", ".join(f"{esc(k)}={fmt(v)}" for k, v in sorted(
            item.scores.items())) + "</div>")
    parts.append("</div>")
    return "".join(parts)


def gallery_items(store: Any, run_id: str, task_name: str, sample_scores: dict[str, dict[str, float | None]],
                  settings: dict[str, Any], limit: int) -> list[GalleryItem]:
    """The first ``limit`` samples of a task (all turns of a dialogue), with their inputs when the dataset can
    still be found (it is re-resolved from the run's settings; a moved dataset only loses the inputs)."""
    recorded = store.recorded(run_id, task_name)
    samples = _dataset_samples(task_name, settings)
    chosen = sorted({sid for sid, _ in recorded})[:limit]
    leg_of = _leg_of_metric(task_name)
    items = []
    for (sample_id, turn), generation in sorted(recorded.items()):
        if sample_id not in chosen:
            continue
        previous = recorded.get((sample_id, turn - 1))
        prompt, inputs = _inputs(task_name, samples.get(sample_id), turn,
                                 previous.text if previous is not None else "")
        scores = {metric: values.get(sample_id) for metric, values in sample_scores.items()
                  if sample_id in values and leg_of.get(metric.split("[", 1)[0], 0) == turn}
        items.append(GalleryItem(sample_id, turn, prompt, inputs, generation.text,
                                 tuple(store.media_path(m) for m in generation.media), scores))
    return items


def _leg_of_metric(task_name: str) -> dict[str, int]:
    """metric -> the turn whose card shows it: a cycle's metric on the leg that declares it (``clip_t`` of
    caption -> image -> caption on the image), every other task's metrics (absent here) on the first turn."""
    from benchmarks.tasks import get_task
    from nextgpt.core.errors import NextGPTError

    try:
        legs = get_task(task_name).legs
    except NextGPTError:
        return {}
    return {metric: turn for turn, leg in enumerate(legs) for metric in leg.metrics}


def _dataset_samples(task_name: str, settings: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.datasets.registry import resolve_dataset
    from benchmarks.tasks import get_task
    from nextgpt.core.errors import NextGPTError

    try:
        task = get_task(task_name)
        spec = (settings.get("data") or {}).get(task.family)
        dataset = resolve_dataset(task.family, spec, limit=settings.get("limit"))
    except (NextGPTError, OSError):
        return {}
    return {sample.id: sample for sample in dataset.samples}


def _inputs(task_name: str, sample: Any, turn: int, previous: str = "") -> tuple[str | None, tuple[Path, ...]]:
    """The prompt and input files of ``turn``: a dialogue's user turn, a cycle's leg (a given leg: "(ground
    truth)"; a leg reading the previous medium shows it on the previous card), else the task's prompt."""
    from benchmarks.tasks import get_task
    from benchmarks.tasks.legs import leg_prompt

    if sample is None:
        return None, ()
    task = get_task(task_name)
    if task.legs and turn < len(task.legs):
        leg = task.legs[turn]
        if leg.given:
            return "(ground truth)", ()
        prompt = leg_prompt(task_name, leg, sample, previous)
        return prompt, tuple(f.path for f in sample.inputs) if leg.media == "sample" else ()
    if task.output == "dialogue":
        item = sample.turns[turn] if turn < len(sample.turns) else None
        return (item.text, tuple(m.path for m in item.media)) if item else (None, ())
    prompt = task.prompt.format(caption=sample.captions[0] if sample.captions else "",
                                instruction=sample.instruction or "")
    return prompt, tuple(f.path for f in sample.inputs) if task.uses_inputs else ()
