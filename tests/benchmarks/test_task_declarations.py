"""A task declaration naming a metric no scorer produces is refused when it is made (it would be missing from
every run without a word, and a gate rule naming it would gate nothing)."""

from __future__ import annotations

import pytest

from benchmarks.scoring.catalogue import CAPTION_METRICS, SCORER_METRICS
from benchmarks.tasks import registered_tasks
from benchmarks.tasks.task import Task
from nextgpt.core.errors import TaskError


def _task(output: str, metrics: tuple[str, ...]) -> Task:
    return Task(name="my-task", family="image-captions", output=output, metrics=metrics,  # type: ignore[arg-type]
                prompt="Generate an image of {caption}.", uses_inputs=False)


def test_unknown_metric_is_refused_naming_it_and_the_valid_ones() -> None:
    with pytest.raises(TaskError) as caught:
        _task("image", ("fid", "nonexistent_metric"))
    message = str(caught.value)
    assert "task my-task: no scorer produces the metric(s) nonexistent_metric for image output" in message
    assert "fid, clip_score, clip_t, clip_i, signal_rate, signal_exact" in message


@pytest.mark.parametrize("output, metrics, message", [
    ("text", ("bleu4", "fid"), "no scorer produces the metric(s) fid for text output"),
    ("image", ("clip_score", "clip_t"), "declare only one of clip_score, clip_t"),
    ("audio", ("fad", "fad"), "metric(s) fad declared more than once"),
    ("dialogue", ("cider",), "no scorer produces the metric(s) cider for dialogue output"),
])
def test_other_bad_declarations(output: str, metrics: tuple[str, ...], message: str) -> None:
    with pytest.raises(TaskError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _task(output, metrics)


def test_shipped_tasks_declare_only_produced_metrics() -> None:
    tasks = registered_tasks()
    assert len(tasks) == 10
    for task in tasks:
        assert set(task.metrics) <= set(SCORER_METRICS[task.output]), task.name


def test_caption_catalogue_matches_the_caption_suite() -> None:
    from metrics.captions.suite import CAPTION_METRICS as SUITE_METRICS

    assert CAPTION_METRICS == SUITE_METRICS
