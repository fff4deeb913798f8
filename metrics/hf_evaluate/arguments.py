"""The ``compute()`` arguments of the nextgpt-bench evaluate modules, checked one way for all of them.

``evaluate.combine([...]).compute(**kwargs)`` passes every keyword to every module, so a module cannot refuse an
argument that belongs to one of its siblings. The rule: a module reads its own arguments, ignores the other
nextgpt-bench modules' arguments (the names of :data:`SUITE_ARGUMENTS`), and refuses any other name, so a typo
(``feature_netwrok``) is an error, never silently the default.
"""

from __future__ import annotations

from collections.abc import Mapping

from metrics.errors import ConfigError

#: every argument name a nextgpt-bench evaluate module reads, and which modules read it (docs/evaluate.md).
#: ``input_modality`` and ``attributes`` belong to attribute_accuracy (benchmarks.scoring.hf_evaluate), named here
#: so that the library's modules accept them in a combine with that module.
SUITE_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "reference_images": ("fid", "kid"),
    "reference_audio": ("fad",),
    "feature_network": ("fid", "kid", "fad"),
    "clip_model": ("clip_score", "clip_i", "clipsim"),
    "weights": ("fid", "kid", "fad", "clip_score", "clip_i", "clipsim"),
    "resize": ("fid", "kid"),
    "batch_size": ("fid", "kid", "fad", "clip_score", "clip_i", "clipsim"),
    "kid_subsets": ("kid",),
    "kid_subset_size": ("kid",),
    "max_frames": ("clipsim",),
    "resample": ("fad",),
    "tokenizer": ("coco_captions",),
    "caption_metrics": ("coco_captions",),
    "bootstrap": ("clip_score", "clip_i", "clipsim", "coco_captions", "attribute_accuracy"),
    "seed": ("clip_score", "clip_i", "clipsim", "coco_captions", "attribute_accuracy"),
    "input_modality": ("attribute_accuracy",),
    # not an argument but attribute_accuracy's second input column, given to compute() by keyword
    "attributes": ("attribute_accuracy",),
}


def resolve_arguments(module: str, defaults: Mapping[str, object], given: Mapping[str, object]
                      ) -> dict[str, object]:
    """``module``'s arguments: ``defaults`` overridden by ``given``; siblings' arguments are dropped, any other
    name is a ConfigError naming it and listing what ``module`` takes."""
    unknown = [name for name in given if name not in defaults and name not in SUITE_ARGUMENTS]
    if unknown:
        raise ConfigError(
            f"{module}: unknown argument(s) {', '.join(map(repr, unknown))}; {module} takes "
            f"{', '.join(defaults) or 'no arguments'} (the other nextgpt-bench modules' arguments "
            f"({', '.join(name for name in SUITE_ARGUMENTS if name not in defaults)}) are accepted and ignored, so "
            "that evaluate.combine can pass them all)")
    return {name: given.get(name, default) for name, default in defaults.items()}


def integer_at_least(module: str, name: str, value: object, minimum: int) -> int:
    """``value`` as an integer >= ``minimum``, else a ConfigError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{module}: {name} must be an integer >= {minimum}, got {type(value).__name__} {value!r}")
    return value


def optional_text(module: str, name: str, value: object) -> str | None:
    """``value`` when it is a string or None, else a ConfigError naming the argument."""
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{module}: {name} must be a string, got {type(value).__name__} {value!r}")
    return value
