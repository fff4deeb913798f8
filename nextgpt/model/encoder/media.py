"""Read images, videos and audio files into the tensors ImageBind expects.

The conventions are ImageBind's own (``imagebind/data.py``), re-implemented because its loaders depend on
torchaudio.load (which needs torchcodec here) and on pytorchvideo's decoders:

* image: RGB, resize the short side to 224 (bicubic), centre crop 224, CLIP mean/std -> ``(3, 224, 224)``;
* video: ``clips`` clips of 2 s spread evenly over the file, 2 frames per clip, short side 224, then 1 or 3
  spatial crops of 224 -> ``(clips * crops, 3, 2, 224, 224)``; the encoder averages over the first axis;
* audio: 16 kHz mono, ``clips`` clips of 2 s, Kaldi log-mel (128 bins, 204 frames), mean -4.268 std 9.138
  -> ``(clips, 1, 128, 204)``.

Nothing here converts silently: a file that cannot be read, a sample rate other than 16 kHz (unless
``resample=True``), an empty video and the like raise ``MediaError`` naming the file.  Stereo audio is averaged
to mono and greyscale/RGBA images are converted to RGB; both are documented conversions, not errors.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torchvision import transforms

from nextgpt.core.errors import MediaError

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
    with _opened_image(require_file(path, "image")) as image:
        image.load()
        if image.width == 0 or image.height == 0:
            raise MediaError(f"image {path} is empty ({image.width}x{image.height})")
        return image_to_tensor(image)


def check_image_header(path: str | Path) -> None:
    """Check an image file from its header alone (nothing decoded): readable, and not a decompression bomb."""
    with _opened_image(require_file(path, "image")):
        pass


@contextlib.contextmanager
def _opened_image(path: Path) -> Iterator[Image.Image]:
    """Open an image (header read, pixels not yet decoded), refusing decompression bombs; what Pillow raises
    here or in the ``with`` body becomes a MediaError naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, with the file's name
            image_file = Image.open(path)
        with image_file as image:
            check_pixel_count(path, image.width, image.height)
            yield image
    except Image.DecompressionBombError as error:  # Pillow's own guard, raised by open for > 2x its limit
        raise MediaError(_too_many_pixels(path, str(error))) from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise MediaError(f"image {path} cannot be read as an image ({error}); expected PNG, JPEG or "
                         "another format Pillow reads") from error


def check_pixel_count(path: Path, width: int, height: int) -> None:
    """Refuse, from the header alone, an image above Pillow's decompression-bomb limit (``MAX_IMAGE_PIXELS``,
    89.5 megapixels; Pillow itself only warns up to twice that): decoding it would take gigabytes of memory,
    and ImageBind resizes every image to 224 x 224 anyway."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        raise MediaError(_too_many_pixels(path, f"{width} x {height} = {width * height} pixels"))


def _too_many_pixels(path: Path, detail: str) -> str:
    return (f"image {path} is too large to decode safely ({detail}; the limit is {Image.MAX_IMAGE_PIXELS} pixels, "
            "Pillow's decompression-bomb guard). If you trust the file, downscale it first (ImageBind reads "
            "224 x 224), e.g. `convert in.png -resize 4096x4096 out.png`; from Python you may raise "
            "PIL.Image.MAX_IMAGE_PIXELS")


# ----------------------------------------------------------------------------------------------- audio
def audio_sample_rate(path: str | Path) -> int:
    """A sound file's sample rate, from its header (cheap: nothing is decoded)."""
    import soundfile

    path = require_file(path, "audio")
    try:
        return int(soundfile.info(str(path)).samplerate)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise MediaError(f"audio {path} cannot be read ({error}); expected a WAV/FLAC/OGG file") from error


def read_wav_mono(path: str | Path, *, resample: bool = False) -> np.ndarray:
    """Read a sound file as float32 mono at 16 kHz (stereo is averaged; other rates fail unless resample)."""
    import soundfile

    path = require_file(path, "audio")
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise MediaError(f"audio {path} cannot be read ({error}); expected a WAV/FLAC/OGG file") from error
    if samples.shape[0] == 0:
        raise MediaError(f"audio {path} holds no samples")
    mono = samples.mean(axis=1)
    if rate != AUDIO_SAMPLE_RATE:
        if not resample:
            raise MediaError(f"audio {path} is sampled at {rate} Hz; expected {AUDIO_SAMPLE_RATE} Hz "
                             "(resample it, e.g. `sox in.wav -r 16000 out.wav`, or pass resample=True)")
        import torchaudio.functional

        mono = torchaudio.functional.resample(torch.from_numpy(mono), rate, AUDIO_SAMPLE_RATE).numpy()
    if not np.isfinite(mono).all():
        raise MediaError(f"audio {path} contains NaN or infinite samples")
    return mono.astype(np.float32)


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
def read_video_frames(path: str | Path) -> tuple[np.ndarray, float]:
    """Decode every frame of a video as ``(frames, H, W, 3)`` uint8 plus its frame rate."""
    with _opened_video(path) as (path, container, stream):
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 8.0
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    if not frames:
        raise MediaError(f"video {path} holds no frames")
    return np.stack(frames), fps


def check_video_header(path: str | Path) -> None:
    """Check a video file cheaply, before any model loads: FFmpeg opens it, finds a video stream and decodes its
    first frame (a file FFmpeg merely probes -- garbage after a PNG signature, a text file taken for subtitles
    -- is refused here, not after the model has loaded)."""
    with _opened_video(path) as (path, container, stream):
        if next(container.decode(stream), None) is None:
            raise MediaError(f"video {path} holds no frames")


@contextlib.contextmanager
def _opened_video(path: str | Path) -> Iterator[tuple[Path, Any, Any]]:
    """(path, container, first video stream) of an opened video; what FFmpeg raises here or in the ``with``
    body becomes a MediaError naming the file."""
    import av

    path = require_file(path, "video")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"video {path} has no video stream; expected MP4, GIF, WebM or another video "
                                 "format FFmpeg reads")
            yield path, container, container.streams.video[0]
    except av.error.FFmpegError as error:
        raise MediaError(f"video {path} cannot be decoded ({error}); expected MP4, GIF, WebM or "
                         "another format FFmpeg reads") from error


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
    frames, fps = read_video_frames(path)
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
