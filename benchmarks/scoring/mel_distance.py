"""``mel_distance``: mean L1 between the log-mel spectrograms of an audio output and its target (paired; the
NExT-GPT paper's MCD is a different distance)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from benchmarks.scoring.computation import PerSampleMetric
from benchmarks.scoring.context import ScoredItem
from benchmarks.scoring.metric_spec import MetricSpec

if TYPE_CHECKING:
    import torch


def log_mel_distance(output: np.ndarray, target: np.ndarray) -> float:
    """Both 16 kHz mono; 64 mel bins, 25 ms / 10 ms frames, cropped to the shorter clip."""
    import torch
    import torchaudio.compliance.kaldi as kaldi

    def log_mel(wave: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32)).unsqueeze(0)
        if tensor.shape[1] < 400:
            tensor = torch.nn.functional.pad(tensor, (0, 400 - tensor.shape[1]))
        return kaldi.fbank(tensor, sample_frequency=16000, num_mel_bins=64, dither=0.0, energy_floor=1e-10)

    a, b = log_mel(output), log_mel(target)
    frames = min(len(a), len(b))
    return float((a[:frames] - b[:frames]).abs().mean())


def mel_distance(item: ScoredItem) -> float | None:
    output = item.output_media()
    return None if output is None else log_mel_distance(output, item.target_media())


MEL_DISTANCE = MetricSpec(
    "mel_distance", False, frozenset({"audio"}), "per-sample", "per-sample",
    "mean L1 between log-mel spectrograms of output and target",
    PerSampleMetric(mel_distance, "mean |log-mel(output) - log-mel(target)|, 64 mel bins, 25 ms / 10 ms frames, "
                                  "cropped to the shorter clip"))
