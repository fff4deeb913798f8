"""Which data each training stage learns from, as training examples."""

from __future__ import annotations

from typing import Any

from nextgpt.training.examples import captioning_examples, dialogue_examples, editing_examples, generation_examples

#: dataset families each stage learns from (stage 3 mixes dialogues with the single-turn tasks)
STAGE_FAMILIES = {1: ("image-captions", "video-captions", "audio-captions"),
                  2: ("image-captions", "video-captions", "audio-captions"),
                  3: ("dialogues", "image-captions", "video-captions", "audio-captions", "image-edits",
                      "video-edits", "audio-edits")}


def stage_examples(stage: int, datasets: dict[str, str], train_samples: int, seed: int) -> list[Any]:
    """The training examples of ``stage``: local datasets per family where given, else the synthetic world's
    train split (``train_samples`` samples per family)."""
    from benchmarks.datasets.registry import resolve_dataset

    examples: list[Any] = []
    for family in STAGE_FAMILIES[stage]:
        samples = resolve_dataset(family, datasets.get(family), limit=train_samples, seed=seed,
                                  split="train").samples
        if family == "dialogues":
            examples += dialogue_examples(samples)
        elif family.endswith("-edits"):
            examples += editing_examples(samples)
        elif stage == 1:
            examples += captioning_examples(samples)
        elif stage == 2:
            examples += generation_examples(samples)
        else:
            examples += captioning_examples(samples, all_references=False) + generation_examples(samples)[::3]
    return examples
