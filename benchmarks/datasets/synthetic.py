"""The built-in synthetic world: scenes the project draws itself, with captions, so every task runs offline.

* images: a small or large red/green/blue/yellow/purple/orange circle, square or triangle at one of five
  positions on a white, black or gray background;
* videos: such a shape moving left, right, up or down (8 frames, 2 s);
* audio: a low, middle or high tone that is steady, beeping, rising or falling (2 s, 16 kHz);
* edits: the same scene with the colour (image, video) or the pitch (audio) changed, with the instruction; the
  metadata holds the target's attributes, ``edited`` (``colour`` or ``pitch``) and ``source`` (the input's);
* dialogues: conversations that switch modality (an image, a video and a tone turn, shuffled) and end with a
  text-only turn; every turn carries the assistant's reference answer (for instruction tuning).

Everything is a pure function of ``(seed, split, index)``; the files are written once per
``(version, seed, split, count)`` into a cache folder (atomically; a large world by one worker process per core,
with the same files) and read through the JSONL manifest loader, like any user dataset.  Each sample has three
reference captions (paraphrases), as COCO-style metrics expect.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.datasets.manifest import load_manifest, write_manifest
from benchmarks.datasets.samples import Dataset
from benchmarks.datasets.world_drawing import Rows, draw_samples, workers_for
from nextgpt.core.media import write_png, write_video, write_wav

#: 3: edit samples carry their target's attributes, what was edited and the source's attributes as metadata
VERSION = 3
IMAGE_SIZE = 64
VIDEO_FRAMES, VIDEO_FPS = 8, 4
AUDIO_SECONDS, SAMPLE_RATE = 2.0, 16000
COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 70, 220), "yellow": (235, 200, 40),
           "purple": (140, 60, 180), "orange": (240, 130, 30)}
SHAPES = ("circle", "square", "triangle")
POSITIONS = {"top left": (0.27, 0.27), "top right": (0.73, 0.27), "bottom left": (0.27, 0.73),
             "bottom right": (0.73, 0.73), "center": (0.5, 0.5)}
SIZES = {"small": 0.14, "large": 0.24}
BACKGROUNDS = {"white": (255, 255, 255), "black": (0, 0, 0), "gray": (128, 128, 128)}
MOTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
PITCHES = {"low": 220.0, "middle": 440.0, "high": 880.0}
PATTERNS = ("steady", "beeping", "rising", "falling")
SPLITS = {"train": 0, "test": 1}
#: Manifest file of each sample kind inside a world folder.
KINDS = ("images", "videos", "audio", "image_edits", "video_edits", "audio_edits", "dialogues")


@dataclass(frozen=True)
class Scene:
    colour: str
    shape: str
    position: str
    size: str
    background: str
    motion: str

    def with_colour(self, colour: str) -> Scene:
        return Scene(colour, self.shape, self.position, self.size, self.background, self.motion)


@dataclass(frozen=True)
class Tone:
    pitch: str
    pattern: str


def _where(position: str) -> str:
    return "in the center" if position == "center" else f"in the {position} corner"


def image_captions(scene: Scene) -> list[str]:
    s = scene
    return [f"a {s.size} {s.colour} {s.shape} {_where(s.position)} on a {s.background} background",
            f"a {s.colour} {s.shape} {_where(s.position)} of a {s.background} picture",
            f"a {s.background} image with a {s.size} {s.colour} {s.shape} {_where(s.position)}"]


def video_captions(scene: Scene) -> list[str]:
    s = scene
    return [f"a {s.colour} {s.shape} moving {s.motion} on a {s.background} background",
            f"a {s.size} {s.colour} {s.shape} slides {s.motion} across a {s.background} background",
            f"a video of a {s.colour} {s.shape} that moves {s.motion}"]


def audio_captions(tone: Tone) -> list[str]:
    pattern = {"steady": "steady", "beeping": "beeping", "rising": "rising", "falling": "falling"}[tone.pattern]
    return [f"a {pattern} {tone.pitch} tone", f"a {tone.pitch} pitched tone that is {pattern}",
            f"the sound of a {pattern} {tone.pitch} beep" if tone.pattern == "beeping"
            else f"a {tone.pitch} tone, {pattern}"]


def draw_scene(scene: Scene, offset: tuple[float, float] = (0.0, 0.0)) -> Image.Image:
    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), BACKGROUNDS[scene.background])
    cx, cy = POSITIONS[scene.position]
    cx, cy = (cx + offset[0]) * IMAGE_SIZE, (cy + offset[1]) * IMAGE_SIZE
    r = SIZES[scene.size] * IMAGE_SIZE
    draw, colour = ImageDraw.Draw(image), COLOURS[scene.colour]
    if scene.shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    elif scene.shape == "square":
        draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=colour)
    else:
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    return image


def render_video(scene: Scene) -> np.ndarray:
    dx, dy = MOTIONS[scene.motion]
    frames = [np.asarray(draw_scene(scene, (dx * 0.3 * (t / (VIDEO_FRAMES - 1) - 0.5),
                                            dy * 0.3 * (t / (VIDEO_FRAMES - 1) - 0.5))))
              for t in range(VIDEO_FRAMES)]
    return np.stack(frames)


def render_tone(tone: Tone) -> np.ndarray:
    t = np.arange(int(AUDIO_SECONDS * SAMPLE_RATE)) / SAMPLE_RATE
    base = PITCHES[tone.pitch]
    if tone.pattern == "rising":
        phase = 2 * np.pi * base * (t + t**2 / (2 * AUDIO_SECONDS))  # frequency sweeps to 2x
    elif tone.pattern == "falling":
        phase = 2 * np.pi * base * (t - t**2 / (4 * AUDIO_SECONDS))  # frequency sweeps to 0.5x
    else:
        phase = 2 * np.pi * base * t
    wave = 0.4 * np.sin(phase)
    if tone.pattern == "beeping":
        wave *= (np.floor(t * 4) % 2 == 0)
    fade = np.minimum(1.0, np.minimum(t, AUDIO_SECONDS - t) / 0.01)  # no clicks at the ends
    return (wave * fade).astype(np.float32)


class SyntheticWorld:
    """Deterministic scene generator for one ``(seed, split)``."""

    def __init__(self, seed: int = 0, split: str = "test") -> None:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        self.seed, self.split = seed, split

    def _rng(self, kind: str, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, SPLITS[self.split], KINDS.index(kind), index])

    def scene(self, kind: str, index: int) -> Scene:
        rng = self._rng(kind, index)

        def pick(options: Any) -> str:
            keys = list(options)
            return str(keys[int(rng.integers(len(keys)))])

        return Scene(pick(COLOURS), pick(SHAPES), pick(POSITIONS), pick(SIZES), pick(BACKGROUNDS), pick(MOTIONS))

    def tone(self, kind: str, index: int) -> Tone:
        rng = self._rng(kind, index)
        return Tone(str(list(PITCHES)[int(rng.integers(len(PITCHES)))]),
                    str(PATTERNS[int(rng.integers(len(PATTERNS)))]))

    def other_colour(self, scene: Scene, index: int) -> str:
        choices = [c for c in COLOURS if c != scene.colour]
        return choices[int(self._rng("image_edits", index + 10_000).integers(len(choices)))]

    def other_pitch(self, tone: Tone, index: int) -> str:
        choices = [p for p in PITCHES if p != tone.pitch]
        return choices[int(self._rng("audio_edits", index + 10_000).integers(len(choices)))]


def _media(modality: str, path: str) -> dict[str, str]:
    return {"modality": modality, "path": path}


def _write_world(folder: Path, world: SyntheticWorld, count: int, workers: int | None = None) -> None:
    """Draw samples ``0 .. count-1`` into ``folder``: media files by worker processes for a large world
    (benchmarks/datasets/world_drawing.py), then the manifests here, in index order."""
    for sub in ("images", "videos", "audio"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    records = draw_samples(partial(_draw_samples, folder, world), count, workers_for(count, workers))
    for kind in KINDS:
        write_manifest(folder / f"{kind}.jsonl", records.get(kind, []))


def _draw_samples(folder: Path, world: SyntheticWorld, start: int, stop: int) -> Rows:
    """Write the media files of samples ``start .. stop-1`` into ``folder`` and return their manifest rows (run
    in a worker process for a large world, so it is a module-level function of picklable arguments)."""
    records: Rows = {kind: [] for kind in KINDS}
    for i in range(start, stop):
        scene = world.scene("images", i)
        write_png(draw_scene(scene), folder / f"images/scene-{i:04d}.png")
        records["images"].append({"id": f"image-{i:04d}", "inputs": [_media("image", f"images/scene-{i:04d}.png")],
                                  "targets": [_media("image", f"images/scene-{i:04d}.png")],
                                  "captions": image_captions(scene), "metadata": scene.__dict__})

        moving = world.scene("videos", i)
        write_video(render_video(moving), folder / f"videos/motion-{i:04d}.mp4", fps=VIDEO_FPS)
        records["videos"].append({"id": f"video-{i:04d}", "inputs": [_media("video", f"videos/motion-{i:04d}.mp4")],
                                  "targets": [_media("video", f"videos/motion-{i:04d}.mp4")],
                                  "captions": video_captions(moving), "metadata": moving.__dict__})

        tone = world.tone("audio", i)
        write_wav(render_tone(tone), folder / f"audio/tone-{i:04d}.wav", SAMPLE_RATE)
        records["audio"].append({"id": f"audio-{i:04d}", "inputs": [_media("audio", f"audio/tone-{i:04d}.wav")],
                                 "targets": [_media("audio", f"audio/tone-{i:04d}.wav")],
                                 "captions": audio_captions(tone), "metadata": tone.__dict__})

        edited = scene.with_colour(world.other_colour(scene, i))
        write_png(draw_scene(edited), folder / f"images/edited-{i:04d}.png")
        records["image_edits"].append({
            "id": f"image-edit-{i:04d}", "inputs": [_media("image", f"images/scene-{i:04d}.png")],
            "instruction": f"make the {scene.shape} {edited.colour}",
            "targets": [_media("image", f"images/edited-{i:04d}.png")], "captions": image_captions(edited),
            "metadata": _edit_metadata(edited.__dict__, "colour", scene.__dict__)})

        recoloured = moving.with_colour(world.other_colour(moving, i + 5000))
        write_video(render_video(recoloured), folder / f"videos/edited-{i:04d}.mp4", fps=VIDEO_FPS)
        records["video_edits"].append({
            "id": f"video-edit-{i:04d}", "inputs": [_media("video", f"videos/motion-{i:04d}.mp4")],
            "instruction": f"make the {moving.shape} {recoloured.colour}",
            "targets": [_media("video", f"videos/edited-{i:04d}.mp4")], "captions": video_captions(recoloured),
            "metadata": _edit_metadata(recoloured.__dict__, "colour", moving.__dict__)})

        retuned = Tone(world.other_pitch(tone, i), tone.pattern)
        write_wav(render_tone(retuned), folder / f"audio/edited-{i:04d}.wav", SAMPLE_RATE)
        records["audio_edits"].append({
            "id": f"audio-edit-{i:04d}", "inputs": [_media("audio", f"audio/tone-{i:04d}.wav")],
            "instruction": f"make it a {retuned.pitch} tone",
            "targets": [_media("audio", f"audio/edited-{i:04d}.wav")], "captions": audio_captions(retuned),
            "metadata": _edit_metadata(retuned.__dict__, "pitch", tone.__dict__)})

        records["dialogues"].append(_dialogue(world, i, scene, moving, tone))
    return records


def _edit_metadata(target: dict[str, str], edited: str, source: dict[str, str]) -> dict[str, Any]:
    """An edit sample's metadata: the attributes its output should have, which one the instruction changes, and
    the input's attributes (benchmarks/datasets/verifiers check an edited output against the first)."""
    return {**target, "edited": edited, "source": dict(source)}


