"""CLIP score (text-image), CLIP-I (image-image) and CLIPSIM (video: mean CLIP score over frames).

CLIP score = mean over samples of max(100 * cos(image, text), 0): the clamp is *per sample* (torchmetrics
clamps the batch mean instead, which gives a different number whenever some cosines are negative). The
number of clamped samples and of texts truncated to CLIP's 77-token context are counted and reported.
The backbone is part of the name: ``clip_score[clip-vit-b-32]`` and ``clip_score[clip-vit-l-14]`` differ.
CLIP-I is the mean cosine (not x100, not clamped) between paired images' embeddings.

Images (and video frames) may be a tensor batch (N, 3, H, W), a numpy batch (N, H, W, 3), or a list of
tensors, arrays, PIL images or file paths of any sizes; uint8 is used as is and floats in [0, 1] are
quantised ``round_half_to_even(x * 255)`` (:mod:`metrics.extractors.clip`). The canonical models then apply
open_clip's own preprocessing to each image (PIL bicubic resize + centre crop), recorded as the ``resize``
field of the provenance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from metrics.bootstrap import bootstrap_mean
from metrics.defaults import CLIP_LOGIT_SCALE
from metrics.errors import FeatureError, MediaError
from metrics.extractors.clip import FLOAT_QUANTISATION, ClipImages, TextImageModel, rgb_uint8_images
from metrics.metric_base import ResultMetric
from metrics.provenance import MetricResult, Provenance, Scalar, warn

#: CLIP score's clamp, as recorded in the provenance of the class and of the functional form
PER_SAMPLE_CLAMP = "per-sample max(100*cos, 0)"


def clip_score_per_sample(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(per-sample max(100 cos, 0), number of samples whose cosine was negative and got clamped)."""
    if image_embeddings.shape != text_embeddings.shape:
        raise FeatureError(f"CLIP score: {image_embeddings.shape[0]} image and {text_embeddings.shape[0]} text "
                           "embeddings; pass one prompt per image")
    if not (torch.isfinite(image_embeddings).all() and torch.isfinite(text_embeddings).all()):
        raise FeatureError("CLIP score: embeddings contain NaN or inf")
    cosine = F.cosine_similarity(image_embeddings.double(), text_embeddings.double(), dim=-1)
    raw = CLIP_LOGIT_SCALE * cosine
    return raw.clamp(min=0.0), int((raw < 0).sum())


def clip_image_embeddings(model: TextImageModel, images: list[np.ndarray]) -> torch.Tensor:
    """The image tower's embeddings of RGB uint8 (H, W, 3) arrays (:func:`rgb_uint8_images`), exactly as the
    metrics' ``update`` computes them: a caller that keeps these rows and passes them to ``update_embeddings`` later
    gets the very scores of ``update`` with the images, provided it embeds the same batches (the float rounding
    of a batched network may depend on what else is in the batch)."""
    with torch.inference_mode():
        return model.encode_image(images)


def _check_embeddings(embeddings: torch.Tensor, count: int, what: str) -> None:
    if embeddings.ndim != 2 or embeddings.shape[0] != count:
        raise FeatureError(f"{what}: expected {count} embedding rows (a 2-d tensor), got shape "
                           f"{tuple(embeddings.shape)}")


def _resolve_model(model: TextImageModel | str) -> TextImageModel:
    if isinstance(model, str):
        from metrics.extractors.registry import build_text_image_model

        return build_text_image_model(model)
    return model


def _model_identity(model: TextImageModel) -> tuple[str, bool, str | None]:
    name = model.name
    from metrics.extractors.registry import extractor_spec

    try:
        canonical = extractor_spec(name).canonical
    except Exception:  # an unregistered custom model is never canonical
        canonical = False
    return name, canonical, getattr(model, "weights_sha256", None)


