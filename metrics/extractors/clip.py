"""CLIP text/image encoders for CLIP score, CLIP-I and CLIPSIM (OpenAI weights through open_clip).

**Images** are preprocessed exactly as open_clip does for the model: the eval transform open_clip builds from
the model's preprocess config (``open_clip.image_transform_v2``; for OpenAI CLIP: PIL bicubic resize of the
shorter side to 224 on the uint8 image, centre crop 224x224, ``ToTensor`` (/255), CLIP mean/std). The
resize/crop steps are open_clip's own transform objects applied to PIL images; only the final
``ToTensor`` + ``Normalize`` is done for the whole batch at once through a 256-entry table per channel built by
open_clip's ``Normalize`` itself, so the result is bit-identical to the per-image transform and several times
faster (64 images of 512x384 on 2 busy cores: ~0.5-0.7 s, the per-image transform ~5-7 s, the float torch resize
used before ~1.3 s).
``tests/metrics/test_clip_preprocess_parity.py`` checks the pixels and the scores against open_clip.

**Accepted image inputs** (:data:`ClipImages`), all turned into RGB uint8 (H, W, 3) arrays first by
:func:`rgb_uint8_images`:

* a torch tensor batch (N, 3, H, W) (channels first, torchvision's layout), or a sequence of (3, H, W) tensors;
* a numpy batch (N, H, W, 3) (channels last, PIL's layout), or a sequence of (H, W, 3) arrays;
* a sequence of PIL images (non-RGB modes are ``convert("RGB")``-ed first, as the suite's file reader does;
  open_clip converts *after* resizing, which only differs where an alpha channel is not opaque);
* a sequence of file paths (read with :func:`metrics.image_files.load_image`: errors name the file).

uint8 is used as is. Floating-point pixels must lie in [0, 1] and are quantised as
``uint8 = round_half_to_even(float32(x) * 255)`` (:data:`FLOAT_QUANTISATION`; torchvision's ``ToPILImage``
truncates instead, which darkens by half a level on average). Values that would round outside [0, 255], NaN
and inf are errors, as are other dtypes and channel counts other than 3.

Text is tokenised with CLIP's BPE into a 77-token context; longer texts are truncated and *counted*.

Both encoders take any number of items and feed them to the network in batches of
:data:`metrics.extractors.base.EXTRACTION_BATCH`, with progress once a pass takes a few seconds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import numpy as np
import torch

from metrics.errors import MediaError
from metrics.extractors.base import encode_in_batches

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

logger = logging.getLogger("metrics")

ClipImage: TypeAlias = "torch.Tensor | np.ndarray | PILImage | str | Path"
ClipImages: TypeAlias = "torch.Tensor | np.ndarray | Sequence[ClipImage]"

FLOAT_QUANTISATION = "float pixels in [0, 1] -> uint8 round_half_to_even(float32(x) * 255)"
#: threads for the per-image PIL resize (PIL releases the GIL while resampling)
PREPROCESS_THREADS = min(8, os.cpu_count() or 1)


class TextImageModel(Protocol):
    """What the CLIP metrics need; canonical CLIP and the toy model both implement it.

    ``encode_image`` accepts any :data:`ClipImages` (the metrics pass a list of (H, W, 3) uint8 arrays);
    ``image_preprocessing`` is recorded as the ``resize`` field of the metric's provenance.
    """

    name: str
    weights_sha256: str | None
    image_preprocessing: str

    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, list[bool]]: ...

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor: ...

    def encode_image(self, images: ClipImages) -> torch.Tensor: ...


# --- every accepted image form -> RGB uint8 (H, W, 3) ------------------------------------------------------

def quantise_to_uint8(pixels: torch.Tensor, what: str) -> torch.Tensor:
    """uint8 unchanged; floats in [0, 1] -> ``round_half_to_even(float32(x) * 255)`` (see module docstring)."""
    if pixels.dtype == torch.uint8:
        return pixels
    if not pixels.is_floating_point():
        raise MediaError(f"{what}: expected uint8 pixels or floating-point pixels in [0, 1], got dtype "
                         f"{pixels.dtype}")
    scaled = pixels.to(torch.float32) * 255
    if not torch.isfinite(scaled).all():
        raise MediaError(f"{what}: pixels contain NaN or inf")
    rounded = scaled.round()
    if scaled.numel() and (float(rounded.min()) < 0 or float(rounded.max()) > 255):
        raise MediaError(f"{what}: floating-point pixels must lie in [0, 1], got min {float(pixels.min()):.4g} and "
                         f"max {float(pixels.max()):.4g} (for 0-255 values pass uint8)")
    return rounded.to(torch.uint8)


def _array_to_uint8(array: np.ndarray, what: str) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating):
        raise MediaError(f"{what}: expected uint8 pixels or floating-point pixels in [0, 1], got dtype {array.dtype}")
    return quantise_to_uint8(torch.from_numpy(np.array(array, dtype=np.float32)), what).numpy()


def _pil_to_array(image: PILImage, what: str) -> np.ndarray:
    if image.mode != "RGB":
        logger.warning("%s: converted %s image to RGB%s", what, image.mode,
                       " (alpha dropped)" if "A" in image.mode or image.mode == "P" else "")
        image = image.convert("RGB")
    return np.array(image, dtype=np.uint8)  # a writable copy (torch.from_numpy warns on read-only arrays)


def _one_image(item: Any, what: str) -> np.ndarray:
    from PIL import Image

    from metrics.image_files import load_image

    if isinstance(item, str | Path):
        return load_image(Path(item)).permute(1, 2, 0).numpy()
    if isinstance(item, Image.Image):
        return _pil_to_array(item, what)
    if isinstance(item, torch.Tensor):
        if item.ndim != 3 or item.shape[0] != 3:
            raise MediaError(f"{what}: a tensor image must be (3, H, W) RGB, got shape {tuple(item.shape)}")
        return quantise_to_uint8(item.detach().cpu(), what).permute(1, 2, 0).numpy()
    if isinstance(item, np.ndarray):
        if item.ndim != 3 or item.shape[-1] != 3:
            raise MediaError(f"{what}: a numpy image must be (H, W, 3) RGB (channels last), got shape {item.shape}")
        return _array_to_uint8(item, what)
    raise MediaError(f"{what}: cannot read an image from a {type(item).__name__}; pass uint8/float arrays or "
                     "tensors, PIL images or file paths")


def rgb_uint8_images(images: ClipImages, what: str = "images") -> list[np.ndarray]:
    """Any :data:`ClipImages` -> list of RGB uint8 (H, W, 3) arrays; errors name ``what`` and the position."""
    from PIL import Image

    if isinstance(images, torch.Tensor):
        if images.ndim != 4 or images.shape[1] != 3:
            raise MediaError(f"{what}: a tensor batch must be (N, 3, H, W) RGB, got shape {tuple(images.shape)}")
        return list(quantise_to_uint8(images.detach().cpu(), what).permute(0, 2, 3, 1).numpy())  # views
    if isinstance(images, np.ndarray):
        if images.ndim != 4 or images.shape[-1] != 3:
            raise MediaError(f"{what}: a numpy batch must be (N, H, W, 3) RGB (channels last), got shape "
                             f"{images.shape}")
        return list(np.ascontiguousarray(_array_to_uint8(images, what)))
    if isinstance(images, str | Path | Image.Image):
        raise MediaError(f"{what}: expected a batch (tensor/array) or a list of images, got a single "
                         f"{type(images).__name__}; wrap one image in a list")
    if not isinstance(images, Sequence):
        raise MediaError(f"{what}: expected a batch (tensor/array) or a list of images, got a "
                         f"{type(images).__name__}")
    return [_one_image(item, f"{what}[{i}]") for i, item in enumerate(images)]


# --- open_clip's preprocessing, batched ------------------------------------------------------------------

def _describe(resize_mode: str, interpolation: str) -> str:
    step = {"shortest": "center-crop", "longest": "pad", "squash": "squash"}.get(resize_mode, resize_mode)
    return f"pil-{interpolation}+{step} (open_clip)"


class ClipImagePreprocess:
    """open_clip's eval transform for one model, applied to a batch of RGB uint8 images.

    The PIL steps (resize, crop, mode conversion) are the transform's own objects, run per image (in threads:
    PIL releases the GIL). Its trailing ``ToTensor`` + ``Normalize`` map each uint8 value independently per
    channel, so they are replaced by a (3, 256) table computed *by those two steps* and gathered for the whole
    batch -- bit-identical, without a float round trip per image. A transform of another shape is applied per
    image unchanged.
    """

    def __init__(self, preprocess_cfg: dict[str, Any]) -> None:
        from open_clip.transform import PreprocessCfg, image_transform_v2, merge_preprocess_dict

        self.cfg = PreprocessCfg(**merge_preprocess_dict(PreprocessCfg(), preprocess_cfg))
        self.transform = image_transform_v2(self.cfg, is_train=False)
        self.name = _describe(self.cfg.resize_mode, self.cfg.interpolation)
        self._pil_steps, self._table = self._split(self.transform)

    @classmethod
    def for_model(cls, model: torch.nn.Module) -> ClipImagePreprocess:
        """The preprocessing open_clip's ``create_model_and_transforms`` returns for ``model``."""
        from open_clip import get_model_preprocess_cfg

        return cls(dict(get_model_preprocess_cfg(model)))

    @staticmethod
    def _split(transform: Any) -> tuple[list[Callable[[Any], Any]] | None, np.ndarray | None]:
        from open_clip.transform import MaybeToTensor
        from torchvision.transforms import Normalize, ToTensor

        steps = list(getattr(transform, "transforms", []))
        if len(steps) < 2 or not isinstance(steps[-2], MaybeToTensor | ToTensor) \
                or not isinstance(steps[-1], Normalize):
            return None, None
        levels = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)  # a (1, 256, 3) image
        table = steps[-1](steps[-2](levels))  # (3, 1, 256), by the transform's own arithmetic
        return steps[:-2], np.ascontiguousarray(table[:, 0, :].numpy())

    def _pil_step(self, array: np.ndarray) -> np.ndarray:
        from PIL import Image

        image: Any = Image.fromarray(np.ascontiguousarray(array))
        for step in self._pil_steps or ():
            image = step(image)
        return np.asarray(image, dtype=np.uint8)

    def _map(self, function: Callable[[np.ndarray], Any], images: list[np.ndarray]) -> list[Any]:
        if len(images) < 2 or PREPROCESS_THREADS < 2:
            return [function(image) for image in images]
        with ThreadPoolExecutor(min(PREPROCESS_THREADS, len(images))) as pool:
            return list(pool.map(function, images))

    def __call__(self, images: ClipImages) -> torch.Tensor:
        """Any :data:`ClipImages` -> float32 (N, 3, size, size), exactly open_clip's transform per image."""
        arrays = rgb_uint8_images(images)
        if self._pil_steps is None or self._table is None:
            from PIL import Image

            return torch.stack(self._map(lambda a: self.transform(Image.fromarray(np.ascontiguousarray(a))), arrays))
        crops = np.stack(self._map(self._pil_step, arrays))  # (N, S, S, 3) uint8
        out = np.empty((crops.shape[0], 3, *crops.shape[1:3]), dtype=np.float32)
        for channel in range(3):
            np.take(self._table[channel], crops[..., channel], out=out[:, channel], mode="clip")  # unbuffered
        return torch.from_numpy(out)


