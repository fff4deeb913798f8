"""Was a number computed the way published numbers are? The settings that move a value for the same inputs and
that papers fix: the canonical feature network (its real weights, not a seeded toy), and for an image feature
network the canonical resize (:data:`metrics.defaults.DEFAULT_IMAGE_RESIZE`, as torch-fidelity and torchmetrics
resize for the 2015 Inception graph; clean-fid showed the resize filter alone moves FID by several points).

One rule for every place that puts a number beside a published one: the evaluate modules' comparability notes
(metrics/hf_evaluate/results.py) and the report's and leaderboard's paper comparison
(reports/paper_comparison.py). Two runs are compared with each other on every provenance field instead
(reports/pairing.py).
"""

from __future__ import annotations

from metrics.defaults import DEFAULT_IMAGE_RESIZE
from metrics.errors import ConfigError
from metrics.extractors.registry import extractor_spec
from metrics.provenance import Provenance


def non_canonical_settings(provenance: Provenance) -> list[str]:
    """Why ``provenance`` is not the published setting, one phrase per reason (empty when it is).

    A non-canonical network is the whole story (its resize is its own default, not a choice worth naming). A
    resize is judged only for a registered image feature network: a CLIP model's ``resize`` records its own
    preprocessing, and a network this process does not know has no known default."""
    if provenance.extractor is None:
        return []
    if provenance.extractor_canonical is not True:
        return [f"extractor {provenance.extractor!r} is not the canonical network"]
    if provenance.resize is not None and provenance.resize != DEFAULT_IMAGE_RESIZE \
            and _is_image_feature_network(provenance.extractor):
        return [f"resize {provenance.resize!r} is not the canonical {DEFAULT_IMAGE_RESIZE!r} of "
                f"{provenance.extractor} (published numbers use it; the resize filter alone moves FID by "
                "several points)"]
    return []


def _is_image_feature_network(name: str) -> bool:
    try:
        return extractor_spec(name).modality == "image"
    except ConfigError:  # not registered in this process (an extension that is not installed)
        return False
