"""``nextgpt-bench demo``: after the any-to-any demonstration it asks for one synthetic-world picture and prints the
image verifier's reading of it, attribute by attribute (issue 16: the picture must show the asked-for shape and
colour)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli
from PIL import Image

from benchmarks.cli.demo_command import ASKED, asked_prompt, compare_reading
from benchmarks.datasets.synthetic import Scene, draw_scene, image_captions
from benchmarks.datasets.verifiers.image import read_image
from benchmarks.tasks import get_task
from nextgpt.core.requests import GenerationRequest, GenerationResult


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


class _OnePicture:
    """A model that answers every request with ``picture``."""

    def __init__(self, picture: Image.Image) -> None:
        self.picture = picture

    def generate(self, request: GenerationRequest) -> GenerationResult:
        return GenerationResult(text="here", images=[self.picture])


def test_a_picture_the_verifier_cannot_read_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli.demo_command import _ask_for_a_picture

    _ask_for_a_picture(_OnePicture(Image.new("RGB", (8, 8))), {}, tmp_path)  # type: ignore[arg-type]
    assert "verifier cannot read" in capsys.readouterr().out


def test_a_grayscale_picture_is_read_as_rgb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli.demo_command import _ask_for_a_picture

    picture = draw_scene(Scene(**ASKED, motion="right")).convert("L")
    _ask_for_a_picture(_OnePicture(picture), {}, tmp_path)  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "the synthetic world's verifier reads" in out and "background white" in " ".join(out.split())


@pytest.mark.e2e
def test_the_shipped_checkpoint_draws_the_asked_shape_and_colour(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The whole command on the shipped checkpoint: the picture is written, the printed reading is the verifier's
    reading of that file, and it shows the asked-for colour and shape (issue 16's acceptance point; the README
    shows this picture)."""
    code, out, err = run_cli(["demo", "--out", str(tmp_path / "demo")], capsys)
    assert code == 0, err
    picture = tmp_path / "demo" / "asked" / "image_0.png"
    reading = read_image(np.asarray(Image.open(picture).convert("RGB")))
    printed = out[out.index("the synthetic world's verifier reads"):].splitlines()[1:]
    assert printed == compare_reading(reading)
    assert (reading["colour"], reading["shape"]) == (ASKED["colour"], ASKED["shape"]), out
    # the README quotes this output: it must be what the shipped checkpoint prints
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    quoted = readme[readme.index("asked: 'Generate an image of"):].split("```")[0].strip().splitlines()
    shown = out[out.index("asked: "):].replace(str(tmp_path / "demo"), "out/demo").splitlines()
    assert quoted == [line for line in shown if line.startswith(("asked: ", "the synthetic", "  "))]


def test_the_readme_table_of_held_out_pictures_is_what_the_shipped_checkpoint_draws(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The README shows the first 8 held-out t2i pictures with the verifier's readings: rerun them and compare."""
    import json
    import sqlite3

    from benchmarks.datasets.synthetic import SyntheticWorld

    store = tmp_path / "store"
    code, _, err = run_cli(["run", "--tasks", "t2i", "--limit", "8", "--store", str(store), "--no-report",
                            "--bootstrap", "20"], capsys)
    assert code == 0, err
    with sqlite3.connect(store / "results.sqlite") as db:
        rows = db.execute("SELECT sample_id, media FROM generations ORDER BY sample_id").fetchall()
    world, attributes = SyntheticWorld(0, "test"), ("colour", "shape", "size", "position", "background")
    expected = []
    for number, (sample_id, media) in enumerate(rows, start=1):
        picture = Image.open(store / json.loads(media)[0]["path"]).convert("RGB")
        scene, reading = world.scene("images", int(sample_id.split("-")[1])), read_image(np.asarray(picture))
        read = ", ".join(reading[a] if reading[a] == getattr(scene, a) else f"**{reading[a]}**" for a in attributes)
        expected.append(f"| {number} | {image_captions(scene)[0]} | {read} |")
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert [line for line in readme.splitlines() if line.startswith(("| 1 | a ", "| 2 | a ", "| 3 | a ", "| 4 | a ",
            "| 5 | a ", "| 6 | a ", "| 7 | a ", "| 8 | a "))] == expected
