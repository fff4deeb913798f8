"""Task-level metrics computed by the harness itself (not by the metric library)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.datasets.samples import MediaFile, Sample
from benchmarks.scoring.attribute_accuracy import named_attribute_share
from benchmarks.scoring.mean_metric import mean_result


def _sample(sample_id: str, modality: str, **metadata: str) -> Sample:
    return Sample(id=sample_id, inputs=(MediaFile(modality, Path(f"{sample_id}.bin")),), captions=("x",),  # type: ignore[arg-type]
                  metadata=metadata)


def test_attribute_accuracy_counts_named_attributes_per_sample() -> None:
    assert named_attribute_share(_sample("a", "image", colour="red", shape="circle", size="small",
                                         background="white"), "A small RED circle, on black") == pytest.approx(3 / 4)
    assert named_attribute_share(_sample("b", "audio", pitch="high", pattern="rising"),
                                 "a rising low tone") == pytest.approx(1 / 2)
    # incomplete metadata (as any public dataset): not scored
    assert named_attribute_share(_sample("c", "image", colour="blue"), "a blue square") is None


def test_attribute_accuracy_needs_whole_words() -> None:
    assert named_attribute_share(_sample("a", "audio", pitch="high", pattern="rising"), "highrising") == 0.0
    assert named_attribute_share(_sample("a", "audio"), "x") is None


def test_a_mean_metric_records_its_definition_and_interval() -> None:
    result = mean_result("attribute_accuracy", {"a": 0.75, "b": 0.5}, "share named", bootstrap=50, seed=3)
    assert result.value == pytest.approx(0.625) and result.available
    assert result.provenance.n_samples == 2 and result.provenance.seed == 3
    assert dict(result.provenance.settings) == {"definition": "share named"}
    assert result.ci is not None and result.ci.low <= 0.625 <= result.ci.high and result.ci.n_resamples == 50


def test_a_mean_over_no_item_is_unavailable_not_zero() -> None:
    result = mean_result("attribute_accuracy", {}, "share named", bootstrap=0, seed=0)
    assert not result.available and result.unavailable_reason == "no item of the task could be scored"
    assert result.provenance.n_samples == 0 and result.ci is None
