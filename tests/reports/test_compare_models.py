"""compare across models: a diffusers pipeline's run against a NExT-GPT run is compared -- with paired intervals,
each side named by the model it measured -- when both scored the same data, with the same run seed and the same
metric networks, and refused (naming what differs) when they did not.

The runs are written into a real results store through its API (model descriptions and fingerprints as the
runner stores them, generations, per-sample scores and feature rows as scoring saves them), with made-up
numbers: what is under test is the comparison, not a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from report_helpers import cli

from benchmarks.store import FeatureRows, Generation, ResultsStore
from metrics.frechet import GaussianStatistics, frechet_distance
from metrics.provenance import MetricResult, Provenance

SAMPLES = tuple(f"image-{index:04d}" for index in range(12))
FEATURE_DIM = 3
SD_FOLDER = "/weights/stable-diffusion-v1-5"
SD_MODEL = {"adapter": "diffusers-text-to-image", "source": SD_FOLDER, "num_inference_steps": 2,
            "guidance_scale": 7.5, "folder_sha256": "5d" * 32, "paper_model": "SD-1.5"}
NEXTGPT_MODEL = {"preset": "tiny", "checkpoint": "/ckpt/tiny-trained", "device": "cpu", "dtype": "float32"}
TOY_CLIP_SHA = None


def reference_rows() -> np.ndarray:
    return np.random.default_rng(100).normal(size=(len(SAMPLES), FEATURE_DIM))


def write_run(store: ResultsStore, model: dict[str, Any], fingerprint: str, *, offset: float, seed: int = 0,
              data: dict[str, str] | None = None, clip_weights: str | None = TOY_CLIP_SHA) -> str:
    """A complete t2i run as the runner leaves it: its generations, clip_score per sample (the task value is
    their mean), and FID with the feature rows it was computed from.  ``offset`` moves the model's outputs
    (higher CLIP scores, features further from the reference)."""
    settings = {"tasks": ["t2i"], "seed": seed, "limit": len(SAMPLES), "data": data or {}, "extractors": "toy",
                "bootstrap": 100}
    run_id, _ = store.start_or_resume(fingerprint, model, settings)
    for sample in SAMPLES:
        store.record(run_id, Generation(f"{fingerprint}-{seed}-{sample}", "t2i", sample, 0, seed, "", (), (), 0.1))
    rng = np.random.default_rng(len(fingerprint) + seed)
    clip = {sample: 20.0 + offset + float(rng.normal(scale=0.5)) for sample in SAMPLES}
    clip_result = MetricResult("clip_score", float(np.mean(list(clip.values()))), Provenance(
        metric="clip_score", n_samples=len(SAMPLES), seed=seed, extractor="toy", extractor_canonical=False,
        weights_sha256=clip_weights))
    generated = rng.normal(loc=offset / 10.0, size=(len(SAMPLES), FEATURE_DIM))
    reference = reference_rows()
    mine, theirs = GaussianStatistics.from_features(generated), GaussianStatistics.from_features(reference)
    fid = frechet_distance(mine.mu, mine.sigma, theirs.mu, theirs.sigma)
    fid_result = MetricResult("fid", fid, Provenance(metric="fid", n_samples=len(SAMPLES), seed=seed,
                                                     extractor="toy", extractor_canonical=False))
    store.save_scores(run_id, "t2i", [clip_result, fid_result], {"clip_score": clip})
    counts = (1,) * len(SAMPLES)
    store.save_features(run_id, "t2i", "generated", FeatureRows("toy", None, SAMPLES, counts, generated))
    store.save_features(run_id, "t2i", "reference", FeatureRows("toy", None, SAMPLES, counts, reference))
    store.finish_run(run_id)
    return run_id


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("cross-model") / "store"
    store = ResultsStore(folder)
    found = {
        "store": str(folder),
        "sd": write_run(store, SD_MODEL, "fingerprint-sd", offset=3.0),
        "nextgpt": write_run(store, NEXTGPT_MODEL, "fingerprint-nextgpt", offset=0.0),
        "sd_seed_1": write_run(store, SD_MODEL, "fingerprint-sd", offset=3.0, seed=1),
        "sd_coco": write_run(store, SD_MODEL, "fingerprint-sd", offset=3.0, data={"image-captions": "coco:/data"}),
        "sd_other_clip": write_run(store, SD_MODEL, "fingerprint-sd-2", offset=3.0, clip_weights="c1" * 32),
    }
    store.close()
    return found


def test_runs_of_different_models_get_paired_intervals(runs: dict[str, Any],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["compare", runs["nextgpt"], runs["sd"], "--store", runs["store"], "--json",
                        "--bootstrap", "200", "--set-groups", "4"], capsys)
    assert code == 0
    data = json.loads(out)
    rows = {row["metric"]: row for row in data["rows"]}
    clip = rows["clip_score"]
    assert clip["ci"] is not None and clip["ci"][0] > 0 and clip["verdict"] == "B better", clip
    assert "paired bootstrap, 12 shared samples" in clip["note"]
    fid = rows["fid"]
    assert fid["ci"] is not None and fid["ci"][0] <= fid["difference"] <= fid["ci"][1], fid
    assert "recomputed from the feature rows of toy" in fid["note"]
    assert data["models"]["b"] == {
        "label": f"SD-1.5 (diffusers-text-to-image: {SD_FOLDER})", "paper_model": "SD-1.5",
        "adapter": "diffusers-text-to-image", "source": SD_FOLDER, "checkpoint": None, "preset": None,
        "fingerprint": "fingerprint-sd"}
    assert data["models"]["a"]["label"] == "checkpoint /ckpt/tiny-trained (preset tiny)"
    assert data["models"]["a"]["fingerprint"] == "fingerprint-nextgpt"


def test_the_text_names_each_side_by_its_model(runs: dict[str, Any], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["compare", runs["nextgpt"], runs["sd"], "--store", runs["store"], "--set-groups", "4",
                        "--html", str(tmp_path / "html")], capsys)
    assert code == 0
    lines, database = out.splitlines(), Path(runs["store"]) / "results.sqlite"
    assert lines[0] == f"A = {runs['nextgpt']}: checkpoint /ckpt/tiny-trained (preset tiny) from {database}"
    assert lines[1] == f"B = {runs['sd']}: SD-1.5 (diffusers-text-to-image: {SD_FOLDER}) from {database}"
    page = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert f"SD-1.5 (diffusers-text-to-image: {SD_FOLDER})" in page and "preset tiny" in page


@pytest.mark.parametrize(("other", "reason"), [
    ("sd_seed_1", "t2i/clip_score: run seed differs (0 vs 1)"),
    ("sd_coco", "t2i/clip_score: dataset for image-captions differs ('synthetic' vs 'coco:/data')"),
    ("sd_other_clip", "t2i/clip_score: provenance field 'weights_sha256' differs (None vs 'c1c1"),
])
def test_other_models_are_still_refused_when_data_seed_or_networks_differ(
        runs: dict[str, Any], other: str, reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["compare", runs["nextgpt"], runs[other], "--store", runs["store"], "--set-groups", "4"],
                       capsys)
    assert code == 2 and f"refusing to compare {runs['nextgpt']} with {runs[other]}" in err
    assert reason in err, err
    code, out, _ = cli(["compare", runs["nextgpt"], runs[other], "--store", runs["store"], "--set-groups", "4",
                        "--skip-incomparable", "--json"], capsys)
    refused = {row["metric"]: row for row in json.loads(out)["rows"]}
    assert code == 0 and refused["clip_score"]["verdict"] == "refused" and refused["clip_score"]["ci"] is None
