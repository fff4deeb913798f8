"""Media given to an evaluate module, turned into what it stores and back, with the library's own readers.

evaluate stores every ``add_batch`` in an Arrow table before ``_compute`` reads it back, so each input is converted
*before* it is stored, by the code the Python API and the CLI use, and stored losslessly:

* **images** (FID, KID, CLIP score, CLIP-I): numpy arrays (H, W, 3), torch tensors (3, H, W), a batch of either,
  PIL images or file paths -> RGB uint8 (H, W, 3) by :func:`metrics.extractors.clip.rgb_uint8_images` (uint8 as is,
  floats in [0, 1] quantised ``round_half_to_even(x * 255)``, PIL converted to RGB, files read by the library's
  reader), stored as PNG bytes (``datasets.Image``, lossless: :func:`png_records`), decoded to the same arrays;
* **videos** (CLIPSIM): per video a (F, H, W, 3) array, a (F, 3, H, W) tensor or a list of frames (as images
  above), stored as raw RGB uint8 bytes (no encoding: only the ``max_frames`` picked at compute time are ever
  used); or a video file or a folder of frame images, checked when added, stored as its path and read at compute
  time by :func:`metrics.frame_picking.read_picked_frames` (a folder has only its picked frames read), as
  ``nextgpt-bench score video`` reads them;
* **audio** (FAD): 16 kHz mono waveforms (1-D arrays or tensors), ``{"array", "sampling_rate"}`` dicts (the
  ``datasets.Audio`` form) or audio file paths (kept as paths and read at compute time by
  :func:`metrics.audio_files.load_audio_examples`, as the CLI reads them).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch

from metrics.audio_files import load_audio_examples
from metrics.defaults import VGGISH_SAMPLE_RATE
from metrics.errors import MediaError
from metrics.extractors.clip import rgb_uint8_images
from metrics.frame_picking import evenly_spaced_indices, read_picked_frames
from metrics.image_files import list_images
from metrics.provenance import warn
from nextgpt.core.media import RESAMPLER, check_video_header, encode_image, resample_audio
from nextgpt.core.media.checks import check_sample_rate, require_sample_rate

#: the stored form of one image, one video (its frames) and one audio clip
IMAGE_FEATURE = datasets.Image()
VIDEO_FEATURE = {"path": datasets.Value("string"), "frames": datasets.Sequence(datasets.Value("binary")),
                 "heights": datasets.Sequence(datasets.Value("int32")),
                 "widths": datasets.Sequence(datasets.Value("int32"))}
AUDIO_FEATURE = {"path": datasets.Value("string"), "array": datasets.Sequence(datasets.Value("float64")),
                 "sampling_rate": datasets.Value("int32")}


def check_batch(values: Any, what: str, expected: str) -> None:
    """A non-empty batch: a list or tuple, or a numpy array / torch tensor holding several items."""
    if isinstance(values, np.ndarray | torch.Tensor):
        if values.ndim == 0 or len(values) == 0:
            raise MediaError(f"{what}: expected a non-empty batch of {expected}, got an empty array")
        return
    if isinstance(values, str | bytes | dict | Path) or not isinstance(values, Sequence):
        raise MediaError(f"{what}: expected a list of {expected}, got a {type(values).__name__}")
    if len(values) == 0:
        raise MediaError(f"{what}: expected a non-empty list of {expected}, got an empty list")


# --- images -----------------------------------------------------------------------------------------------
IMAGES = "images (numpy arrays, torch tensors, PIL images or file paths)"


def stored_images(values: Any, what: str) -> list[np.ndarray]:
    """RGB uint8 (H, W, 3) arrays of a batch of images (see the module docstring)."""
    check_batch(values, what, IMAGES)
    return rgb_uint8_images(values, what)


def png_records(images: Sequence[np.ndarray]) -> list[dict[str, Any]]:
    """What evaluate stores for RGB uint8 images: lossless PNG bytes (``nextgpt.core.media.encode_image``, as the
    results store keeps images), in the ``{"bytes", "path"}`` form of ``datasets.Image``."""
    from PIL import Image

    return [{"bytes": encode_image(Image.fromarray(image)), "path": None} for image in images]


def decoded_images(stored: Sequence[Any]) -> list[np.ndarray]:
    """The RGB uint8 arrays :func:`stored_images` gave, back from evaluate's table (PIL images of PNGs)."""
    return [np.array(image, dtype=np.uint8) for image in stored]


def image_batches(images: Sequence[np.ndarray], batch_size: int) -> Iterator[torch.Tensor]:
    """uint8 (N, 3, H, W) tensors of consecutive same-sized images, at most ``batch_size`` each (as the CLI
    batches a folder)."""
    batch: list[np.ndarray] = []
    for image in images:
        if batch and (image.shape != batch[0].shape or len(batch) == batch_size):
            yield torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).contiguous()
            batch = []
        batch.append(image)
    if batch:
        yield torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).contiguous()


# --- videos -----------------------------------------------------------------------------------------------
VIDEOS = "videos ((F, H, W, 3) arrays, lists of frames, video files or folders of frames)"


