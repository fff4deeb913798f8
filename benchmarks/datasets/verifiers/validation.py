"""How often the verifiers read the synthetic world's own reference renders right: per attribute, at the world's
native sizes and at the sizes the tiny decoders write (32 px images, 4-frame 32 px videos, the first 1.024 s of a
tone), with a confusion table per attribute.  The references are the files of the test split, read as scoring
reads them (PNG, MPEG-4, 16 kHz WAV).

    .venv/bin/python -m benchmarks.datasets.verifiers.validation --markdown   # the tables of docs/verifiers.md

README.md ("Verifying generated media") shows the accuracy table (:func:`readme_block`); tests/benchmarks/
test_verifiers.py checks that both documents hold what this module prints and that every attribute reaches
``REQUIRED_ACCURACY`` on every variant.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.datasets.synthetic import SAMPLE_RATE, synthetic_world_folder
from benchmarks.datasets.verifiers.audio import read_audio
from benchmarks.datasets.verifiers.image import read_image
from benchmarks.datasets.verifiers.video import read_video
from benchmarks.datasets.verifiers.vocabulary import ATTRIBUTE_VALUES, NONE, VERIFIED_ATTRIBUTES
from nextgpt.core.media import read_media

#: the share of references every attribute must be read right on, on every variant (issue 16)
REQUIRED_ACCURACY = 0.98
#: scenes (and tones) validated: the first this many of the test split
SCENES = 300
#: the world folder of each modality's references
KIND = {"image": "images", "video": "videos", "audio": "audio"}
READERS: dict[str, Callable[[np.ndarray], dict[str, str]]] = {
    "image": read_image, "video": read_video, "audio": lambda wave: read_audio(wave, SAMPLE_RATE)}


def resized_image(size: int) -> Callable[[np.ndarray], np.ndarray]:
    def resize(image: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))

    return resize


def shortened_video(frames: int, size: int) -> Callable[[np.ndarray], np.ndarray]:
    """``frames`` frames spread evenly over the clip (first and last kept), each resized to ``size`` px."""
    def shorten(video: np.ndarray) -> np.ndarray:
        picked = np.round(np.linspace(0, len(video) - 1, frames)).astype(int)
        return np.stack([resized_image(size)(video[i]) for i in picked])

    return shorten


def first_seconds(seconds: float) -> Callable[[np.ndarray], np.ndarray]:
    def cut(wave: np.ndarray) -> np.ndarray:
        return wave[:round(seconds * SAMPLE_RATE)]

    return cut


def _unchanged(medium: np.ndarray) -> np.ndarray:
    return medium


@dataclass(frozen=True)
class Variant:
    """One way the references are shown to a verifier."""

    modality: str
    label: str
    transform: Callable[[np.ndarray], np.ndarray]


VARIANTS: tuple[Variant, ...] = (
    Variant("image", "64 px (world)", _unchanged),
    Variant("image", "32 px (tiny decoder)", resized_image(32)),
    Variant("image", "512 px (SD size)", resized_image(512)),
    Variant("video", "8 frames, 64 px (world)", _unchanged),
    Variant("video", "4 frames, 32 px (tiny decoder)", shortened_video(4, 32)),
    Variant("audio", "2 s (world)", _unchanged),
    Variant("audio", "first 1.024 s (tiny decoder)", first_seconds(1.024)),
)


@dataclass(frozen=True)
class AttributeValidation:
    """One attribute of one variant: how each true value was read."""

    modality: str
    variant: str
    attribute: str
    #: (true value, reading) -> count
    confusion: dict[tuple[str, str], int]

    @property
    def n(self) -> int:
        return sum(self.confusion.values())

    @property
    def accuracy(self) -> float:
        return sum(c for (truth, read), c in self.confusion.items() if truth == read) / self.n


def validate(scenes: int = SCENES, *, cache_dir: Path | None = None, variants: Sequence[Variant] = VARIANTS,
             readers: dict[str, Callable[[np.ndarray], dict[str, str]]] | None = None
             ) -> list[AttributeValidation]:
    """Read the first ``scenes`` references of the test split (seed 0) in every variant.  ``readers`` replaces
    the verifier of a modality (the test's check that a wrong reader fails)."""
    readers = {**READERS, **(readers or {})}
    folder = synthetic_world_folder(scenes, seed=0, split="test", cache_dir=cache_dir)
    from benchmarks.datasets.manifest import load_manifest

    results = []
    for modality in dict.fromkeys(v.modality for v in variants):
        samples = load_manifest(folder / f"{KIND[modality]}.jsonl", name=KIND[modality]).samples
        references = [read_media(modality, s.targets[0].path, sample_rate=SAMPLE_RATE) for s in samples]
        for variant in (v for v in variants if v.modality == modality):
            counts: dict[str, Counter[tuple[str, str]]] = {a: Counter() for a in VERIFIED_ATTRIBUTES[modality]}
            for sample, reference in zip(samples, references, strict=True):
                reading = readers[modality](variant.transform(reference))
                for attribute, counter in counts.items():
                    counter[(str(sample.metadata[attribute]), reading[attribute])] += 1
            results += [AttributeValidation(modality, variant.label, a, dict(c)) for a, c in counts.items()]
    return results


def failing(results: Sequence[AttributeValidation]) -> list[AttributeValidation]:
    return [r for r in results if r.accuracy < REQUIRED_ACCURACY]


# ------------------------------------------------------------------------------------------------ tables
def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def accuracy_table(results: Sequence[AttributeValidation]) -> str:
    """One row per (modality, attribute): its accuracy on each variant, and n."""
    rows: dict[tuple[str, str], list[AttributeValidation]] = {}
    for r in results:
        rows.setdefault((r.modality, r.attribute), []).append(r)
    lines = ["| modality | attribute | accuracy on the world's references (n per variant) |", "|---|---|---|"]
    for (modality, attribute), found in rows.items():
        cells = "; ".join(f"{r.variant}: {_percent(r.accuracy)}" for r in found)
        lines.append(f"| {modality} | {attribute} | {cells} (n={found[0].n}) |")
    return "\n".join(lines)


def misreadings(results: Sequence[AttributeValidation]) -> str:
    """The off-diagonal cells of every confusion table, as a list (``none`` when every reading was right)."""
    lines = [f"* {r.modality} {r.attribute}, {r.variant}: {truth} read as {read} x{count}"
             for r in results for (truth, read), count in sorted(r.confusion.items()) if truth != read]
    return "\n".join(lines) if lines else "No reference was misread: every confusion table is diagonal."


def confusion_table(result: AttributeValidation) -> str:
    """Rows: the true value; columns: the reading (NONE only when it occurs)."""
    values = ATTRIBUTE_VALUES[result.attribute]
    columns = [*values, *([NONE] if any(read == NONE for _, read in result.confusion) else [])]
    lines = [f"| {result.attribute} (true \\ read) | {' | '.join(columns)} |", "|---" * (len(columns) + 1) + "|"]
    for truth in values:
        lines.append(f"| {truth} | {' | '.join(str(result.confusion.get((truth, read), 0)) for read in columns)} |")
    return "\n".join(lines)


def confusion_tables(results: Sequence[AttributeValidation]) -> str:
    return "\n\n".join(f"**{r.modality}, {r.variant}**\n\n{confusion_table(r)}" for r in results)


#: the confusion tables README.md shows (on the world's own variant): the shapes of an image and of a moving
#: object, and the motions, where a verifier could most plausibly confuse one value with another
README_CONFUSIONS: tuple[tuple[str, str], ...] = (("image", "shape"), ("video", "shape"), ("video", "motion"))


def readme_confusions(results: Sequence[AttributeValidation]) -> str:
    """The README's confusion tables: each README_CONFUSIONS pair on the first variant it was validated on (the
    world's own size); docs/verifiers.md shows every attribute on every variant."""
    chosen = [next(r for r in results if (r.modality, r.attribute) == pair) for pair in README_CONFUSIONS
              if any((r.modality, r.attribute) == pair for r in results)]
    return "\n\n".join(f"**{r.modality} {r.attribute}, {r.variant}, n={r.n}**\n\n{confusion_table(r)}"
                       for r in chosen)


def readme_block(results: Sequence[AttributeValidation]) -> str:
    """What README.md shows: the accuracy table and the misreadings."""
    return f"{accuracy_table(results)}\n\n{misreadings(results)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the tables (``--markdown``: as in docs/verifiers.md); exit 1 when an attribute is under
    REQUIRED_ACCURACY on a variant."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.datasets.verifiers.validation",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--scenes", type=int, default=SCENES)
    parser.add_argument("--markdown", action="store_true",
                        help="also print every confusion table (docs/verifiers.md)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = validate(args.scenes)
    print(readme_block(results))
    print(f"\n{readme_confusions(results)}")
    if args.markdown:
        print(f"\n{confusion_tables(results)}")
    bad = failing(results)
    print(f"\n{len(results)} attribute x variant pairs, {len(bad)} under {_percent(REQUIRED_ACCURACY)}, "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