# --- the model ------------------------------------------------------------------------------------------

class OpenClipModel:
    """An open_clip CLIP model with its tokenizer and open_clip's image preprocessing for it."""

    context_length = 77

    def __init__(self, name: str, model: torch.nn.Module, tokenizer: Any, weights_sha256: str | None,
                 preprocess_cfg: dict[str, Any] | None = None) -> None:
        """``preprocess_cfg``: open_clip preprocess settings; by default the model's own (``visual.preprocess_cfg``,
        which ``open_clip.create_model`` sets)."""
        self.name, self.weights_sha256 = name, weights_sha256
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.preprocess = ClipImagePreprocess(preprocess_cfg) if preprocess_cfg is not None else \
            ClipImagePreprocess.for_model(model)
        self.image_preprocessing = self.preprocess.name

    @classmethod
    def from_openai_file(cls, name: str, architecture: str, weights: Path, weights_sha256: str) -> OpenClipModel:
        """An OpenAI CLIP checkpoint (``ViT-B-32.pt`` / ``ViT-L-14.pt``) loaded from a local file by open_clip.

        ``load_openai_model`` sets no preprocess config, so it is merged the way
        ``create_model_and_transforms(architecture, pretrained="openai")`` does: open_clip's defaults, the
        ``openai`` tag's settings (CLIP mean/std, bicubic, shortest side) and the model's input size.
        """
        import open_clip
        from open_clip.openai import load_openai_model
        from open_clip.transform import merge_preprocess_dict

        model = load_openai_model(str(weights), device="cpu")
        preprocess_cfg = merge_preprocess_dict(open_clip.get_pretrained_cfg(architecture, "openai"),
                                               dict(open_clip.get_model_preprocess_cfg(model)))
        return cls(name, model, open_clip.get_tokenizer(architecture), weights_sha256, preprocess_cfg)

    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, list[bool]]:
        encoder = getattr(self.tokenizer, "encode", None)
        truncated = [len(encoder(t)) + 2 > self.context_length for t in texts] if encoder else [False] * len(texts)
        return self.tokenizer(texts), truncated

    @torch.inference_mode()
    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return encode_in_batches(lambda part: self.model.encode_text(part).float(), tokens, f"{self.name} texts",
                                 "texts")

    @torch.inference_mode()
    def encode_image(self, images: ClipImages) -> torch.Tensor:
        return encode_in_batches(lambda part: self.model.encode_image(self.preprocess(part)).float(), images,
                                 f"{self.name} images", "images")
