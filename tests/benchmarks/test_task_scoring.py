"""Task-level metrics computed by the harness itself (not by the metric library)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.datasets.samples import MediaFile, Sample
from benchmarks.scoring.scorers import _attribute_accuracy


def _sample(sample_id: str, modality: str, **metadata: str) -> Sample:
    return Sample(id=sample_id, inputs=(MediaFile(modality, Path(f"{sample_id}.bin")),), captions=("x",),
                  metadata=metadata)


def test_attribute_accuracy_counts_named_attributes_per_sample() -> None:
    samples = [_sample("a", "image", colour="red", shape="circle", size="small", background="white"),
               _sample("b", "audio", pitch="high", pattern="rising"),
               _sample("c", "image", colour="blue")]  # incomplete metadata (as any public dataset): not scored
    answers = {"a": "A small RED circle, on black", "b": "a rising low tone", "c": "a blue square"}
    value, per = _attribute_accuracy(SimpleNamespace(bootstrap=0, seed=0), samples, answers)
    assert per == {"a": pytest.approx(3 / 4), "b": pytest.approx(1 / 2)}
    assert value.value == pytest.approx((3 / 4 + 1 / 2) / 2) and value.n == 2


def test_attribute_accuracy_needs_whole_words_and_is_none_without_metadata() -> None:
    value, per = _attribute_accuracy(SimpleNamespace(bootstrap=0, seed=0),
                                     [_sample("a", "audio", pitch="high", pattern="rising")], {"a": "highrising"})
    assert per == {"a": 0.0}
    value, per = _attribute_accuracy(SimpleNamespace(bootstrap=0, seed=0), [_sample("a", "audio")], {"a": "x"})
    assert per == {} and value.value is None
