"""Reading a synthetic-world tone back into its attributes: pitch and pattern.

The world's tones are 220, 440 or 880 Hz sines, steady, beeping (on/off at 2 Hz: 0.25 s on, 0.25 s off),
rising (the frequency sweeps up to twice the start over 2 s) or falling (down to half over 2 s)
(benchmarks/datasets/synthetic.py).  The reading, at any sample rate and any length from 0.5 s:

* pitch: the strongest frequency of the first ``PITCH_SECONDS`` (Hann window, zero-padded FFT), named by the
  nearest pitch in octaves; a sweep has moved by at most 12% by then, far less than the half-octave between a
  pitch and the boundary to the next;
* beeping: the tone's loudness (the height of its spectral peak in ``FRAME_SECONDS`` frames, which white
  noise hardly lifts) drops below ``QUIET`` of the loud frames' level in at least ``QUIET_SHARE`` of the frames
  (the world's beeps are silent half of the time);
* rising / falling / steady: the strongest frequency of each loud frame, a straight line fitted to its log2
  over time: a slope beyond +-``SWEEP_OCTAVES_PER_SECOND`` octaves per second is a sweep (the world's sweeps move
  0.36 to 0.72 octaves per second; a 1.024 s cut of a 2 s rising sweep still rises 0.6 octaves);
* a silent clip (RMS under ``SILENCE``), or one whose start has no tone standing ``MIN_TONALITY`` times above
  the median of its spectrum (noise, an untrained decoder's hiss), reads "none" for both.
"""

from __future__ import annotations

import numpy as np

from benchmarks.datasets.verifiers.vocabulary import NONE, nearest_pitch
from nextgpt.core.errors import MediaError

MIN_SECONDS = 0.5
PITCH_SECONDS = 0.25
#: RMS (full scale 1.0) under which a clip is silence (the world's tones: 0.28)
SILENCE = 1e-3
#: frames of the loudness and frequency tracks
FRAME_SECONDS = 0.064
#: a frame is quiet under this share of the loud frames' level; a clip beeps when this share of frames is quiet
QUIET, QUIET_SHARE = 0.25, 0.3
SWEEP_OCTAVES_PER_SECOND = 0.15
#: how far the spectral peak of the first PITCH_SECONDS must stand above the spectrum's median to be a tone
#: (a world tone: about 10^4; white noise: about 4; a tone under white noise of 10x its amplitude: about 10)
MIN_TONALITY = 8.0
#: frequencies searched for the tone (the world's span 110-1760 Hz)
LOWEST_HZ, HIGHEST_HZ = 50.0, 4000.0


def read_audio(wave: np.ndarray, sample_rate: int) -> dict[str, str]:
    """The clip's pitch and pattern in the world's words ("none" for a silent clip).  ``wave``: mono float
    samples (full scale 1.0), at least 0.5 s at ``sample_rate``."""
    samples = np.asarray(wave, dtype=np.float64)
    if samples.ndim != 1:
        raise MediaError(f"audio: expected mono samples (a 1-D array), got shape {samples.shape}")
    if not isinstance(sample_rate, int | np.integer) or sample_rate <= 0:
        raise MediaError(f"audio: sample rate {sample_rate!r} is not a positive whole number of Hz")
    if len(samples) < MIN_SECONDS * sample_rate:
        raise MediaError(f"audio: {len(samples) / sample_rate:.3f} s is too short to read; expected at least "
                         f"{MIN_SECONDS} s")
    if float(np.sqrt(np.mean(samples**2))) < SILENCE:
        return {"pitch": NONE, "pattern": NONE}
    start = samples[:int(PITCH_SECONDS * sample_rate)]
    frequency, tonality = _tone_at_start(start, int(sample_rate))
    if tonality < MIN_TONALITY:
        return {"pitch": NONE, "pattern": NONE}
    return {"pitch": nearest_pitch(frequency), "pattern": _pattern(samples, int(sample_rate))}


def _tone_at_start(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """The strongest frequency (Hz) of ``samples`` and how far its peak stands above the median of the spectrum
    between LOWEST_HZ and HIGHEST_HZ (a sine: hundreds; white noise: a few)."""
    size = 1 << int(np.ceil(np.log2(4 * len(samples))))
    magnitude = np.abs(np.fft.rfft(samples * np.hanning(len(samples)), size))
    frequencies = np.fft.rfftfreq(size, 1 / sample_rate)
    band = magnitude[(frequencies >= LOWEST_HZ) & (frequencies <= HIGHEST_HZ)]
    return _strongest_frequency(samples, sample_rate), float(band.max() / max(float(np.median(band)), 1e-12))


def _strongest_frequency(samples: np.ndarray, sample_rate: int) -> float:
    """The frequency (Hz) of the largest peak of ``samples``' spectrum (see :func:`_spectral_peaks`)."""
    return float(_spectral_peaks(samples[None], sample_rate)[0][0])


def _spectral_peaks(frames: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame (rows of ``frames``): the frequency (Hz) and the magnitude of the largest peak of the
    Hann-windowed spectrum between LOWEST_HZ and HIGHEST_HZ, zero-padded to at least 4x the frame, the frequency
    refined by a parabola through the log magnitudes of the peak bin and its neighbours."""
    size = 1 << int(np.ceil(np.log2(4 * frames.shape[1])))
    magnitude = np.abs(np.fft.rfft(frames * np.hanning(frames.shape[1]), size, axis=1))
    frequencies = np.fft.rfftfreq(size, 1 / sample_rate)
    band = np.nonzero((frequencies >= LOWEST_HZ) & (frequencies <= HIGHEST_HZ))[0]
    peak = band[0] + np.argmax(magnitude[:, band], axis=1)
    rows = np.arange(len(frames))
    left, centre, right = (np.log(magnitude[rows, peak + shift] + 1e-12) for shift in (-1, 0, 1))
    curvature = left - 2 * centre + right
    offset = np.where(curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1.0), 0.0)
    return (peak + offset) * sample_rate / size, magnitude[rows, peak] / frames.shape[1]


def _pattern(samples: np.ndarray, sample_rate: int) -> str:
    """Beeping from the loudness of the tone (its spectral peak, which white noise hardly lifts), then the
    direction of the frequency track over the loud frames."""
    size = int(FRAME_SECONDS * sample_rate)
    frames = samples[:len(samples) // size * size].reshape(-1, size)
    frequencies, loudness = _spectral_peaks(frames, sample_rate)
    loud = loudness >= QUIET * float(np.percentile(loudness, 90))
    if np.mean(~loud) >= QUIET_SHARE:
        return "beeping"
    if loud.sum() < 2:
        return "steady"
    times = (np.arange(len(frames)) + 0.5) * size / sample_rate
    slope = float(np.polyfit(times[loud], np.log2(frequencies[loud]), 1)[0])
    if slope > SWEEP_OCTAVES_PER_SECOND:
        return "rising"
    if slope < -SWEEP_OCTAVES_PER_SECOND:
        return "falling"
    return "steady"
