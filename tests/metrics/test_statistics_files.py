"""FID from .npz statistics: no feature network, provenance checked, bad files named (issue 11)."""

from __future__ import annotations

import json
import logging
import re
import zipfile

import numpy as np
import pytest
import scipy.linalg
from PIL import Image

from benchmarks.cli import main
from metrics.errors import FeatureError, IncomparableResultsError
from metrics.frechet import GaussianStatistics, frechet_distance
from metrics.statistics_file import (
    STATISTICS_FORMAT_VERSION,
    frechet_from_statistics_files,
    load_statistics,
    save_statistics,
)

TOY_RECORD = {"extractor": "toy", "weights_sha256": "a" * 64, "resize": "tf-bilinear",
              "extractor_canonical": False, "input_convention": "uint8 RGB, tf-bilinear resize to 32"}


def _run(capsys, *argv: str) -> tuple[int, dict | str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except json.JSONDecodeError:
        return code, out, err


def pytorch_fid_formula(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm), written out as the reference."""
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def _stats(seed: int, n: int, dim: int, scale: float = 1.0, shift: float = 0.0) -> GaussianStatistics:
    rng = np.random.default_rng(seed)
    return GaussianStatistics.from_features(rng.normal(size=(n, dim)) * scale + shift)


@pytest.fixture
def isolated_weights(tmp_path, monkeypatch):
    """No weights anywhere: any attempt to build Inception would fail with a missing-weights error."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("NEXTGPT_BENCH_WEIGHTS", raising=False)


# --- two statistics files ------------------------------------------------------------------------------

def test_two_plain_files_d256_need_no_network_and_equal_the_pytorch_fid_formula(
        tmp_path, capsys, isolated_weights) -> None:
    a, b = _stats(1, 600, 256), _stats(2, 700, 256, scale=1.2, shift=0.1)
    np.savez(tmp_path / "a.npz", mu=a.mu, sigma=a.sigma)  # what pytorch-fid --save-stats writes
    np.savez(tmp_path / "b.npz", mu=b.mu, sigma=b.sigma)
    code, out, err = _run(capsys, "score", "images", "--gen", str(tmp_path / "a.npz"), "--ref",
                          str(tmp_path / "b.npz"), "--json")
    assert code == 0, err
    fid = out["metrics"]["fid"]
    assert fid == frechet_distance(a.mu, a.sigma, b.mu, b.sigma)
    assert fid == pytest.approx(pytorch_fid_formula(a.mu, a.sigma, b.mu, b.sigma), rel=1e-6)
    assert fid > 1.0  # not a degenerate zero
    prov = out["provenance"]["fid"]["provenance"]
    assert prov["extractor"] == "unknown" and out["metrics"]["fid[unknown]"] == fid
    assert prov["n_samples"] is None and prov["n_reference"] is None
    unknown = [w for w in prov["warnings"] if "no record" in w]
    assert len(unknown) == 2 and "a.npz" in unknown[0] and "b.npz" in unknown[1]
    assert "a.npz has no record" in err and "b.npz has no record" in err  # also on stderr
    for name in ("kid_mean", "kid_std"):  # said, not silently omitted
        assert out["metrics"][name] is None
        assert "cannot be computed from statistics" in out["provenance"][name]["unavailable_reason"]


def test_two_recorded_files_name_the_extractor_counts_and_rank_warning(tmp_path, capsys) -> None:
    gen, ref = _stats(3, 100, 128), _stats(4, 500, 128, shift=0.2)  # generated: n=100 <= d=128
    save_statistics(tmp_path / "gen.npz", gen, **TOY_RECORD)
    save_statistics(tmp_path / "ref.npz", ref, **TOY_RECORD)
    code, out, err = _run(capsys, "score", "images", "--gen", str(tmp_path / "gen.npz"), "--ref",
                          str(tmp_path / "ref.npz"), "--json")
    assert code == 0, err
    prov = out["provenance"]["fid"]["provenance"]
    assert out["metrics"]["fid[toy]"] == frechet_distance(gen.mu, gen.sigma, ref.mu, ref.sigma)
    assert (prov["extractor"], prov["weights_sha256"], prov["resize"]) == ("toy", "a" * 64, "tf-bilinear")
    assert prov["extractor_canonical"] is False
    assert (prov["n_samples"], prov["n_reference"]) == (100, 500)
    rank = [w for w in prov["warnings"] if "rank" in w]
    assert len(rank) == 1 and "gen.npz" in rank[0] and "100 samples for 128-d" in rank[0]
    assert not any("no record" in w for w in prov["warnings"])


@pytest.mark.parametrize(("field", "other_value"), [
    ("extractor", "inception-2015-12-05"), ("weights_sha256", "b" * 64), ("resize", "pil-bicubic")])
def test_files_from_different_extractor_weights_or_resize_are_refused(tmp_path, capsys, field, other_value) -> None:
    stats = _stats(5, 300, 64)
    save_statistics(tmp_path / "mine.npz", stats, **TOY_RECORD)
    save_statistics(tmp_path / "theirs.npz", stats, **{**TOY_RECORD, field: other_value})
    code, out, err = _run(capsys, "score", "images", "--gen", str(tmp_path / "mine.npz"), "--ref",
                          str(tmp_path / "theirs.npz"))
    assert code == 2 and out == ""
    for text in ("mine.npz", "theirs.npz", field, repr(TOY_RECORD[field]), repr(other_value)):
        assert text in err
    with pytest.raises(IncomparableResultsError, match=field):  # the library refuses as well
        frechet_from_statistics_files(load_statistics(tmp_path / "mine.npz"), load_statistics(tmp_path / "theirs.npz"))


def test_two_files_of_different_dimension_are_refused_naming_both(tmp_path, capsys) -> None:
    save_statistics(tmp_path / "d64.npz", _stats(6, 100, 64), **TOY_RECORD)
    small = _stats(7, 100, 32)
    np.savez(tmp_path / "d32.npz", mu=small.mu, sigma=small.sigma)
    code, _, err = _run(capsys, "score", "images", "--gen", str(tmp_path / "d64.npz"), "--ref",
                        str(tmp_path / "d32.npz"))
    assert code == 2 and "d64.npz" in err and "d32.npz" in err and "64-d" in err and "32-d" in err


def test_extractor_named_against_a_different_record_is_refused(tmp_path, capsys) -> None:
    for name in ("gen", "ref"):
        save_statistics(tmp_path / f"{name}.npz", _stats(8, 100, 16), **TOY_RECORD)
    code, _, err = _run(capsys, "score", "images", "--gen", str(tmp_path / "gen.npz"), "--ref",
                        str(tmp_path / "ref.npz"), "--extractor", "inception-2015-12-05")
    assert code == 2 and "gen.npz" in err and "'toy'" in err and "'inception-2015-12-05'" in err


def test_saved_file_records_format_version_n_and_input_convention(tmp_path) -> None:
    stats = _stats(9, 40, 8)
    path = save_statistics(tmp_path / "s.npz", stats, **TOY_RECORD)
    with np.load(path) as data:
        record = json.loads(str(data["provenance"]))
        assert int(data["n"]) == 40
    assert record["format_version"] == STATISTICS_FORMAT_VERSION and record["feature_dim"] == 8
    assert {k: record[k] for k in TOY_RECORD} == TOY_RECORD
    loaded = load_statistics(path)
    assert (loaded.format_version, loaded.input_convention, loaded.extractor_canonical) == (
        STATISTICS_FORMAT_VERSION, TOY_RECORD["input_convention"], False)


def test_version_1_file_still_loads(tmp_path) -> None:
    """Files written before the format version existed: provenance JSON with three fields, plus n."""
    stats = _stats(10, 30, 4)
    meta = json.dumps({"extractor": "toy", "weights_sha256": None, "resize": "tf-bilinear"})
    np.savez(tmp_path / "v1.npz", mu=stats.mu, sigma=stats.sigma, n=np.int64(30), provenance=np.array(meta))
    loaded = load_statistics(tmp_path / "v1.npz")
    assert (loaded.format_version, loaded.extractor, loaded.statistics.n) == (1, "toy", 30)


# --- bad files -----------------------------------------------------------------------------------------

def _bad_files(tmp_path):
    mu, sigma = np.zeros(4), np.eye(4)
    (tmp_path / "text.npz").write_text("mu,sigma\n1,2\n")
    np.savez(tmp_path / "nosigma.npz", mu=mu)
    np.savez(tmp_path / "mu2d.npz", mu=np.zeros((4, 1)), sigma=sigma)
    np.savez(tmp_path / "sigmashape.npz", mu=mu, sigma=np.eye(3))
    bad = sigma.copy()
    bad[1, 2] = np.nan
    np.savez(tmp_path / "nan.npz", mu=mu, sigma=bad)
    np.savez(tmp_path / "strings.npz", mu=np.array(["a", "b"]), sigma=sigma)
    np.savez(tmp_path / "future.npz", mu=mu, sigma=sigma, provenance=np.array(json.dumps({"format_version": 99})))
    return [("text.npz", "not a .npz (zip)"), ("nosigma.npz", "'sigma'"), ("mu2d.npz", "'mu' has shape (4, 1)"),
            ("sigmashape.npz", "'sigma' has shape (3, 3)"), ("nan.npz", "'sigma' contains 1 NaN"),
            ("strings.npz", "'mu' is not a numeric array"), ("future.npz", "format_version 99")]


def test_bad_files_name_the_file_and_key(tmp_path, capsys) -> None:
    good = _stats(11, 50, 4)
    np.savez(tmp_path / "good.npz", mu=good.mu, sigma=good.sigma)
    for name, expected in _bad_files(tmp_path):
        with pytest.raises(FeatureError, match=re.escape(expected)) as raised:
            load_statistics(tmp_path / name)
        assert name in str(raised.value)
        code, _, err = _run(capsys, "score", "images", "--gen", str(tmp_path / "good.npz"), "--ref",
                            str(tmp_path / name))
        assert code == 2 and name in err and expected in err
    assert zipfile.is_zipfile(tmp_path / "good.npz")


# --- one statistics file and one folder of images ------------------------------------------------------

@pytest.fixture
def image_folder(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(folder / f"img{i}.png")
    return folder


def _toy_reference(tmp_path, **record) -> tuple:
    from metrics.extractors.toy import ToyImageExtractor

    extractor = ToyImageExtractor(resize="tf-bilinear")
    stats = _stats(12, 200, extractor.identity.feature_dim)
    path = save_statistics(tmp_path / "ref.npz", stats, **{
        "extractor": "toy", "weights_sha256": extractor.identity.weights_sha256, "resize": "tf-bilinear",
        "extractor_canonical": False, "input_convention": extractor.identity.input_convention, **record})
    return path, stats


def test_folder_against_recorded_file_uses_the_recorded_extractor(tmp_path, image_folder, capsys,
                                                                  isolated_weights) -> None:
    path, _ = _toy_reference(tmp_path)
    code, out, err = _run(capsys, "score", "images", "--gen", str(image_folder), "--ref", str(path), "--json")
    assert code == 0, err  # no --extractor: the file says toy, so no Inception weights are looked up
    prov = out["provenance"]["fid"]["provenance"]
    assert prov["extractor"] == "toy" and prov["n_reference"] == 200 and prov["n_samples"] == 6
    assert out["metrics"]["kid_mean"] is None and "ref.npz" in out["provenance"]["kid_mean"]["unavailable_reason"]


def test_folder_against_file_of_another_extractor_is_refused(tmp_path, image_folder, capsys) -> None:
    path, _ = _toy_reference(tmp_path, extractor="inception-2015-12-05")
    code, _, err = _run(capsys, "score", "images", "--gen", str(image_folder), "--ref", str(path), "--extractor",
                        "toy")
    assert code == 2 and "ref.npz" in err and "'inception-2015-12-05'" in err and "'toy'" in err
    assert str(image_folder) in err
    path, _ = _toy_reference(tmp_path, weights_sha256="c" * 64)  # same name, other weights
    code, _, err = _run(capsys, "score", "images", "--gen", str(image_folder), "--ref", str(path))
    assert code == 2 and "weights_sha256" in err and "c" * 64 in err


def test_folder_against_plain_file_needs_extractor_and_matching_dims(tmp_path, image_folder, capsys) -> None:
    plain = _stats(13, 300, 256)
    np.savez(tmp_path / "plain256.npz", mu=plain.mu, sigma=plain.sigma)
    code, _, err = _run(capsys, "score", "images", "--gen", str(image_folder), "--ref",
                        str(tmp_path / "plain256.npz"))
    assert code == 2 and "plain256.npz" in err and "--extractor" in err
    code, _, err = _run(capsys, "score", "images", "--gen", str(image_folder), "--ref",
                        str(tmp_path / "plain256.npz"), "--extractor", "toy")
    assert code == 2 and "plain256.npz" in err and "256-d" in err and "'toy'" in err and "64-d" in err
    plain64 = _stats(14, 300, 64)
    np.savez(tmp_path / "plain64.npz", mu=plain64.mu, sigma=plain64.sigma)
    code, out, err = _run(capsys, "score", "images", "--gen", str(image_folder), "--ref",
                          str(tmp_path / "plain64.npz"), "--extractor", "toy", "--json",
                          "--save-ref-stats", str(tmp_path / "copy.npz"))
    assert code == 0, err
    warnings = out["provenance"]["fid"]["provenance"]["warnings"]
    assert any("plain64.npz has no record" in w for w in warnings) and "plain64.npz has no record" in err
    assert load_statistics(tmp_path / "copy.npz").extractor is None  # never relabelled as toy


# --- --save-ref-stats: the output path is checked before anything is computed -----------------------------

def _file_and_under_it(tmp_path):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me", encoding="utf-8")
    return existing, [(tmp_path, f"--save-ref-stats {tmp_path} is a folder; expected the path of a file"),
                      (existing / "ref.npz", f"--save-ref-stats {existing / 'ref.npz'}: {existing} is a file")]


def test_save_ref_stats_to_a_folder_or_under_a_file_is_refused_before_any_features(tmp_path, image_folder, capsys,
                                                                                   monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a feature extractor was built before --save-ref-stats was checked")

    monkeypatch.setattr("metrics.extractors.registry.build_extractor", refuse)
    existing, cases = _file_and_under_it(tmp_path)
    for target, expected in cases:
        code, out, err = _run(capsys, "score", "images", "--gen", str(image_folder), "--ref", str(image_folder),
                              "--extractor", "toy", "--save-ref-stats", str(target))
        assert code == 2 and out == "" and expected in err, err
        assert "Traceback" not in err
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_save_ref_stats_from_two_statistics_files_is_checked_first(tmp_path, capsys, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("statistics were read before --save-ref-stats was checked")

    for name in ("gen", "ref"):
        save_statistics(tmp_path / f"{name}.npz", _stats(17, 40, 8), **TOY_RECORD)
    monkeypatch.setattr("metrics.statistics_file.load_statistics", refuse)
    _, cases = _file_and_under_it(tmp_path)
    for target, expected in cases:
        code, _, err = _run(capsys, "score", "images", "--gen", str(tmp_path / "gen.npz"), "--ref",
                            str(tmp_path / "ref.npz"), "--save-ref-stats", str(target))
        assert code == 2 and expected in err, err


def test_save_ref_stats_replaces_an_existing_file_and_makes_missing_folders(tmp_path, image_folder, capsys) -> None:
    existing = tmp_path / "old.npz"
    existing.write_bytes(b"an older file")
    for target in (existing, tmp_path / "new" / "deeper" / "ref.npz"):
        code, _, err = _run(capsys, "score", "images", "--gen", str(image_folder), "--ref", str(image_folder),
                            "--extractor", "toy", "--save-ref-stats", str(target))
        assert code == 0, err
        assert load_statistics(target).extractor == "toy"


def test_save_statistics_names_a_path_it_cannot_write(tmp_path) -> None:
    from nextgpt.core.errors import ConfigError

    existing = tmp_path / "notes.txt"
    existing.write_text("keep me", encoding="utf-8")
    for target, expected in ((tmp_path, f"statistics file {tmp_path} is a folder"),
                             (existing / "s.npz", f"statistics file {existing / 's.npz'}: {existing} is a file")):
        with pytest.raises(ConfigError, match=re.escape(expected)):
            save_statistics(target, _stats(18, 20, 4), **TOY_RECORD)
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_unknown_provenance_warning_is_logged(tmp_path, caplog) -> None:
    a, b = _stats(15, 50, 8), _stats(16, 50, 8)
    np.savez(tmp_path / "a.npz", mu=a.mu, sigma=a.sigma)
    save_statistics(tmp_path / "b.npz", b, **TOY_RECORD)
    with caplog.at_level(logging.WARNING, logger="metrics"):
        result = frechet_from_statistics_files(load_statistics(tmp_path / "a.npz"), load_statistics(tmp_path / "b.npz"))
    assert result.provenance.extractor == "unknown" and result.provenance.n_reference == 50
    assert "a.npz has no record" in caplog.text and "b.npz has no record" not in caplog.text
