"""The feature networks of the evaluate modules, chosen by argument and built once per module instance.

``feature_network`` names an image extractor for FID/KID (default the canonical ``inception-2015-12-05``) or an
audio extractor for FAD (default ``vggish``); ``clip_model`` a text-image model for the CLIP metrics (default
``clip-vit-b-32``); the ``toy`` networks need no weights. ``weights`` is a weights file or a folder of them, looked
up as everywhere in the library (then ``$NEXTGPT_BENCH_WEIGHTS``, then the cache folder), sha256-checked, never
downloaded. A network of the wrong kind is refused before any weights are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from metrics.errors import ConfigError
from metrics.extractors.registry import (
    build_feature_extractor,
    build_text_image_model,
    extractor_spec,
    registered_extractors,
)
from metrics.image_resize import RESIZE_METHODS

if TYPE_CHECKING:
    from metrics.extractors.base import FeatureExtractor
    from metrics.extractors.clip import TextImageModel

NetworkKind = Literal["image", "audio", "text-image"]
_ROLE = {"image": "feature_network", "audio": "feature_network", "text-image": "clip_model"}


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _checked(module: str, kind: NetworkKind, name: object, weights: object) -> tuple[str, Path | None]:
    argument = _ROLE[kind]
    if not isinstance(name, str):
        raise ConfigError(f"{module}: {argument} must be a network name (a string), got {type(name).__name__} "
                          f"{name!r}")
    spec = extractor_spec(name)  # an unknown name lists the registered ones
    if spec.modality != kind:
        fitting = [s.name for s in registered_extractors() if s.modality == kind]
        raise ConfigError(f"{module}: {argument}={name!r} is {_a(spec.modality)} network; {module} needs "
                          f"{_a(kind)} network: {', '.join(fitting)}")
    if weights is not None and not isinstance(weights, str | Path):
        raise ConfigError(f"{module}: weights must be a file or folder path, got {type(weights).__name__} "
                          f"{weights!r}")
    return name, None if weights is None else Path(weights)


class Networks:
    """Networks built so far by one module instance, by (kind, name, weights, resize)."""

    def __init__(self, module: str) -> None:
        self.module = module
        self._built: dict[tuple[str, str, Path | None, str | None], object] = {}

    def extractor(self, kind: Literal["image", "audio"], name: object, weights: object,
                  resize: str | None = None) -> FeatureExtractor:
        """An image (FID, KID) or audio (FAD) feature extractor; ``resize`` None keeps the extractor's default."""
        checked, path = _checked(self.module, kind, name, weights)
        if resize is not None and resize not in RESIZE_METHODS:
            raise ConfigError(f"{self.module}: resize must be one of {', '.join(RESIZE_METHODS)} (or None: the "
                              f"network's default), got {resize!r}")
        key = (kind, checked, path, resize)
        if key not in self._built:
            options = {"resize": resize} if resize is not None else {}
            self._built[key] = build_feature_extractor(checked, path, **options)
        return self._built[key]  # type: ignore[return-value]

    def clip(self, name: object, weights: object) -> TextImageModel:
        """A text-image model for CLIP score, CLIP-I and CLIPSIM."""
        checked, path = _checked(self.module, "text-image", name, weights)
        key = ("text-image", checked, path, None)
        if key not in self._built:
            self._built[key] = build_text_image_model(checked, path)
        return self._built[key]  # type: ignore[return-value]
