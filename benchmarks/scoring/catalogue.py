"""Which metrics each scorer of benchmarks/scoring/scorers.py can produce, by the task's output kind.

A task declaration is checked against this table when it is made (``Task.__post_init__``): a metric no scorer
produces would otherwise be missing from every run without a word, and a gate rule naming it would gate nothing.
Keep it in step with scoring.py (tests/benchmarks/test_task_declarations.py checks the caption names against the
caption suite and every shipped task against a scored run).
"""

from __future__ import annotations

CAPTION_METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider", "sacrebleu")
SIGNAL_METRICS = ("signal_rate", "signal_exact")

#: output kind -> metric names its scorer produces (when the task declares them)
SCORER_METRICS: dict[str, tuple[str, ...]] = {
    "text": (*CAPTION_METRICS, "attribute_accuracy"),
    "image": ("fid", "clip_score", "clip_t", "clip_i", *SIGNAL_METRICS),
    "video": ("fid", "clipsim", "clip_t", "clip_i", *SIGNAL_METRICS),
    "audio": ("fad", "mel_distance", *SIGNAL_METRICS),
    "dialogue": ("modality_accuracy", "image_turn_accuracy", "video_turn_accuracy", "audio_turn_accuracy",
                 "text_turn_accuracy"),
}

#: metrics one scorer computes in the same slot: a task declares at most one of each group (the scorer would
#: silently compute only the first)
EXCLUSIVE: dict[str, tuple[tuple[str, ...], ...]] = {
    "image": (("clip_score", "clip_t"),),
    "video": (("clipsim", "clip_t"),),
}


def declaration_problems(output: str, metrics: tuple[str, ...]) -> list[str]:
    """What is wrong with declaring ``metrics`` for a task of this output kind (empty: nothing)."""
    known = SCORER_METRICS.get(output, ())
    problems = []
    unknown = [m for m in metrics if m not in known]
    if unknown:
        problems.append(f"no scorer produces the metric(s) {', '.join(unknown)} for {output} output; the "
                        f"{output} scorer produces {', '.join(known)}")
    repeated = sorted({m for m in metrics if metrics.count(m) > 1})
    if repeated:
        problems.append(f"metric(s) {', '.join(repeated)} declared more than once")
    for group in EXCLUSIVE.get(output, ()):
        both = [m for m in group if m in metrics]
        if len(both) > 1:
            problems.append(f"declare only one of {', '.join(group)} (the {output} scorer computes them in the "
                            "same slot)")
    return problems
