"""ImageBind's preprocessing: images, videos and audio files -> the tensors ImageBind expects.

The conventions are ImageBind's own (``imagebind/data.py``), re-implemented because its loaders depend on
torchaudio.load (which needs torchcodec here) and on pytorchvideo's decoders:

* image: RGB, resize the short side to 224 (bicubic), centre crop 224, CLIP mean/std -> ``(3, 224, 224)``;
* video: ``clips`` clips of 2 s spread evenly over the file, 2 frames per clip, short side 224, then 1 or 3
  spatial crops of 224 -> ``(clips * crops, 3, 2, 224, 224)``; the encoder averages over the first axis;
* audio: 16 kHz mono, ``clips`` clips of 2 s, Kaldi log-mel (128 bins, 204 frames), mean -4.268 std 9.138
  -> ``(clips, 1, 128, 204)``.

Files are read by ``nextgpt.core.media`` (one set of checks: a file that cannot be read, an empty video and the
like raise ``MediaError`` naming the file). Audio at a rate other than 16 kHz is refused unless
``resample=True``, which converts it with the project's one resampler (``scipy.signal.resample_poly``, not
ImageBind's torchaudio sinc: see ``nextgpt/core/media/resample.py``). Stereo audio is averaged to mono and
greyscale/RGBA images are converted to RGB; both are documented conversions, not errors.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms

from nextgpt.core.errors import MediaError
from nextgpt.core.media import decode_video, read_audio, read_image

IMAGE_SIZE = 224
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
AUDIO_SAMPLE_RATE = 16000
AUDIO_MEL_BINS = 128
AUDIO_TARGET_FRAMES = 204
AUDIO_MEAN, AUDIO_STD = -4.268, 9.138
FRAMES_PER_CLIP = 2
CLIP_SECONDS = 2.0

_normalize_rgb = transforms.Normalize(mean=CLIP_MEAN, std=CLIP_STD)


def require_file(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{what} file {path} does not exist or is not a file")
    return path


# ----------------------------------------------------------------------------------------------- images
def image_to_tensor(image: Image.Image) -> torch.Tensor:
    """A PIL image -> ImageBind's normalised ``(3, 224, 224)`` tensor."""
    rgb = image.convert("RGB")
    pipeline = transforms.Compose([
        transforms.Resize(IMAGE_SIZE, interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.CenterCrop(IMAGE_SIZE),
        transforms.ToTensor(),
    ])
    return _normalize_rgb(pipeline(rgb))


def load_image(path: str | Path) -> torch.Tensor:
    return image_to_tensor(Image.fromarray(read_image(path)))


# ----------------------------------------------------------------------------------------------- audio
def read_wav_mono(path: str | Path, *, resample: bool = False) -> npt.NDArray[np.float32]:
    """A sound file as float32 mono at 16 kHz (stereo is averaged; other rates fail unless resample)."""
    return read_audio(path, AUDIO_SAMPLE_RATE, resample=resample)[0]


def clip_windows(duration_s: float, clips: int, clip_seconds: float = CLIP_SECONDS) -> list[tuple[Fraction, Fraction]]:
    """pytorchvideo's ConstantClipsPerVideoSampler, which ImageBind uses: clip ``i`` starts at
    ``i * max(duration - clip, 0) / clips`` and lasts ``clip_seconds`` (past the end of a short file it is simply
    shorter).  Exact fractions, as pytorchvideo computes them, so sample indices match."""
    step = Fraction(max(duration_s - clip_seconds, 0)) / clips
    return [(step * i, step * i + Fraction(clip_seconds)) for i in range(clips)]


def waveform_to_clips(waveform: np.ndarray, clips: int) -> torch.Tensor:
    """16 kHz mono waveform -> ``(clips, 1, 128, 204)`` normalised log-mel clips (ImageBind's audio input)."""
    import torchaudio.compliance.kaldi as kaldi

    if waveform.ndim != 1:
        raise MediaError(f"audio waveform must be 1-D mono, got shape {tuple(waveform.shape)}")
    wave = torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32))
    out = []
    for start, end in clip_windows(len(wave) / AUDIO_SAMPLE_RATE, clips):
        piece = wave[int(start * AUDIO_SAMPLE_RATE): int(end * AUDIO_SAMPLE_RATE)]
        if len(piece) < 400:  # one 25 ms Kaldi frame
            piece = F.pad(piece, (0, 400 - len(piece)))
        piece = (piece - piece.mean()).unsqueeze(0)
        fbank = kaldi.fbank(piece, htk_compat=True, sample_frequency=AUDIO_SAMPLE_RATE, use_energy=False,
                            window_type="hanning", num_mel_bins=AUDIO_MEL_BINS, dither=0.0,
                            frame_length=25, frame_shift=10).transpose(0, 1)
        frames = fbank.shape[1]
        if frames < AUDIO_TARGET_FRAMES:
            fbank = F.pad(fbank, (0, AUDIO_TARGET_FRAMES - frames))
        fbank = fbank[:, :AUDIO_TARGET_FRAMES]
        out.append(((fbank - AUDIO_MEAN) / AUDIO_STD).unsqueeze(0))
    return torch.stack(out)


