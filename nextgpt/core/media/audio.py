"""Audio: read any file libsndfile decodes (WAV, FLAC, OGG, MP3) as a mono waveform; write WAV files and stored
WAV bytes.

Stereo (or more channels) is averaged to mono -- what torchvggish and ImageBind do -- and the downmix is noted.
A reader that needs one rate passes ``sample_rate``: a file at another rate is refused, or with
``resample=True`` converted by :func:`~nextgpt.core.media.resample.resample_audio` (noted too).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from nextgpt.core.errors import MediaError
from nextgpt.core.media.checks import (
    Waveform,
    check_sample_rate,
    check_waveform,
    require_file,
    require_sample_rate,
)
from nextgpt.core.media.resample import RESAMPLER, resample_audio

#: What audio files are expected to be, for error messages.
AUDIO_FORMATS = "a WAV, FLAC, OGG or MP3 file libsndfile reads"


def audio_sample_rate(path: str | Path) -> int:
    """A sound file's sample rate, from its header (cheap: nothing is decoded)."""
    import soundfile

    path = require_file(path, "audio")
    try:
        rate = soundfile.info(str(path)).samplerate
    except (RuntimeError, OSError, ValueError) as error:  # soundfile.LibsndfileError is a RuntimeError
        raise MediaError(f"audio {path} cannot be read ({error}); expected {AUDIO_FORMATS}") from error
    return check_sample_rate(rate, f"audio {path}")


@overload
def read_audio(path: str | Path, sample_rate: int | None = None, *, resample: bool = False,
               dtype: Literal["float32"] = "float32", notes: list[str] | None = None,
               resample_option: str = "resample=True") -> tuple[npt.NDArray[np.float32], int]: ...
@overload
def read_audio(path: str | Path, sample_rate: int | None = None, *, resample: bool = False,
               dtype: Literal["float64"], notes: list[str] | None = None,
               resample_option: str = "resample=True") -> tuple[npt.NDArray[np.float64], int]: ...
def read_audio(path: str | Path, sample_rate: int | None = None, *, resample: bool = False,
               dtype: Literal["float32", "float64"] = "float32", notes: list[str] | None = None,
               resample_option: str = "resample=True") -> tuple[Waveform, int]:
    """``(mono waveform, its sample rate)`` of the sound file at ``path``, decoded as ``dtype``.

    ``sample_rate`` None keeps the file's rate; otherwise a file at another rate is refused unless ``resample``,
    which converts it. Missing, undecodable, empty and non-finite files raise MediaError naming the file.
    Conversions (downmix, resampling) are appended to ``notes`` when given. float64 is what the metric library
    reads (it averages channels and resamples in float64, as the VGGish references do). ``resample_option`` is
    how the caller's user asks for resampling (a CLI names its flag), offered in the refusal.
    """
    import soundfile

    path = require_file(path, "audio")
    what = f"audio {path}"
    try:
        samples, rate = soundfile.read(str(path), dtype=dtype, always_2d=True)
    except (RuntimeError, OSError, ValueError) as error:  # soundfile.LibsndfileError is a RuntimeError
        raise MediaError(f"{what} cannot be read ({error}); expected {AUDIO_FORMATS}") from error
    rate = check_sample_rate(rate, what)
    if samples.shape[0] == 0:
        raise MediaError(f"{what} holds no samples")
    if not np.isfinite(samples).all():
        raise MediaError(f"{what} contains NaN or infinite samples")
    if samples.shape[1] > 1 and notes is not None:
        notes.append(f"{path}: downmixed {samples.shape[1]} channels to mono by averaging")
    mono: Waveform = samples.mean(axis=1)
    if sample_rate is not None and rate != check_sample_rate(sample_rate, f"sample_rate for {what}"):
        if not resample:
            require_sample_rate(what, rate, sample_rate,
                                resample_option=f"{resample_option} to convert it on reading with {RESAMPLER}")
        mono = resample_audio(mono, rate, sample_rate)
        if notes is not None:
            notes.append(f"{path}: resampled {rate} Hz -> {sample_rate} Hz with {RESAMPLER}")
        rate = sample_rate
    return mono, rate


def encode_audio(samples: npt.ArrayLike, sample_rate: int) -> bytes:
    """32-bit float WAV bytes of a mono waveform (how the results store keeps generated audio: lossless).

    libsndfile adds a PEAK chunk to float WAVs whose timestamp is the time of writing, so the same samples give
    the same bytes except those four (the samples, and so every score, are identical)."""
    waveform = check_waveform(samples, "audio to encode")
    rate = check_sample_rate(sample_rate, "audio to encode")
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, waveform, rate, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def write_wav(samples: npt.ArrayLike, path: str | Path, sample_rate: int = 16000) -> Path:
    """Mono float samples in [-1, 1] -> 16-bit PCM WAV at ``path`` (values outside are clipped); returns it."""
    path = Path(path)
    waveform = check_waveform(samples, f"audio for {path}")
    rate = check_sample_rate(sample_rate, f"audio for {path}")
    import soundfile

    soundfile.write(str(path), np.clip(waveform, -1.0, 1.0), rate, subtype="PCM_16")
    return path