def _dialogue(world: SyntheticWorld, index: int, scene: Scene, moving: Scene, tone: Tone) -> dict[str, Any]:
    turns = [
        {"text": f"Show me a picture of a {scene.colour} {scene.shape} on a {scene.background} background.",
         "expected_outputs": ["image"], "reference_captions": image_captions(scene),
         "answer": f"Here is a picture of a {scene.colour} {scene.shape}."},
        {"text": f"Now make a short video of a {moving.colour} {moving.shape} moving {moving.motion}.",
         "expected_outputs": ["video"], "reference_captions": video_captions(moving),
         "answer": f"Here is a video of a {moving.colour} {moving.shape} moving {moving.motion}."},
        {"text": f"Play a {tone.pattern} {tone.pitch} tone for me.",
         "expected_outputs": ["audio"], "reference_captions": audio_captions(tone),
         "answer": f"Here is a {tone.pattern} {tone.pitch} tone."},
    ]
    order = world._rng("dialogues", index).permutation(len(turns))
    shuffled = [turns[int(i)] for i in order]
    shuffled.append({"text": "Thank you, that is all for now.", "expected_outputs": [],
                     "answer": "You are welcome."})
    return {"id": f"dialogue-{index:04d}", "turns": shuffled}


def default_cache_dir() -> Path:
    return Path(os.environ.get("NEXTGPT_BENCH_CACHE", Path.home() / ".cache" / "nextgpt-bench")) / "datasets"