class _ClipMetricBase(ResultMetric):
    higher_is_better = True
    is_differentiable = False
    full_state_update = False
    metric_name = "clip"

    def __init__(self, model: TextImageModel | str = "clip-vit-b-32", keep_per_sample: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = _resolve_model(model)
        self.keep_per_sample = keep_per_sample
        self.add_state("score_sum", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n_clamped", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n_truncated", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        #: cosines computed (one per sample; one per frame for CLIPSIM): what ``n_clamped`` is a part of
        self.add_state("n_cosines", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("per_sample", [], dist_reduce_fx="cat")

    #: what one cosine is computed for, in warnings
    cosine_unit = "samples"

    def _add(self, scores: torch.Tensor, clamped: int = 0, truncated: int = 0, cosines: int | None = None) -> None:
        self.score_sum += scores.sum()
        self.n += scores.numel()
        self.n_cosines += scores.numel() if cosines is None else cosines
        self.n_clamped += clamped
        self.n_truncated += truncated
        if self.keep_per_sample:
            self.per_sample.append(scores.double())

    def _text_embeddings(self, texts: list[str]) -> tuple[torch.Tensor, int]:
        if any(not t.strip() for t in texts):
            raise MediaError(f"{self.metric_name}: empty prompt(s) at positions "
                             f"{[i for i, t in enumerate(texts) if not t.strip()][:5]}")
        tokens, truncated = self.model.tokenize(list(texts))
        with torch.inference_mode():
            return self.model.encode_text(tokens), int(sum(truncated))

    def _images(self, images: ClipImages, what: str) -> list[np.ndarray]:
        """RGB uint8 (H, W, 3) arrays of any sizes; an empty batch is an error naming ``what``."""
        arrays = rgb_uint8_images(images, what)
        if not arrays:
            raise MediaError(f"{what}: no images")
        return arrays

    def _image_embeddings(self, images: list[np.ndarray]) -> torch.Tensor:
        return clip_image_embeddings(self.model, images)

    def compute(self, bootstrap: int = 0, seed: int = 0) -> MetricResult:
        n = int(self.n)
        if n == 0:
            raise FeatureError(f"{self.metric_name}: no samples were added")
        value = float(self._total() / self.n)
        warnings: list[str] = []
        if int(self.n_truncated):
            warn(warnings, f"{int(self.n_truncated)} of {n} texts were longer than the 77-token context and truncated")
        if int(self.n_clamped):
            warn(warnings, f"{int(self.n_clamped)} of {int(self.n_cosines)} {self.cosine_unit} had a negative cosine, "
                           f"clamped to 0 per {self.cosine_unit[:-1]}")
        ci = None
        if bootstrap:
            per_sample = self.per_sample
            if isinstance(per_sample, list):
                per_sample = torch.cat(per_sample) if per_sample else torch.zeros(0)
            if per_sample.numel() != n:
                raise FeatureError(f"{self.metric_name}: a bootstrap needs keep_per_sample=True")
            ci = bootstrap_mean(per_sample.numpy(), n_resamples=bootstrap, seed=seed)
        name, canonical, sha = _model_identity(self.model)
        prov = Provenance(
            metric=self.metric_name, extractor=name, extractor_canonical=canonical, weights_sha256=sha,
            resize=getattr(self.model, "image_preprocessing", "model-defined"),
            dtype="float32 embeddings, float64 cosine",
            n_samples=n, seed=seed if bootstrap else None, tokenizer=f"{name} tokenizer (77-token context)",
            settings=(*self._settings(), ("image_input", f"uint8 RGB; {FLOAT_QUANTISATION}")),
            warnings=tuple(warnings),
        )
        return MetricResult(self.metric_name, value, prov, ci,
                            details={"n_clamped": int(self.n_clamped), "n_truncated": int(self.n_truncated)})

    def _total(self) -> torch.Tensor:
        """The sum of the scores.  With the per-sample scores kept, it is their sum in one reduction, so feeding the
        samples in several updates (a scorer bounding its memory) gives the very value of one update of them all;
        else the running sum of the updates' sums."""
        per_sample = self.per_sample
        if self.keep_per_sample and isinstance(per_sample, list) and per_sample:
            return torch.cat(per_sample).sum()
        if self.keep_per_sample and isinstance(per_sample, torch.Tensor) and per_sample.numel() == int(self.n):
            return per_sample.sum()
        return self.score_sum

    def _settings(self) -> tuple[tuple[str, Scalar], ...]:
        return (("clamp", PER_SAMPLE_CLAMP),)


class CLIPScore(_ClipMetricBase):
    """Text-image CLIP score: one prompt per image."""

    metric_name = "clip_score"

    def update(self, images: ClipImages, prompts: list[str]) -> None:
        """``images``: any CLIP image input (see the module docstring), one prompt per image."""
        arrays = self._images(images, "clip_score images")
        if len(prompts) != len(arrays):
            raise MediaError(f"clip_score: {len(arrays)} images but {len(prompts)} prompts")
        self.update_embeddings(self._image_embeddings(arrays), prompts)

    def update_embeddings(self, image_embeddings: torch.Tensor, prompts: list[str]) -> None:
        """Like ``update``, with the images' embeddings already computed by this metric's model
        (:func:`clip_image_embeddings`), one row per prompt; the prompts are embedded here."""
        _check_embeddings(image_embeddings, len(prompts), "clip_score image embeddings")
        text, truncated = self._text_embeddings(list(prompts))
        scores, clamped = clip_score_per_sample(image_embeddings, text)
        self._add(scores, clamped, truncated)


class CLIPImageSimilarity(_ClipMetricBase):
    """CLIP-I: mean cosine between embeddings of paired images (e.g. edited vs source, generated vs real)."""

    metric_name = "clip_i"

    def update(self, images: ClipImages, other_images: ClipImages) -> None:
        """Two CLIP image inputs of the same length (sizes may differ, also within a pair)."""
        first, second = self._images(images, "clip_i images"), self._images(other_images, "clip_i other_images")
        if len(first) != len(second):
            raise MediaError(f"clip_i: {len(first)} images vs {len(second)} paired images")
        self.update_embeddings(self._image_embeddings(first), self._image_embeddings(second))

    def update_embeddings(self, embeddings: torch.Tensor, other_embeddings: torch.Tensor) -> None:
        """Like ``update``, with both sides' embeddings already computed by this metric's model
        (:func:`clip_image_embeddings`), row ``i`` of one paired with row ``i`` of the other."""
        a, b = embeddings, other_embeddings
        if a.ndim != 2 or a.shape != b.shape:  # row i of one is paired with row i of the other
            raise FeatureError(f"clip_i: expected two 2-d embedding tensors of one shape (row i of one paired with "
                               f"row i of the other), got shapes {tuple(a.shape)} and {tuple(b.shape)}")
        if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
            raise FeatureError("clip_i: embeddings contain NaN or inf")
        self._add(F.cosine_similarity(a.double(), b.double(), dim=-1))

    def _settings(self) -> tuple[tuple[str, Scalar], ...]:
        return (("scale", "cosine, no x100, no clamp"),)


class CLIPSIM(_ClipMetricBase):
    """Video CLIPSIM: per video, the mean over frames of max(100 cos(frame, prompt), 0); then mean over videos."""

    metric_name = "clipsim"
    cosine_unit = "frames"

    def update(self, videos: list[ClipImages], prompts: list[str]) -> None:
        """``videos``: one CLIP image input of >= 1 frame per video ((F, 3, H, W) tensor, (F, H, W, 3) array or
        a list of frames), one prompt per video.  Each video's frames are embedded in one call of their own."""
        if len(videos) != len(prompts):
            raise MediaError(f"clipsim: {len(videos)} videos but {len(prompts)} prompts")
        self.update_embeddings([self._image_embeddings(self._images(video, f"clipsim video {index} frames"))
                                for index, video in enumerate(videos)], prompts)

    def update_embeddings(self, frame_embeddings: list[torch.Tensor], prompts: list[str]) -> None:
        """Like ``update``, with each video's frame embeddings already computed by this metric's model, one call of
        :func:`clip_image_embeddings` per video (so the rows are those ``update`` computes); one prompt per video."""
        if len(frame_embeddings) != len(prompts):
            raise MediaError(f"clipsim: {len(frame_embeddings)} videos' frame embeddings but {len(prompts)} prompts")
        text, truncated = self._text_embeddings(list(prompts))
        per_video, clamped_total, frames_total = [], 0, 0
        for index, (frames, text_embedding) in enumerate(zip(frame_embeddings, text, strict=True)):
            if frames.ndim != 2 or frames.shape[0] == 0:
                raise FeatureError(f"clipsim: video {index}: expected a 2-d tensor of >= 1 frame embedding rows, got "
                                   f"shape {tuple(frames.shape)}")
            scores, clamped = clip_score_per_sample(frames, text_embedding.expand(frames.shape[0], -1))
            per_video.append(scores.mean())
            clamped_total += clamped
            frames_total += frames.shape[0]
        self._add(torch.stack(per_video), clamped_total, truncated, frames_total)

    def _settings(self) -> tuple[tuple[str, Scalar], ...]:
        return (("clamp", "per-frame max(100*cos, 0)"), ("aggregate", "mean over frames, then over videos"))


def clip_score(
    image_embeddings: torch.Tensor,
    text_embeddings: torch.Tensor,
    *,
    extractor: str | None = None,
    extractor_canonical: bool | None = None,
    weights_sha256: str | None = None,
) -> MetricResult:
    """Functional CLIP score on given embeddings (per-sample clamp); name the model they came from.

    ``details["n_clamped"]`` counts the samples whose cosine was negative (also a provenance warning).
    """
    scores, clamped = clip_score_per_sample(image_embeddings, text_embeddings)
    n = int(scores.numel())
    warnings: list[str] = []
    if clamped:
        warn(warnings, f"{clamped} of {n} samples had a negative cosine, clamped to 0 per sample")
    prov = Provenance(metric="clip_score", extractor=extractor, extractor_canonical=extractor_canonical,
                      weights_sha256=weights_sha256, dtype="float64 cosine", n_samples=n,
                      settings=(("clamp", PER_SAMPLE_CLAMP),), warnings=tuple(warnings))
    return MetricResult("clip_score", float(scores.mean()), prov, details={"n_clamped": clamped})


def per_sample_array(values: torch.Tensor) -> np.ndarray:
    return values.detach().double().cpu().numpy()