def load_audio(path: str | Path, clips: int = 3, *, resample: bool = False) -> torch.Tensor:
    return waveform_to_clips(read_wav_mono(path, resample=resample), clips)


# ----------------------------------------------------------------------------------------------- video
def frames_to_clips(frames: np.ndarray, fps: float, clips: int, spatial_crops: int) -> torch.Tensor:
    """``(T, H, W, 3)`` uint8 frames -> ``(clips * crops, 3, 2, 224, 224)`` ImageBind video clips."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
        raise MediaError(f"video frames must be (T>0, H, W, 3) uint8, got shape {tuple(frames.shape)}")
    total = frames.shape[0]
    video = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0  # T, 3, H, W
    out = []
    for start, end in clip_windows(total / fps, clips):
        first = int(start * Fraction(fps))
        last = max(min(int(end * Fraction(fps)), total) - 1, first)
        picks = torch.linspace(first, min(last, total - 1), FRAMES_PER_CLIP).round().long()
        clip = video[picks]
        clip = transforms.functional.resize(clip, IMAGE_SIZE, antialias=True)  # short side -> 224
        clip = _normalize_rgb(clip)
        for crop in _spatial_crops(clip, spatial_crops):
            out.append(crop.permute(1, 0, 2, 3))  # 3, frames, H, W
    return torch.stack(out)


def _spatial_crops(clip: torch.Tensor, count: int) -> list[torch.Tensor]:
    """Centre crop, or left/centre/right (top/centre/bottom for portrait) crops as ImageBind's SpatialCrop."""
    height, width = clip.shape[-2:]
    if count == 1:
        return [transforms.functional.center_crop(clip, [IMAGE_SIZE, IMAGE_SIZE])]
    crops = []
    for position in range(3):
        if width >= height:
            x = [0, (width - IMAGE_SIZE) // 2, width - IMAGE_SIZE][position]
            crops.append(clip[..., (height - IMAGE_SIZE) // 2:(height - IMAGE_SIZE) // 2 + IMAGE_SIZE,
                              x:x + IMAGE_SIZE])
        else:
            y = [0, (height - IMAGE_SIZE) // 2, height - IMAGE_SIZE][position]
            crops.append(clip[..., y:y + IMAGE_SIZE,
                              (width - IMAGE_SIZE) // 2:(width - IMAGE_SIZE) // 2 + IMAGE_SIZE])
    return crops


def load_video(path: str | Path, clips: int = 5, spatial_crops: int = 3) -> torch.Tensor:
    frames, fps = decode_video(path)
    return frames_to_clips(frames, fps, clips, spatial_crops)


# ------------------------------------------------------------------------------------------ validation
EXPECTED_SHAPES = {
    "image": "(3, 224, 224)",
    "video": "(clips, 3, 2, 224, 224)",
    "audio": f"(clips, 1, {AUDIO_MEL_BINS}, {AUDIO_TARGET_FRAMES})",
}


def check_media_tensor(modality: str, tensor: torch.Tensor, *, name: str = "tensor") -> torch.Tensor:
    """Validate a preprocessed tensor for ``modality`` (see EXPECTED_SHAPES) and return it."""
    shape = tuple(tensor.shape)
    ok = {
        "image": len(shape) == 3 and shape == (3, IMAGE_SIZE, IMAGE_SIZE),
        "video": len(shape) == 5 and shape[1:] == (3, FRAMES_PER_CLIP, IMAGE_SIZE, IMAGE_SIZE) and shape[0] > 0,
        "audio": len(shape) == 4 and shape[1:] == (1, AUDIO_MEL_BINS, AUDIO_TARGET_FRAMES) and shape[0] > 0,
    }
    if modality not in ok:
        raise MediaError(f"{name}: unknown input modality {modality!r}; expected image, video or audio")
    if not ok[modality]:
        raise MediaError(f"{name}: a preprocessed {modality} must have shape {EXPECTED_SHAPES[modality]}, "
                         f"got {shape}")
    if not torch.isfinite(tensor).all():
        raise MediaError(f"{name}: the {modality} tensor contains NaN or infinite values")
    return tensor
