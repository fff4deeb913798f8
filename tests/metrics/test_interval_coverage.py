"""FID/FAD intervals cover the expected distance at the sample size used (issue: bootstrap intervals that did
not even contain their own estimate). Simulation in interval_coverage.py; README table from the same code.

The coverage simulation (about 4 minutes on 2 cores) is marked ``simulation``: ``pytest -q`` leaves it out, CI
runs it as a step of its own (``pytest -q -m simulation``, .ci/run)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from interval_coverage import KID_SETTINGS, PAIRED_SETTINGS, SINGLE_SETTINGS, Coverage, coverage_table, markdown

from metrics.frechet_metrics import frechet_from_features


@pytest.fixture(scope="module")
def coverages() -> dict[str, Coverage]:
    """All settings, 200 repetitions each; COVERAGE_TABLE_OUT=FILE also writes the README table there."""
    rows = coverage_table(SINGLE_SETTINGS + PAIRED_SETTINGS + KID_SETTINGS, repetitions=200)
    if os.environ.get("COVERAGE_TABLE_OUT"):
        Path(os.environ["COVERAGE_TABLE_OUT"]).write_text(markdown(rows) + "\n", encoding="utf-8")
    return {row.setting.label: row for row in rows}


@pytest.mark.slow
@pytest.mark.simulation
@pytest.mark.parametrize("label", [s.label for s in SINGLE_SETTINGS + PAIRED_SETTINGS + KID_SETTINGS])
def test_nominal_95_interval_covers_the_expected_value_90_to_99_percent(coverages: dict[str, Coverage],
                                                                       label: str) -> None:
    row = coverages[label]
    assert row.repetitions >= 200
    assert 0.90 <= row.covered <= 0.99, f"{label}: coverage {row.covered:.3f} of E = {row.truth:.4f}"
    assert row.contains_estimate, f"{label}: an interval does not contain its own estimate"


def test_identical_sets_give_zero_inside_a_non_negative_interval() -> None:
    """The reported case: FD(A, A) = 0 came with the bootstrap interval [1.899, 2.341]."""
    features = np.random.default_rng(0).standard_normal((1000, 64))
    result = frechet_from_features(features, features, interval=True, seed=0)
    assert result.value == pytest.approx(0.0, abs=1e-9)
    assert result.ci is not None
    assert 0.0 == result.ci.low <= result.value <= result.ci.high
    assert "jackknife" in result.ci.method


def test_independent_sets_interval_contains_estimate_and_is_recorded() -> None:
    rng = np.random.default_rng(1)
    result = frechet_from_features(rng.standard_normal((1000, 64)), rng.standard_normal((1000, 64)),
                                   interval=True, seed=3)
    assert result.ci is not None
    assert result.ci.low < result.value < result.ci.high
    assert result.provenance.seed == 3
    assert result.to_dict()["ci"]["method"].startswith("grouped jackknife")


def test_rows_of_one_sample_stay_in_one_group() -> None:
    """Frames of a video are correlated: splitting them across groups would make the interval too narrow."""
    rng = np.random.default_rng(2)
    videos = rng.standard_normal((60, 1, 16)) + 0.1 * rng.standard_normal((60, 8, 16))  # 8 near-identical frames
    reference = rng.standard_normal((480, 16))
    frames = videos.reshape(-1, 16)
    clusters = np.repeat(np.arange(60), 8)
    by_video = frechet_from_features(frames, reference, interval=True, generated_clusters=clusters).ci
    by_frame = frechet_from_features(frames, reference, interval=True).ci
    assert by_video is not None and by_frame is not None
    assert (by_video.high - by_video.low) > 1.5 * (by_frame.high - by_frame.low)
