"""The cross-modal cycle tasks (suite ``cycle``): what only an any-to-any model can be asked.

* ``cycle-image`` / ``-video`` / ``-audio``: medium -> caption -> medium.  The regenerated medium is scored against
  the SOURCE medium (CLIP-I for image and video with the run's CLIP network, mel distance for audio) and, on the
  synthetic world, against the source's scene through the world's verifiers (attribute accuracy, overall and per
  attribute).
* ``cycle-text-image`` / ``-video`` / ``-audio``: caption -> medium -> caption.  The final caption is scored against
  the original captions (BLEU-4, METEOR, CIDEr, and the attributes it names), and the intermediate medium against
  the original caption (CLIP-T for images, CLIPSIM for videos).
* each with a ``-reference`` twin whose first leg is the ground truth instead of the model: the reference caption
  (``cycle-image-reference``: regenerate from the dataset's caption, what the cycle would score with a perfect
  captioner) or the dataset's own render (``cycle-text-image-reference``: caption the ground truth, what it would
  score with a perfect generator).  The twin is registered right after its cycle, so reports show them together.

The third reference point, the cascade baseline, is a model rather than a task: ``--model cascade:FILE`` runs the
same suite.
"""

from __future__ import annotations

from benchmarks.scoring.per_attribute_accuracy import CAPTION_ATTRIBUTE_METRICS, VERIFIED_ATTRIBUTE_METRICS
from benchmarks.tasks import builtin  # noqa: F401  (registers the t2x and caption tasks whose prompts legs reuse)
from benchmarks.tasks.legs import Leg
from benchmarks.tasks.task import cycle_task, get_task, register_suite, register_task
from nextgpt.core.modalities import MODALITIES, Modality

#: caption -> X -> caption: the final caption against the original captions (CIDEr-D, corpus BLEU-4 and METEOR),
#: and on the synthetic world whether it names the source scene's attributes (overall and one by one)
FINAL_CAPTION_METRICS: dict[Modality, tuple[str, ...]] = {
    m: ("cider", "bleu4", "meteor", "attribute_accuracy", *CAPTION_ATTRIBUTE_METRICS[m]) for m in MODALITIES}
#: X -> caption -> X: the regenerated medium against the source medium, and on the synthetic world whether the
#: world's verifiers read the source scene's attributes off it (overall and one by one)
FINAL_MEDIUM_METRICS: dict[Modality, tuple[str, ...]] = {
    m: (paired, "attribute_accuracy", *VERIFIED_ATTRIBUTE_METRICS[m])
    for m, paired in (("image", "clip_i"), ("video", "clip_i"), ("audio", "mel_distance"))}
#: the intermediate medium of caption -> X -> caption against the original caption (no CLIP for sound)
INTERMEDIATE_METRICS: dict[Modality, tuple[str, ...]] = {"image": ("clip_t",), "video": ("clipsim",), "audio": ()}

#: the registered single-step tasks whose prompts the legs ask: text -> X, and X -> caption
_TEXT_TO: dict[Modality, str] = {"image": "t2i", "video": "t2v", "audio": "t2a"}
_FAMILY: dict[Modality, str] = {"image": "image-captions", "video": "video-captions", "audio": "audio-captions"}

#: the suite's tasks, each cycle followed by its reference
CYCLES: list[str] = []


def _describe(modality: Modality) -> str:
    """The captioning prompt of ``caption-<modality>``, so a cycle's caption leg asks what that task asks."""
    return get_task(f"caption-{modality}").prompt


def _generate(modality: Modality, what: str) -> str:
    """The prompt of the text -> ``modality`` task with ``what`` (``{caption}`` or ``{previous}``) as its caption."""
    return get_task(_TEXT_TO[modality]).prompt.replace("{caption}", what)


def _register_medium_cycle(modality: Modality) -> None:
    """X -> caption -> X and its reference (the dataset's caption instead of the model's)."""
    name, metrics = f"cycle-{modality}", FINAL_MEDIUM_METRICS[modality]
    regenerate = Leg(modality, _generate(modality, "{previous}"), "none", metrics)
    register_task(cycle_task(
        name, _FAMILY[modality], (Leg("text", _describe(modality), "sample"), regenerate), headline=metrics[0],
        description=f"{modality} -> caption -> {modality}; the regenerated {modality} against the source"))
    register_task(cycle_task(
        f"{name}-reference", _FAMILY[modality], (Leg("text", given=True), regenerate), headline=metrics[0],
        description=f"{name} from the dataset's reference caption instead of the model's (a perfect captioner)"))
    CYCLES.extend([name, f"{name}-reference"])


def _register_text_cycle(modality: Modality) -> None:
    """caption -> X -> caption and its reference (the dataset's render instead of the model's)."""
    name, intermediate = f"cycle-text-{modality}", INTERMEDIATE_METRICS[modality]
    describe = Leg("text", _describe(modality), "previous", FINAL_CAPTION_METRICS[modality])
    against = f"; the {modality} against the original caption" if intermediate else ""
    register_task(cycle_task(
        name, _FAMILY[modality], (Leg(modality, _generate(modality, "{caption}"), "none", intermediate),
                                  describe),
        headline="cider", description=f"caption -> {modality} -> caption; the final caption against the original "
                                      f"captions{against}"))
    register_task(cycle_task(
        f"{name}-reference", _FAMILY[modality], (Leg(modality, given=True, metrics=intermediate), describe),
        headline="cider", description=f"{name} from the dataset's own {modality} instead of the model's (a perfect "
                                      "generator)"))
    CYCLES.extend([name, f"{name}-reference"])


for _modality in MODALITIES:
    _register_medium_cycle(_modality)
for _modality in MODALITIES:
    _register_text_cycle(_modality)

register_suite("cycle", lambda: list(CYCLES))
