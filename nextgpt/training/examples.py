"""Training examples of the three stages, built from benchmark-format datasets (synthetic world or local copies).

An example is a user turn (the same ``GenerationRequest`` that inference uses, so training and generation see the
same prompt layout) plus the answer to learn: text, then the signal-token run of each output modality, then the
``\\n###`` turn end.  Outputs carry their caption (for the caption-alignment loss) and, when the dataset has one,
the real medium (for the denoising loss).

* stage 1 -- X -> caption: "Describe this image/video/sound in one sentence." + medium -> a reference caption;
* stage 2 -- caption -> signal tokens: "Generate an image of {caption}." -> [IMG0..3] (+ target medium);
* stage 3 -- instruction tuning: every dialogue turn (with the conversation so far) -> its answer and runs, mixed
  with stage-1 and stage-2 style examples so single-turn tasks keep working, and editing instructions
  ("make the circle blue" + the image -> the edited image's run).
The prompts are the benchmark tasks' prompts, so what is trained is what the suite measures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nextgpt.core.modalities import Modality
from nextgpt.core.requests import GenerationRequest, MediaInput

DESCRIBE = {"image": "Describe this image in one sentence.", "video": "Describe this video in one sentence.",
            "audio": "Describe this sound in one sentence."}
GENERATE = {"image": "Generate an image of {caption}.", "video": "Generate a video of {caption}.",
            "audio": "Generate the sound of {caption}."}


@dataclass(frozen=True)
class TargetOutput:
    modality: Modality
    caption: str
    #: the real medium this output should look/sound like (None: no denoising loss for it)
    media: Path | None = None


@dataclass(frozen=True)
class TrainingExample:
    request: GenerationRequest
    answer: str
    outputs: tuple[TargetOutput, ...] = ()


def captioning_examples(samples: Iterable[object], *, all_references: bool = True) -> list[TrainingExample]:
    """Stage 1: each (medium, reference caption) pair of captioning samples."""
    out = []
    for sample in samples:
        medium = sample.inputs[0]  # type: ignore[attr-defined]
        captions = sample.captions if all_references else sample.captions[:1]  # type: ignore[attr-defined]
        for caption in captions:
            request = GenerationRequest(text=DESCRIBE[medium.modality],
                                        media=(MediaInput(medium.modality, medium.path),))
            out.append(TrainingExample(request, caption))
    return out


def generation_examples(samples: Iterable[object]) -> list[TrainingExample]:
    """Stage 2: caption -> the signal-token run of the sample's medium (its target medium for denoising)."""
    out = []
    for sample in samples:
        target = (sample.targets or sample.inputs)[0]  # type: ignore[attr-defined]
        for caption in sample.captions:  # type: ignore[attr-defined]
            request = GenerationRequest(text=GENERATE[target.modality].format(caption=caption))
            out.append(TrainingExample(request, "", (TargetOutput(target.modality, caption, target.path),)))
    return out


def dialogue_examples(samples: Iterable[object]) -> list[TrainingExample]:
    """Stage 3: every turn of every dialogue, with the earlier turns (and their reference answers) as history."""
    out = []
    for sample in samples:
        history: list[tuple[str, str]] = []
        for turn in sample.turns:  # type: ignore[attr-defined]
            outputs = tuple(TargetOutput(m, (turn.reference_captions or ("",))[0])
                            for m in ("image", "video", "audio") if m in turn.expected_outputs)
            answer = turn.answer or ""
            request = GenerationRequest(text=turn.text, media=tuple(MediaInput(f.modality, f.path)
                                                                    for f in turn.media),
                                        history=tuple(history))
            out.append(TrainingExample(request, answer, outputs))
            history.append((turn.text, answer))
    return out


def editing_examples(samples: Iterable[object]) -> list[TrainingExample]:
    """Stage 3: an editing instruction with its source medium -> the signal-token run of the edited medium."""
    out = []
    for sample in samples:
        source, target = sample.inputs[0], sample.targets[0]  # type: ignore[attr-defined]
        request = GenerationRequest(text=sample.instruction,  # type: ignore[attr-defined]
                                    media=(MediaInput(source.modality, source.path),))
        caption = sample.captions[0] if sample.captions else ""  # type: ignore[attr-defined]
        out.append(TrainingExample(request, "", (TargetOutput(target.modality, caption, target.path),)))
    return out
