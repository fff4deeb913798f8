"""The shipped tasks and suites.  The NExT-GPT paper's numbers for them are data, in one place:
``paper_reference.json`` beside this module (loaded and checked against these declarations by
``benchmarks.tasks.paper``)."""

from __future__ import annotations

from benchmarks.scoring.per_attribute_accuracy import CAPTION_ATTRIBUTE_METRICS, VERIFIED_ATTRIBUTE_METRICS
from benchmarks.tasks.task import Task, register_suite, register_task

#: COCO caption metrics, plus attribute_accuracy (synthetic world only: does the caption name the input's colour,
#: shape, pitch... -- what template-shaped n-gram scores cannot tell; see benchmarks/scoring/attribute_accuracy.py)
CAPTION_METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider", "attribute_accuracy")


def caption_metrics(modality: str) -> tuple[str, ...]:
    """CAPTION_METRICS plus one accuracy per attribute a caption of ``modality`` should name (synthetic world)."""
    return (*CAPTION_METRICS, *CAPTION_ATTRIBUTE_METRICS[modality])


def verified_metrics(modality: str) -> tuple[str, ...]:
    """attribute_accuracy and one accuracy per attribute the synthetic world's verifier reads off a produced
    ``modality`` (benchmarks/datasets/verifiers; synthetic world only, no published counterpart)."""
    return ("attribute_accuracy", *VERIFIED_ATTRIBUTE_METRICS[modality])


register_task(Task(
    name="caption-image", family="image-captions", output="text", metrics=caption_metrics("image"), uses_inputs=True,
    prompt="Describe this image in one sentence.", description="image -> caption (COCO captions)", headline="cider"))
register_task(Task(
    name="caption-video", family="video-captions", output="text", metrics=caption_metrics("video"), uses_inputs=True,
    prompt="Describe this video in one sentence.", description="video -> caption (MSR-VTT)", headline="cider"))
register_task(Task(
    name="caption-audio", family="audio-captions", output="text", metrics=caption_metrics("audio"), uses_inputs=True,
    prompt="Describe this sound in one sentence.", description="audio -> caption (AudioCaps)", headline="cider"))

#: did the model ask for the output: with any of its signal tokens / with exactly its canonical run
SIGNAL = ("signal_rate", "signal_exact")

register_task(Task(
    name="t2i", family="image-captions", output="image",
    metrics=("fid", "clip_score", *SIGNAL, *verified_metrics("image")),
    uses_inputs=False, prompt="Generate an image of {caption}.", description="caption -> image (COCO captions)",
    headline="fid"))
register_task(Task(
    name="t2v", family="video-captions", output="video",
    metrics=("fid", "clipsim", *SIGNAL, *verified_metrics("video")),
    uses_inputs=False, prompt="Generate a video of {caption}.",
    description="caption -> video (MSR-VTT); FID over frames", headline="fid"))
register_task(Task(
    name="t2a", family="audio-captions", output="audio",
    metrics=("fad", *SIGNAL, *verified_metrics("audio")), uses_inputs=False,
    prompt="Generate the sound of {caption}.", description="caption -> audio (AudioCaps)", headline="fad"))

register_task(Task(
    name="edit-image", family="image-edits", output="image",
    metrics=("clip_t", "clip_i", "fid", *SIGNAL, *verified_metrics("image"), "edit_success"),
    uses_inputs=True, prompt="{instruction}",
    description="text + image -> edited image; CLIP-T: output vs target caption, CLIP-I: output vs target image",
    headline="clip_i"))
register_task(Task(
    name="edit-video", family="video-edits", output="video",
    metrics=("clip_t", "clip_i", *SIGNAL, *verified_metrics("video"), "edit_success"),
    uses_inputs=True, prompt="{instruction}",
    description="text + video -> edited video; CLIP metrics averaged over frames", headline="clip_i"))
register_task(Task(
    name="edit-audio", family="audio-edits", output="audio",
    metrics=("fad", "mel_distance", *SIGNAL, *verified_metrics("audio"), "edit_success"),
    uses_inputs=True, prompt="{instruction}",
    description="text + audio -> edited audio; mel_distance: mean L1 between log-mel spectrograms of output and "
                "target (paired; the paper's MCD is a different distance)", headline="mel_distance"))

register_task(Task(
    name="dialogue", family="dialogues", output="dialogue",
    metrics=("modality_accuracy", "image_turn_accuracy", "video_turn_accuracy", "audio_turn_accuracy",
             "text_turn_accuracy"),
    uses_inputs=False, prompt="", max_new_tokens=48,
    description="modality-switching conversations (MosIT-style): is each turn answered with the right outputs",
    headline="modality_accuracy"))

CAPTIONING = ["caption-image", "caption-video", "caption-audio"]
TEXT_TO_X = ["t2i", "t2v", "t2a"]
EDITING = ["edit-image", "edit-video", "edit-audio"]
register_suite("default", lambda: [*CAPTIONING, *TEXT_TO_X, *EDITING, "dialogue"])
register_suite("captioning", lambda: CAPTIONING)
register_suite("text-to-x", lambda: TEXT_TO_X)
register_suite("editing", lambda: EDITING)
register_suite("dialogue", lambda: ["dialogue"])
