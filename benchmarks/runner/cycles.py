"""Generating a cycle task's sample leg by leg (the legs are declared in benchmarks/tasks/legs.py).

Each leg is built from the previous leg's stored output: its text goes into the prompt, its medium goes in as the
store's content-addressed file (so the next leg's cache key, which hashes input files, names the exact medium it
read).  A ``given`` leg is the dataset's ground truth, stored as the leg's output without asking the model.  When
a leg that reads the previous medium finds none (the model did not produce what it was asked), the cycle is broken
there: the remaining legs are recorded as empty outputs rather than dropped.  The attribute and caption metrics
score them as failures (no medium, an empty caption); the paired media metrics (CLIP-I, CLIP-T, CLIPSIM,
mel_distance) average over the produced media only, and their stored n says how many there were.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import cast

from benchmarks.datasets.samples import Sample
from benchmarks.store import Generation, ResultsStore
from benchmarks.tasks.legs import LegInput, given_medium, given_text, leg_request
from benchmarks.tasks.task import Task
from nextgpt.core.errors import DatasetError
from nextgpt.core.file_hashes import sha256_file
from nextgpt.core.modalities import Modality
from nextgpt.core.requests import GenerationRequest, MediaInput

#: answer one request of a leg -> (its generation, whether the model generated it now rather than the cache)
Answer = Callable[[int, GenerationRequest], tuple[Generation, bool]]


def cycle_generations(task: Task, sample: Sample, seed: int, store: ResultsStore, answer: Answer,
                      record: Callable[[Generation], None]) -> tuple[list[Generation], int, int]:
    """Every leg of ``sample`` in order (turn = leg index) -> (generations, generated, cached); leg ``k`` is asked
    with seed ``seed + k``.  Each leg is handed to ``record`` as soon as it exists, so an interrupted cycle keeps
    its finished legs in the cache (the sample counts as done only once every leg is recorded)."""
    legs: list[Generation] = []
    generated = cached = 0
    broken = False
    for turn, leg in enumerate(task.legs):
        previous = legs[-1] if legs else None
        if leg.given:
            legs.append(_given(task, sample, turn, seed, store))
            record(legs[-1])
            continue
        request = None if broken else leg_request(
            task.name, leg, sample, None if previous is None else _leg_input(previous, store), seed + turn,
            task.max_new_tokens)
        if request is None:
            assert previous is not None  # only a leg reading the previous medium can find none
            legs.append(_unproduced(task, sample, turn, seed, previous))
            record(legs[-1])
            broken = True
            continue
        generation, fresh = answer(turn, request)
        generated, cached = generated + fresh, cached + (not fresh)
        legs.append(generation)
        record(generation)
    return legs, generated, cached


def _leg_input(generation: Generation, store: ResultsStore) -> LegInput:
    media = tuple(MediaInput(cast(Modality, m.modality), store.media_path(m)) for m in generation.media)
    return LegInput(generation.text, media)


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _given(task: Task, sample: Sample, turn: int, seed: int, store: ResultsStore) -> Generation:
    """The ground truth as leg ``turn``'s output: the reference caption, or the sample's own medium copied into
    the store byte for byte (keyed by its content, so a changed dataset file is a new key)."""
    leg = task.legs[turn]
    if leg.modality is None:
        text = given_text(task.name, sample)
        return Generation(_key("given", task.name, sample.id, turn, text), task.name, sample.id, turn, seed + turn,
                          text, (), (), 0.0)
    source = given_medium(task.name, leg, sample)
    try:
        data = source.path.read_bytes()
    except OSError as error:
        raise DatasetError(f"task {task.name}, sample {sample.id}: cannot read its {leg.output} {source.path} to "
                           f"give as the reference leg: {error.strerror or error}") from error
    stored = store.write_media(data, source.path.suffix.lower(), leg.output)
    return Generation(_key("given", task.name, sample.id, turn, sha256_file(source.path)), task.name, sample.id,
                      turn, seed + turn, "", (stored,), (), 0.0)


def _unproduced(task: Task, sample: Sample, turn: int, seed: int, previous: Generation) -> Generation:
    """An empty output for a leg whose input the previous leg did not produce (keyed by that previous output)."""
    return Generation(_key("unproduced", previous.cache_key, turn), task.name, sample.id, turn, seed + turn, "", (),
                      (), 0.0)