def _one_video(video: Any, what: str) -> dict[str, Any]:
    if isinstance(video, str | Path):
        if not str(video):
            raise MediaError(f"{what}: an empty file path")
        path = Path(video)
        if path.is_dir():
            list_images(path)  # a folder without frame images is refused now, not at compute time
        else:
            check_video_header(path)  # so is a missing or undecodable video file
        return {"path": str(path), "frames": [], "heights": [], "widths": []}
    frames = rgb_uint8_images(video, what)
    if not frames:
        raise MediaError(f"{what}: the video has no frames")
    return {"path": "", "frames": [frame.tobytes() for frame in frames],
            "heights": [frame.shape[0] for frame in frames], "widths": [frame.shape[1] for frame in frames]}


def stored_videos(values: Any, what: str) -> list[dict[str, Any]]:
    """One stored video per input (see the module docstring): ``path`` for a file or folder, else ``path`` ""
    with each frame's raw RGB bytes and its size; a video without frames is an error."""
    check_batch(values, what, VIDEOS)
    return [_one_video(video, f"{what}[{index}]") for index, video in enumerate(values)]


def picked_frames(video: dict[str, Any], max_frames: int) -> list[np.ndarray]:
    """The RGB uint8 (H, W, 3) frames of a stored video that CLIPSIM scores (metrics/frame_picking.py)."""
    if video["path"]:
        return read_picked_frames(Path(video["path"]), max_frames)
    frames, heights, widths = video["frames"], video["heights"], video["widths"]
    return [np.frombuffer(frames[i], dtype=np.uint8).reshape(heights[i], widths[i], 3)
            for i in evenly_spaced_indices(len(frames), max_frames)]


# --- audio ------------------------------------------------------------------------------------------------
AUDIO = "audio clips (16 kHz mono 1-D arrays, {'array', 'sampling_rate'} dicts or file paths)"


def _waveform(array: Any, what: str) -> np.ndarray:
    values = array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)
    if values.dtype.kind not in "fiu" or values.ndim != 1 or values.size == 0:
        raise MediaError(f"{what}: expected a non-empty 1-D (samples,) mono float waveform, got a {values.dtype} "
                         f"array of shape {tuple(values.shape)}; average the channels of multi-channel audio first")
    if values.dtype.kind != "f":
        raise MediaError(f"{what}: expected float samples in [-1, 1], got {values.dtype} (scale integer audio "
                         "yourself; its full scale is not guessed)")
    waveform = values.astype(np.float64)
    if not np.isfinite(waveform).all():
        raise MediaError(f"{what} contains NaN or infinite samples")
    return waveform


def _one_clip(clip: Any, what: str) -> dict[str, Any]:
    if isinstance(clip, str | Path):
        if not str(clip):
            raise MediaError(f"{what}: an empty file path")
        return {"path": str(clip), "array": None, "sampling_rate": None}
    if isinstance(clip, dict):
        missing = [key for key in ("array", "sampling_rate") if key not in clip]
        if missing:
            raise MediaError(f"{what}: an audio dict needs 'array' and 'sampling_rate' (the datasets.Audio form), "
                             f"missing {missing}")
        rate = check_sample_rate(clip["sampling_rate"], f"{what} sampling_rate")
        return {"path": "", "array": _waveform(clip["array"], what), "sampling_rate": rate}
    if isinstance(clip, np.ndarray | torch.Tensor):
        return {"path": "", "array": _waveform(clip, what), "sampling_rate": VGGISH_SAMPLE_RATE}
    raise MediaError(f"{what}: cannot read audio from a {type(clip).__name__}; pass {AUDIO}")


def stored_audio(values: Any, what: str) -> list[dict[str, Any]]:
    """One stored clip per input: ``path`` for a file (read at compute time), else ``path`` "" with the float64
    ``array`` and its ``sampling_rate`` (a bare array is 16 kHz)."""
    check_batch(values, what, AUDIO)
    return [_one_clip(clip, f"{what}[{index}]") for index, clip in enumerate(values)]


def audio_examples(clip: dict[str, Any], resample: bool, warnings: list[str], what: str) -> torch.Tensor:
    """VGGish log-mel examples (n, 1, 96, 64) of one stored clip, computed as the library does for a file: the
    float64 16 kHz mono waveform (resampled with the project's resampler only when ``resample``), as float32."""
    from metrics.extractors.vggish import waveform_to_examples

    if clip["path"]:
        return load_audio_examples(clip["path"], resample=resample, warnings=warnings)
    waveform, rate = np.asarray(clip["array"], dtype=np.float64), int(clip["sampling_rate"])
    if rate != VGGISH_SAMPLE_RATE:
        if not resample:
            require_sample_rate(what, rate, VGGISH_SAMPLE_RATE, resample_option="resample=True")
        waveform = resample_audio(waveform, rate, VGGISH_SAMPLE_RATE)
        warn(warnings, f"{what}: resampled {rate} Hz -> {VGGISH_SAMPLE_RATE} Hz with {RESAMPLER}")
    try:
        return waveform_to_examples(torch.from_numpy(waveform).float())
    except MediaError as error:
        raise MediaError(f"{what}: {error}") from error


# --- texts ------------------------------------------------------------------------------------------------
def stored_texts(values: Any, what: str, expected: str = "strings") -> list[str]:
    """A non-empty list of strings (prompts, captions); another type anywhere is an error naming its position."""
    check_batch(values, what, expected)
    wrong = [(index, value) for index, value in enumerate(values) if not isinstance(value, str)]
    if wrong:
        index, value = wrong[0]
        raise MediaError(f"{what}[{index}]: expected a string, got {type(value).__name__} {value!r}"
                         f"{f' ({len(wrong)} non-strings in all)' if len(wrong) > 1 else ''}")
    return list(values)
