"""``nextgpt-bench demo``: after the any-to-any demonstration it asks for one synthetic-world picture and prints the
image verifier's reading of it, attribute by attribute (issue 16: the picture must show the asked-for shape and
colour)."""

from __future__ import annotations

import numpy as np

from benchmarks.cli.demo_command import ASKED, asked_prompt, compare_reading
from benchmarks.datasets.synthetic import Scene, draw_scene, image_captions
from benchmarks.datasets.verifiers.image import read_image
from benchmarks.tasks import get_task


def test_the_demo_asks_in_the_words_of_the_t2i_task() -> None:
    """The shipped checkpoint was trained and scored on the t2i prompt; the demo must not ask differently."""
    scene = Scene(**ASKED, motion="right")
    assert asked_prompt() == get_task("t2i").prompt.format(caption=image_captions(scene)[0])


def test_a_reading_is_compared_attribute_by_attribute() -> None:
    reading = {"colour": "red", "shape": "square", "size": "large", "position": "none", "background": "white"}
    lines = compare_reading(reading)
    assert [line.split()[0] for line in lines] == list(ASKED)
    assert "red" in lines[0] and "(as asked)" in lines[0]
    assert "square" in lines[1] and "(asked circle)" in lines[1]
    assert "(asked center)" in lines[3]


def test_the_world_render_of_the_asked_scene_reads_as_asked() -> None:
    """The verifier itself reads the asked-for scene right, so a wrong reading is the model's."""
    reading = read_image(np.asarray(draw_scene(Scene(**ASKED, motion="right"))))
    assert {attribute: reading[attribute] for attribute in ASKED} == ASKED
