"""The metrics the harness ships, registered by benchmarks/scoring/registry.py when it is first read."""

from __future__ import annotations

from benchmarks.scoring.metric_spec import Granularity, MetricSpec

_MEDIA = frozenset({"image", "video", "audio"})


def _caption(name: str, granularity: Granularity, description: str) -> MetricSpec:
    return MetricSpec(name, True, frozenset({"text"}), granularity,
                      "per-sample" if granularity == "per-sample" else "none", description)


BUILTIN_METRICS: tuple[MetricSpec, ...] = (
    *(_caption(f"bleu{k}", "per-set", f"COCO corpus BLEU-{k} (pycocoevalcap, 0-1 scale)") for k in range(1, 5)),
    _caption("meteor", "per-set", "COCO METEOR 1.5 (corpus score of the Java scorer)"),
    _caption("rouge_l", "per-sample", "COCO ROUGE-L, mean of per-caption F-scores"),
    _caption("cider", "per-sample", "COCO CIDEr-D, mean of per-caption scores (idf from the reference corpus)"),
    _caption("sacrebleu", "per-set", "sacreBLEU corpus BLEU (0-100 scale)"),
    MetricSpec("attribute_accuracy", True, frozenset({"text"}), "per-sample", "per-sample",
               "share of the input's scene attributes (synthetic world) named in the caption"),
    MetricSpec("signal_rate", True, _MEDIA, "per-sample", "per-sample",
               "fraction of samples whose answer contained the output's signal tokens without forcing"),
    MetricSpec("signal_exact", True, _MEDIA, "per-sample", "per-sample",
               "fraction of samples whose answer contained exactly the output's signal-token run"),
    MetricSpec("fid", False, frozenset({"image", "video"}), "per-set", "set-jackknife",
               "Frechet Inception distance of generated images (video: frames) to the targets"),
    MetricSpec("kid", False, frozenset({"image", "video"}), "per-set", "none",
               "kernel Inception distance (mean and std over subsets)", result_names=("kid_mean", "kid_std")),
    MetricSpec("fad", False, frozenset({"audio"}), "per-set", "set-jackknife",
               "Frechet audio distance (VGGish) of generated clips to the targets"),
    MetricSpec("mel_distance", False, frozenset({"audio"}), "per-sample", "per-sample",
               "mean L1 between log-mel spectrograms of output and target"),
    MetricSpec("clip_score", True, frozenset({"image"}), "per-sample", "per-sample",
               "CLIP score (x100) of each image with its caption", exclusive_group="clip-text"),
    MetricSpec("clip_t", True, frozenset({"image", "video"}), "per-sample", "per-sample",
               "CLIP text similarity (x100) of the output with the target caption", exclusive_group="clip-text"),
    MetricSpec("clipsim", True, frozenset({"video"}), "per-sample", "per-sample",
               "CLIPSIM: frame-averaged CLIP score (x100) of each video with its caption",
               exclusive_group="clip-text"),
    MetricSpec("clip_i", True, frozenset({"image", "video"}), "per-sample", "per-sample",
               "CLIP image cosine of the output with the target (videos frame by frame)"),
    MetricSpec("modality_accuracy", True, frozenset({"dialogue"}), "per-sample", "per-sample",
               "fraction of turns whose produced outputs are exactly the expected modalities"),
    *(MetricSpec(f"{kind}_turn_accuracy", True, frozenset({"dialogue"}), "per-sample", "per-sample",
                 f"modality accuracy on turns that expect {kind} output") for kind in ("image", "video", "audio",
                                                                                        "text")),
)
