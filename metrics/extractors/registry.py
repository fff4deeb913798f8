"""The registry of feature extractors: one entry per network, canonical ones with their weights facts.

``build_extractor("inception-2015-12-05")`` needs the weights file (see metrics.weights for the lookup order);
``build_extractor("toy")`` needs nothing and says so in every result's name. :func:`build_feature_extractor`
(FID, FAD, KID) and :func:`build_text_image_model` (the CLIP metrics) also check that the named network is of the
kind the metric needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import torch

from metrics.errors import ConfigError, MissingWeightsError
from metrics.weights import WeightsSpec, resolve_weights

if TYPE_CHECKING:
    from metrics.extractors.base import FeatureExtractor
    from metrics.extractors.clip import TextImageModel

#: what a registered builder returns: a feature extractor (image, audio) or a text-image model (CLIP)
Extractor: TypeAlias = "FeatureExtractor | TextImageModel"
#: builder options (today only ``resize``, a string)
Options: TypeAlias = dict[str, str]


@dataclass(frozen=True)
class ExtractorSpec:
    name: str
    modality: str  # "image", "audio" or "text-image"
    canonical: bool
    description: str
    build: Callable[[Path | None, Options], Extractor]
    weights: WeightsSpec | None = None


_REGISTRY: dict[str, ExtractorSpec] = {}


def register_feature_extractor(spec: ExtractorSpec) -> ExtractorSpec:
    """Add an extractor; canonical ones must name their weights, names must be unique and bracket-free."""
    if spec.name in _REGISTRY:
        raise ConfigError(f"feature extractor {spec.name!r} is already registered")
    if any(c in spec.name for c in "[] "):
        raise ConfigError(f"extractor name {spec.name!r} may not contain brackets or spaces")
    if spec.modality not in ("image", "audio", "text-image"):
        raise ConfigError(f"extractor {spec.name!r}: unknown modality {spec.modality!r}")
    if spec.canonical and spec.weights is None:
        raise ConfigError(f"canonical extractor {spec.name!r} must declare its WeightsSpec")
    _REGISTRY[spec.name] = spec
    return spec


def extractor_spec(name: str) -> ExtractorSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown feature extractor {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def registered_extractors() -> list[ExtractorSpec]:
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def build_extractor(name: str, weights: str | Path | None = None, **options: str) -> Extractor:
    """Instantiate a registered extractor; canonical weights are located and sha256-verified first."""
    spec = extractor_spec(name)
    path = resolve_weights(name, spec.weights, weights) if spec.weights is not None else None
    return spec.build(path, options)


def build_feature_extractor(name: str, weights: str | Path | None = None, **options: str) -> FeatureExtractor:
    """A registered image or audio feature extractor (FID, FAD, KID); a text-image model is a ConfigError."""
    spec = extractor_spec(name)
    if spec.modality not in ("image", "audio"):
        raise ConfigError(f"{name!r} is a {spec.modality} model, not an image or audio feature extractor; "
                          f"image/audio extractors: {', '.join(_names('image', 'audio'))}")
    return build_extractor(name, weights, **options)  # type: ignore[return-value]


def build_text_image_model(name: str, weights: str | Path | None = None) -> TextImageModel:
    """A registered text-image model (CLIP score, CLIP-I, CLIPSIM); a feature extractor is a ConfigError."""
    spec = extractor_spec(name)
    if spec.modality != "text-image":
        raise ConfigError(f"{name!r} is an {spec.modality} feature extractor, not a text-image model; "
                          f"text-image models: {', '.join(_names('text-image'))}")
    return build_extractor(name, weights)  # type: ignore[return-value]


def _names(*modalities: str) -> list[str]:
    return [spec.name for spec in registered_extractors() if spec.modality in modalities]


def _load_state_dict(module: torch.nn.Module, path: Path, name: str) -> None:
    state = torch.load(path, map_location="cpu", weights_only=True)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise MissingWeightsError(f"{name}: {path} does not fit the network ({error})") from error


# --- canonical networks ---------------------------------------------------------------------------------

INCEPTION_WEIGHTS = WeightsSpec(
    file_name="pt_inception-2015-12-05-6726825d.pth",
    sha256="6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2",
    url="https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
    source="TensorFlow inception-2015-12-05 graph ported by pytorch-fid (same bytes as torch-fidelity's "
           "weights-inception-2015-12-05-6726825d.pth)",
    licence="Apache-2.0",
)
VGGISH_WEIGHTS = WeightsSpec(
    file_name="vggish-10086976.pth",
    sha256="10086976245803799d9194e9a73d9b6c1549c71d1b80106f5cade5608a561f4b",
    url="https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth",
    source="Google AudioSet VGGish (tensorflow/models research/audioset) ported by harritaylor/torchvggish",
    licence="Apache-2.0",
)
CLIP_B32_WEIGHTS = WeightsSpec(
    file_name="ViT-B-32.pt",
    sha256="40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af",
    url="https://openaipublic.azureedge.net/clip/models/40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
    source="OpenAI CLIP ViT-B/32",
    licence="MIT",
)
CLIP_L14_WEIGHTS = WeightsSpec(
    file_name="ViT-L-14.pt",
    sha256="b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836",
    url="https://openaipublic.azureedge.net/clip/models/b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836/ViT-L-14.pt",
    source="OpenAI CLIP ViT-L/14",
    licence="MIT",
)


def _build_inception(path: Path | None, options: Options) -> Extractor:
    from metrics.extractors.base import ExtractorIdentity
    from metrics.extractors.inception import FIDInceptionV3

    resize = options.get("resize", "tf-bilinear")
    identity = ExtractorIdentity("inception-2015-12-05", True, INCEPTION_WEIGHTS.sha256, 2048,
                                 f"uint8 RGB, {resize} resize to 299, (x-128)/128")
    model = FIDInceptionV3(identity, resize=resize)
    assert path is not None
    _load_state_dict(model, path, identity.name)
    return model.eval()


def _build_vggish(path: Path | None, options: Options) -> Extractor:
    from metrics.extractors.base import ExtractorIdentity
    from metrics.extractors.vggish import VGGish

    identity = ExtractorIdentity("vggish", True, VGGISH_WEIGHTS.sha256, 128,
                                 "16 kHz mono, 0.96 s log-mel examples, pre-ReLU fc2, no PCA")
    model = VGGish(identity)
    assert path is not None
    _load_state_dict(model, path, identity.name)
    return model.eval()


def _clip_builder(name: str, architecture: str, weights: WeightsSpec) -> Callable[[Path | None, Options], Extractor]:
    def build(path: Path | None, options: Options) -> Extractor:
        from metrics.extractors.clip import OpenClipModel

        assert path is not None
        return OpenClipModel.from_openai_file(name, architecture, path, weights.sha256)

    return build


def _build_toy_image(path: Path | None, options: Options) -> Extractor:
    from metrics.extractors.toy import ToyImageExtractor

    return ToyImageExtractor(resize=options.get("resize", "torch-bilinear")).eval()


def _build_toy_audio(path: Path | None, options: Options) -> Extractor:
    from metrics.extractors.toy import ToyAudioExtractor

    return ToyAudioExtractor().eval()


def _build_toy_clip(path: Path | None, options: Options) -> Extractor:
    from metrics.extractors.toy import ToyTextImageModel

    return ToyTextImageModel().eval()


register_feature_extractor(ExtractorSpec(
    "inception-2015-12-05", "image", True, "Inception-v3 pool3 2048-d (FID/KID)", _build_inception,
    INCEPTION_WEIGHTS))
register_feature_extractor(ExtractorSpec(
    "vggish", "audio", True, "VGGish 128-d embeddings (FAD)", _build_vggish, VGGISH_WEIGHTS))
register_feature_extractor(ExtractorSpec(
    "clip-vit-b-32", "text-image", True, "OpenAI CLIP ViT-B/32", _clip_builder("clip-vit-b-32", "ViT-B-32",
                                                                               CLIP_B32_WEIGHTS), CLIP_B32_WEIGHTS))
register_feature_extractor(ExtractorSpec(
    "clip-vit-l-14", "text-image", True, "OpenAI CLIP ViT-L/14", _clip_builder("clip-vit-l-14", "ViT-L-14",
                                                                               CLIP_L14_WEIGHTS), CLIP_L14_WEIGHTS))
register_feature_extractor(ExtractorSpec(
    "toy", "image", False, "seeded random 64-d conv net (tests/offline only)", _build_toy_image))
register_feature_extractor(ExtractorSpec(
    "toy-audio", "audio", False, "seeded random 16-d net on VGGish log-mel (tests/offline only)", _build_toy_audio))
register_feature_extractor(ExtractorSpec(
    "toy-clip", "text-image", False, "seeded random byte-level text/image encoders (tests/offline only)",
    _build_toy_clip))
