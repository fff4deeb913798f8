"""The one resampler (scipy.signal.resample_poly): length, frequency, identity, dtype, and refused input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nextgpt.core.errors import MediaError
from nextgpt.core.media import RESAMPLER, resample_audio


def _sine(frequency: float, rate: int, seconds: float = 1.0, dtype: type = np.float64) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.sin(2 * np.pi * frequency * t).astype(dtype)


def _peak_hz(wave: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return float(np.fft.rfftfreq(len(wave), 1 / rate)[int(np.argmax(spectrum))])


def test_the_resampler_is_named() -> None:
    assert RESAMPLER == "scipy.signal.resample_poly"


@pytest.mark.parametrize("length, from_rate, to_rate", [
    (44100, 44100, 16000), (48000, 48000, 16000), (16000, 16000, 22050), (1001, 32000, 16000), (7, 8000, 44100),
])
def test_length_is_the_exact_ratio_rounded_up(length: int, from_rate: int, to_rate: int) -> None:
    out = resample_audio(np.zeros(length, np.float32), from_rate, to_rate)
    assert len(out) == math.ceil(length * to_rate / from_rate)


@pytest.mark.parametrize("frequency, from_rate, to_rate", [(440.0, 44100, 16000), (1000.0, 16000, 48000),
                                                           (3000.0, 48000, 16000), (250.0, 22050, 16000)])
def test_a_sine_keeps_its_frequency_and_amplitude(frequency: float, from_rate: int, to_rate: int) -> None:
    out = resample_audio(_sine(frequency, from_rate), from_rate, to_rate)
    assert abs(_peak_hz(out, to_rate) - frequency) <= 1.0  # 1 s of signal: 1 Hz bins
    middle = out[len(out) // 4: 3 * len(out) // 4]  # away from the filter's edge transients
    assert np.max(np.abs(middle)) == pytest.approx(1.0, abs=0.01)


def test_a_tone_above_the_new_nyquist_is_removed_not_folded() -> None:
    out = resample_audio(_sine(7000.0, 44100), 44100, 8000)  # 7 kHz would alias to 1 kHz
    assert np.sqrt(np.mean(out[1000:-1000] ** 2)) < 0.01


def test_equal_rates_give_an_identical_copy() -> None:
    wave = _sine(440.0, 16000, dtype=np.float32)
    out = resample_audio(wave, 16000, 16000)
    assert out is not wave and out.dtype == np.float32 and np.array_equal(out, wave)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dtype_is_kept_and_results_are_deterministic(dtype: type) -> None:
    wave = np.random.default_rng(0).standard_normal(4410).astype(dtype)
    first, second = resample_audio(wave, 44100, 16000), resample_audio(wave, 44100, 16000)
    assert first.dtype == dtype and np.array_equal(first, second)


@pytest.mark.parametrize("from_rate, to_rate, message", [
    (0, 16000, r"resample_audio from_rate: expected a positive integer sample rate in Hz, got 0"),
    (44100, -1, r"resample_audio to_rate: expected a positive integer sample rate in Hz, got -1"),
    (44100.0, 16000, r"from_rate: expected a positive integer sample rate in Hz, got 44100\.0"),
])
def test_rates_must_be_positive_integers(from_rate: object, to_rate: object, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        resample_audio(np.zeros(10, np.float32), from_rate, to_rate)  # type: ignore[arg-type]


@pytest.mark.parametrize("wave", [np.zeros((10, 2), np.float32), np.zeros(10, np.int16)])
def test_only_1d_float_waveforms(wave: np.ndarray) -> None:
    with pytest.raises(MediaError, match=r"resample_audio: expected a 1-D float32 or float64 waveform, got a"):
        resample_audio(wave, 44100, 16000)  # type: ignore[type-var]
