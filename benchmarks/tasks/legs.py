"""The legs of a cross-modal cycle task (image -> caption -> image, caption -> image -> caption, ...).

A cycle is declared as a tuple of :class:`Leg`: the first leg is built from the sample (its input medium or its
caption), each next leg from the previous leg's output (the caption the model wrote goes into the prompt as
``{previous}``; the medium it generated goes in as an input file).  Each leg is one model request, stored as turn
= leg index.  A leg may be ``given``: instead of asking the model, its output is the dataset's own ground truth
(the reference caption, or the sample's own render): that is how a cycle's reference point replaces the model's
first leg.

Each leg names the metrics scored on its output, so a metric says which leg it reads by where it is declared:
``clip_t`` on the image leg of caption -> image -> caption scores the intermediate image against the original
caption, ``cider`` on the last leg scores the final caption.  Media metrics of a cycle compare with the sample's
SOURCE medium (its input; see ``benchmarks.scoring.cycle_scoring``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast

from benchmarks.datasets.samples import MediaFile, Sample
from benchmarks.scoring.context import ScoredLeg
from benchmarks.scoring.metric_spec import OutputKind
from benchmarks.scoring.registry import declaration_problems, metric_spec
from nextgpt.core.errors import TaskError
from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import GenerationRequest, MediaInput

__all__ = ["LEG_MEDIA", "Leg", "LegInput", "LegMedia", "given_medium", "given_text", "leg_problems", "leg_prompt",
           "leg_request", "scored_legs"]

#: what media go with a leg's request: none, the sample's input media (first leg), the previous leg's medium
LegMedia = Literal["none", "sample", "previous"]
LEG_MEDIA: tuple[LegMedia, ...] = ("none", "sample", "previous")


@dataclass(frozen=True)
class Leg:
    #: what the leg produces: ``text`` (a caption) or one medium
    output: OutputKind
    #: the user's message; ``{caption}`` is the sample's first caption, ``{previous}`` the previous leg's text
    prompt: str = ""
    media: LegMedia = "none"
    #: the metrics scored on this leg's output (each metric of a cycle is declared on exactly one leg)
    metrics: tuple[str, ...] = ()
    #: not asked of the model: the output is the ground truth (the first caption, or the sample's own medium)
    given: bool = False

    @property
    def modality(self) -> Modality | None:
        return cast(Modality, self.output) if self.output in MODALITIES else None


@dataclass(frozen=True)
class LegInput:
    """What the next leg reads of a leg's output: its text and its media files."""

    text: str
    media: tuple[MediaInput, ...]


def leg_problems(legs: tuple[Leg, ...]) -> list[str]:
    """What is wrong with a cycle declared as ``legs`` (empty: nothing), each naming the leg and the field."""
    if len(legs) < 2:
        return [f"a cycle needs at least 2 legs, got {len(legs)}"]
    problems = []
    for index, leg in enumerate(legs):
        where = f"leg {index}"
        if leg.output not in ("text", *MODALITIES):
            problems.append(f"{where}: output {leg.output!r}; expected text or one of {', '.join(MODALITIES)}")
            continue
        if leg.media not in LEG_MEDIA:
            problems.append(f"{where}: media {leg.media!r}; expected one of {', '.join(LEG_MEDIA)}")
        problems += [f"{where}: {p}" for p in declaration_problems(leg.output, tuple(leg.metrics))]
        if leg.given:
            if index != 0:
                problems.append(f"{where}: only the first leg can be given (a reference point replaces the "
                                "model's first leg by the ground truth)")
            continue
        previous = legs[index - 1] if index else None
        if previous is None and leg.media == "previous":
            problems.append(f"{where}: the first leg has no previous leg to read; expected media 'sample' or 'none'")
        if previous is not None and leg.media == "sample":
            problems.append(f"{where}: only the first leg reads the sample's media; expected 'previous' or 'none'")
        if previous is not None and previous.modality is not None and leg.media != "previous":
            problems.append(f"{where}: the previous leg produces {previous.output} but this leg does not read it "
                            "(media must be 'previous')")
        if previous is not None and previous.output == "text" and leg.media == "previous":
            problems.append(f"{where}: the previous leg produces text, so there is no medium to read (every sample "
                            "would score as a failure); expected media 'none' (its text goes in as {previous})")
        if previous is not None and previous.output == "text" and "{previous}" not in leg.prompt:
            problems.append(f"{where}: the previous leg produces text but the prompt {leg.prompt!r} does not "
                            "contain {previous}")
    if legs[-1].given:
        problems.append(f"leg {len(legs) - 1}: the last leg cannot be given (nothing of the model would be scored)")
    seen: dict[str, int] = {}
    for index, leg in enumerate(legs):
        for metric in leg.metrics:
            if metric in seen and seen[metric] != index:
                problems.append(f"metric {metric} is declared on legs {seen[metric]} and {index}; a metric reads "
                                "one leg (its stored result has one name)")
            seen.setdefault(metric, index)
    featured = sorted({index for index, leg in enumerate(legs) for metric in leg.metrics if _stores_features(metric)})
    if len(featured) > 1:
        problems.append(f"set-feature metrics (fid, fad, kid) are declared on legs {', '.join(map(str, featured))}; "
                        "declare them on one leg only (a run keeps one feature set per task, extractor and side, so "
                        "two legs' features would overwrite each other)")
    return problems