def synthetic_world_folder(count: int, *, seed: int = 0, split: str = "test", cache_dir: Path | None = None,
                           workers: int | None = None) -> Path:
    """The folder of a synthetic world, written on first use (atomically) and reused afterwards.

    ``workers``: the processes that draw it; None for ``$NEXTGPT_BENCH_WORLD_WORKERS`` or one per available core,
    and one process below ``world_drawing.PARALLEL_FROM`` samples. The files do not depend on it."""
    SyntheticWorld(seed, split)  # validates split
    base = cache_dir or default_cache_dir()
    folder = base / f"synthetic-v{VERSION}-seed{seed}-{split}-{count}"
    if (folder / "world.json").is_file():
        return folder
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=base))
    try:
        _write_world(staging, SyntheticWorld(seed, split), count, workers)
        (staging / "world.json").write_text(json.dumps(
            {"version": VERSION, "seed": seed, "split": split, "count": count}), encoding="utf-8")
        try:
            os.replace(staging, folder)
        except OSError:  # another process finished first: keep its copy
            if not (folder / "world.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def load_synthetic(kind: str, count: int, *, seed: int = 0, split: str = "test",
                   cache_dir: Path | None = None) -> Dataset:
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic kind {kind!r}; expected one of {', '.join(KINDS)}")
    folder = synthetic_world_folder(count, seed=seed, split=split, cache_dir=cache_dir)
    dataset = load_manifest(folder / f"{kind}.jsonl", name=f"synthetic-{kind}")
    return Dataset(dataset.name, dataset.root, dataset.samples,
                   source=f"nextgpt-bench synthetic world v{VERSION}, seed {seed}, split {split}, {count} samples")
