"""Helpers shared by the metric tests (importable because pytest puts tests/metrics on sys.path)."""

from __future__ import annotations

import random
import shutil

import pytest

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed")

_WORDS = [
    "a", "an", "the", "man", "woman", "dog", "cat", "two", "three", "people", "sitting", "on", "top", "of",
    "table", "with", "red", "blue", "large", "small", "is", "are", "riding", "horse", "street", "bus",
    "kitchen", "near", "next", "to", "pizza", "plate", "skateboard", "surfer", "wave", "bench", "park",
    "tennis", "player"
]
_EXTRAS = ["don't", "it's", "dog's", "well-known", "t-shirt", "(red)", "3-4", "1,000", "10:30", "&", "--",
           "...", '"big"', "U.S.", "Mr.", "A", "The", "Two"]


def make_caption(rng: random.Random) -> str:
    words = [rng.choice(_EXTRAS) if rng.random() < 0.15 else rng.choice(_WORDS)
             for _ in range(rng.randint(3, 14))]
    if rng.random() < 0.2:
        words[rng.randrange(len(words))] += rng.choice([",", ";", "!", "?"])
    return " ".join(words) + rng.choice([".", "", " .", "!"])


def make_caption_corpus(n_images: int = 120, seed: int = 1234) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Images with 1-5 references each; every third prediction copies a reference (high-order matches)."""
    rng = random.Random(seed)
    predictions, references = {}, {}
    for i in range(n_images):
        refs = [make_caption(rng) for _ in range(rng.randint(1, 5))]
        references[f"img{i}"] = refs
        pred = make_caption(rng)
        if i % 3 == 0:
            pred = refs[0].replace("the", "a", 1)
        predictions[f"img{i}"] = pred
    return predictions, references