def _stores_features(metric: str) -> bool:
    """Whether ``metric`` keeps feature rows in the store: a set statistic of media (FID, FAD, KID), computed from
    the feature rows scoring saves per task, extractor and side."""
    try:
        spec = metric_spec(metric)
    except TaskError:
        return False  # an unknown metric is reported by declaration_problems
    return spec.granularity == "per-set" and "text" not in spec.outputs


def scored_legs(legs: Iterable[Leg]) -> tuple[ScoredLeg, ...]:
    """What scoring needs of the legs: the turn each leg is stored as, its output and its metrics."""
    return tuple(ScoredLeg(turn, leg.output, tuple(leg.metrics)) for turn, leg in enumerate(legs))


def leg_request(task: str, leg: Leg, sample: Sample, previous: LegInput | None, seed: int,
                max_new_tokens: int) -> GenerationRequest | None:
    """The model request of ``leg`` (not given) -> None when the previous leg produced no medium for it to read
    (the cycle is broken there: the model failed to produce what the previous leg asked)."""
    if leg.media == "sample":
        media = tuple(MediaInput(f.modality, f.path) for f in sample.inputs)
    elif leg.media == "previous":
        if previous is None or not previous.media:
            return None
        media = previous.media
    else:
        media = ()
    text = leg_prompt(task, leg, sample, previous.text if previous else "")
    wanted: frozenset[Modality] = frozenset() if leg.modality is None else frozenset({leg.modality})
    return GenerationRequest(text=text, media=media, want=wanted, allowed_outputs=wanted, seed=seed,
                             max_new_tokens=max_new_tokens)


def leg_prompt(task: str, leg: Leg, sample: Sample, previous: str) -> str:
    """The user's message of ``leg``: its prompt with the sample's first caption and the previous leg's text."""
    try:
        return leg.prompt.format(caption=sample.captions[0] if sample.captions else "",
                                 previous=_inside_sentence(previous))
    except (KeyError, IndexError) as error:
        raise TaskError(f"task {task}: leg prompt {leg.prompt!r} needs {error}; a leg prompt may use {{caption}} "
                        "and {previous}") from error


def _inside_sentence(answer: str) -> str:
    """The previous leg's answer as it goes inside the next prompt's sentence: without surrounding space or a
    final full stop ("Generate an image of a red circle." not "... of a red circle..")."""
    return answer.strip().rstrip(".").strip()


def given_text(task: str, sample: Sample) -> str:
    """A given text leg: the sample's first reference caption."""
    if not sample.captions:
        raise TaskError(f"task {task}: sample {sample.id} has no caption to give as the reference leg")
    return sample.captions[0]


def given_medium(task: str, leg: Leg, sample: Sample) -> MediaFile:
    """A given medium leg: the sample's own medium of the leg's modality (its input, else its target)."""
    found = next((f for f in (*sample.inputs, *sample.targets) if f.modality == leg.modality), None)
    if found is None:
        raise TaskError(f"task {task}: sample {sample.id} has no {leg.output} (inputs and targets: "
                        f"{', '.join(f.modality for f in (*sample.inputs, *sample.targets)) or 'none'}) to give as "
                        "the reference leg")
    return found
