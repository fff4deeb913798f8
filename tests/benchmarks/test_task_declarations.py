"""A task declaration naming a metric the registry does not know, or one that does not apply to the task's output,
is refused when it is made (it would be missing from every run without a word, and a gate rule naming it would
gate nothing)."""

from __future__ import annotations

import pytest

from benchmarks.scoring.registry import metric_spec
from benchmarks.tasks import TASK_GROUPS, get_task, registered_tasks, suite_tasks
from benchmarks.tasks.task import Task
from nextgpt.core.errors import TaskError


def _task(output: str, metrics: tuple[str, ...]) -> Task:
    return Task(name="my-task", family="image-captions", output=output, metrics=metrics,  # type: ignore[arg-type]
                prompt="Generate an image of {caption}.", uses_inputs=False)


def test_unknown_metric_is_refused_naming_it_and_the_valid_ones() -> None:
    with pytest.raises(TaskError) as caught:
        _task("image", ("fid", "nonexistent_metric"))
    assert str(caught.value) == ("task my-task: unknown metric(s) nonexistent_metric; metrics for image output: "
                                 "signal_rate, signal_exact, fid, kid, clip_score, clip_t, clip_i, "
                                 "attribute_accuracy, colour_accuracy, shape_accuracy, size_accuracy, "
                                 "position_accuracy, background_accuracy, edit_success")


@pytest.mark.parametrize("output, metrics, message", [
    ("text", ("bleu4", "fid"), "metric fid does not apply to text output (it applies to image, video)"),
    ("image", ("clip_score", "clip_t"), "declare only one of clip_score, clip_t"),
    ("video", ("clipsim", "clip_t"), "declare only one of clipsim, clip_t"),
    ("audio", ("fad", "fad"), "metric(s) fad declared more than once"),
    ("dialogue", ("cider",), "metric cider does not apply to dialogue output (it applies to text)"),
    ("speech", ("cider",), "unknown output 'speech'; expected one of text, image, video, audio, dialogue"),
    ("text", (), "declares no metric"),
])
def test_other_bad_declarations(output: str, metrics: tuple[str, ...], message: str) -> None:
    with pytest.raises(TaskError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _task(output, metrics)


def test_shipped_tasks_declare_only_registered_metrics_of_their_output() -> None:
    tasks = registered_tasks()
    assert len([task for task in tasks if not task.legs]) == 10 and len([t for t in tasks if t.legs]) == 12
    for task in tasks:  # a cycle's metrics apply to the output of the leg that declares them
        for output, metrics in ([(leg.output, leg.metrics) for leg in task.legs] or [(task.output, task.metrics)]):
            assert all(output in metric_spec(m).outputs for m in metrics), task.name


def test_the_shipped_tasks_are_registered_by_importing_the_package() -> None:
    """No lazy loader: benchmarks/tasks/__init__.py registers them (the task module never imports them back)."""
    assert [t.name for t in suite_tasks("default")] == [
        "caption-image", "caption-video", "caption-audio", "t2i", "t2v", "t2a", "edit-image", "edit-video",
        "edit-audio", "dialogue"]


def test_scoring_sees_the_declaration_not_the_task() -> None:
    task = registered_tasks()[3]
    scored = task.scoring()
    assert (scored.name, scored.output, scored.metrics, scored.produced_modality) == (
        "t2i", "image", ("fid", "clip_score", "signal_rate", "signal_exact", "attribute_accuracy", "colour_accuracy",
                         "shape_accuracy", "size_accuracy", "position_accuracy", "background_accuracy"), "image")


def test_caption_metrics_match_the_caption_suite() -> None:
    from benchmarks.scoring.caption_metrics import CAPTION_METRICS
    from metrics.captions.suite import CAPTION_METRICS as SUITE_METRICS

    assert tuple(spec.name for spec in CAPTION_METRICS) == SUITE_METRICS


def test_headline_must_be_one_of_the_tasks_metrics_and_defaults_to_the_first() -> None:
    with pytest.raises(TaskError, match="headline metric 'fad' is not one of its metrics"):
        Task(name="x", family="image-captions", output="image", metrics=("fid",), prompt="", uses_inputs=False,
             headline="fad")
    plain = Task(name="x", family="image-captions", output="image", metrics=("clip_score", "fid"), prompt="",
                 uses_inputs=False)
    assert plain.headline_metric == "clip_score"


def test_every_shipped_task_has_a_group_and_the_papers_headline() -> None:
    expected = {"caption-image": ("captioning", "cider"), "t2i": ("text-to-x", "fid"),
                "t2a": ("text-to-x", "fad"), "edit-image": ("editing", "clip_i"),
                "dialogue": ("dialogue", "modality_accuracy")}
    for name, (group, headline) in expected.items():
        task = get_task(name)
        assert (task.group, task.headline_metric) == (group, headline)
    assert {task.group for task in registered_tasks()} <= set(TASK_GROUPS)
