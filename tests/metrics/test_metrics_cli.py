"""`nextgpt-bench score ...` / `weights ...` end to end, offline, with toy extractors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile
from PIL import Image

from benchmarks.cli import main


def _run(capsys, *argv: str) -> tuple[int, dict | str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except json.JSONDecodeError:
        return code, out, err


@pytest.fixture
def image_folders(tmp_path):
    rng = np.random.default_rng(0)
    for name, shift in (("gen", 40), ("ref", 0)):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(12):
            pixels = np.clip(rng.normal(128 + shift, 40, size=(24, 24, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"img{i}.png")
    (tmp_path / "prompts.json").write_text(json.dumps({f"img{i}": f"a photo number {i}" for i in range(12)}))
    return tmp_path


def test_score_captions_json(tmp_path, capsys, monkeypatch, caption_corpus) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)  # METEOR path without Java: unavailable
    predictions, references = caption_corpus
    (tmp_path / "pred.json").write_text(json.dumps(predictions))
    (tmp_path / "refs.jsonl").write_text("\n".join(json.dumps({"image_id": k, "caption": c})
                                                   for k, v in references.items() for c in v))
    code, out, _ = _run(capsys, "score", "captions", "--pred", str(tmp_path / "pred.json"), "--refs",
                        str(tmp_path / "refs.jsonl"), "--json")
    assert code == 0
    assert set(out["metrics"]) == {"bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider", "sacrebleu"}
    assert out["metrics"]["meteor"] is None and out["provenance"]["meteor"]["available"] is False
    from metrics.captions.suite import score_captions

    direct = score_captions(predictions, references, metrics=("cider",)).results["cider"].value
    assert out["metrics"]["cider"] == pytest.approx(direct)
    assert out["provenance"]["cider"]["provenance"]["tokenizer"] == "ptb-python"


def test_score_captions_missing_ids_and_empty_caption(tmp_path, capsys) -> None:
    (tmp_path / "pred.json").write_text(json.dumps({"1": "a dog", "2": "a cat"}))
    (tmp_path / "refs.json").write_text(json.dumps({"1": ["a dog runs"], "3": ["a bird"]}))
    code, _, err = _run(capsys, "score", "captions", "--pred", str(tmp_path / "pred.json"), "--refs",
                        str(tmp_path / "refs.json"))
    assert code == 2 and "no prediction" in err and "'3'" in err and "no references" in err
    (tmp_path / "pred2.json").write_text(json.dumps({"1": "  ", "3": "a bird"}))
    code, _, err = _run(capsys, "score", "captions", "--pred", str(tmp_path / "pred2.json"), "--refs",
                        str(tmp_path / "refs.json"))
    assert code == 2 and "empty" in err and "'1'" in err
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = _run(capsys, "score", "captions", "--pred", str(tmp_path / "bad.json"), "--refs",
                        str(tmp_path / "refs.json"))
    assert code == 2 and "bad.json" in err


def test_score_images_toy_fid_kid_clip_and_npz(image_folders, capsys) -> None:
    base = ["score", "images", "--gen", str(image_folders / "gen"), "--extractor", "toy", "--kid-subsets", "3",
            "--kid-subset-size", "6", "--json"]
    code, out, _ = _run(capsys, *base, "--ref", str(image_folders / "ref"), "--prompts",
                        str(image_folders / "prompts.json"), "--clip-model", "toy-clip", "--save-ref-stats",
                        str(image_folders / "ref.npz"))
    assert code == 0
    metrics = out["metrics"]
    assert metrics["fid[toy]"] == metrics["fid"] > 0 and "kid_mean" in metrics and "kid_std" in metrics
    assert metrics["clip_score[toy-clip]"] == metrics["clip_score"] >= 0
    assert out["provenance"]["fid"]["provenance"]["extractor_canonical"] is False
    assert any("rank" in w for w in out["provenance"]["fid"]["provenance"]["warnings"])
    code, from_npz, _ = _run(capsys, *base, "--ref", str(image_folders / "ref.npz"))
    assert code == 0 and from_npz["metrics"]["fid"] == pytest.approx(metrics["fid"], rel=1e-9)
    assert from_npz["metrics"]["kid_mean"] is None  # a .npz has no features: unavailable, not zero


def test_score_images_canonical_without_weights_names_the_file(image_folders, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("NEXTGPT_BENCH_WEIGHTS", raising=False)
    code, _, err = _run(capsys, "score", "images", "--gen", str(image_folders / "gen"), "--ref",
                        str(image_folders / "ref"))
    assert code == 2 and "pt_inception-2015-12-05-6726825d.pth" in err


def test_score_audio_toy_fad(tmp_path, capsys) -> None:
    rng = np.random.default_rng(1)
    for name, freq in (("gen", 330), ("ref", 440)):
        (tmp_path / name).mkdir()
        for i in range(3):
            t = np.arange(int(16000 * 2.0)) / 16000
            wave = 0.3 * np.sin(2 * np.pi * (freq + 20 * i) * t) + 0.01 * rng.normal(size=t.shape)
            soundfile.write(tmp_path / name / f"clip{i}.wav", wave, 16000)
    code, out, _ = _run(capsys, "score", "audio", "--gen", str(tmp_path / "gen"), "--ref", str(tmp_path / "ref"),
                        "--extractor", "toy-audio", "--json")
    assert code == 0 and out["metrics"]["fad[toy-audio]"] == out["metrics"]["fad"] > 0
    soundfile.write(tmp_path / "gen" / "clip_44k.wav", np.zeros(44100), 44100)
    code, _, err = _run(capsys, "score", "audio", "--gen", str(tmp_path / "gen"), "--ref", str(tmp_path / "ref"),
                        "--extractor", "toy-audio")
    assert code == 2 and "clip_44k.wav" in err and "44100" in err


def test_score_video_toy_clipsim(tmp_path, capsys) -> None:
    rng = np.random.default_rng(2)
    for v in range(2):
        folder = tmp_path / "videos" / f"vid{v}"
        folder.mkdir(parents=True)
        for f in range(4):
            Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(folder / f"{f:03d}.png")
    (tmp_path / "prompts.json").write_text(json.dumps({"vid0": "a dog", "vid1": "a cat"}))
    code, out, _ = _run(capsys, "score", "video", "--gen", str(tmp_path / "videos"), "--prompts",
                        str(tmp_path / "prompts.json"), "--clip-model", "toy-clip", "--json", "--bootstrap", "20")
    assert code == 0 and out["metrics"]["clipsim"] >= 0 and out["provenance"]["clipsim"]["ci"]["n_resamples"] == 20


def test_weights_list_and_fetch_errors(capsys) -> None:
    code, rows, _ = _run(capsys, "weights", "list", "--json")
    assert code == 0
    names = {row["name"]: row for row in rows}
    assert names["inception-2015-12-05"]["sha256"].startswith("6726825d")
    assert names["vggish"]["file"] == "vggish-10086976.pth"
    code, _, err = _run(capsys, "weights", "fetch", "toy")
    assert code == 2 and "nothing to fetch" in err
    code, _, err = _run(capsys, "weights", "fetch", "no-such-net")
    assert code == 2 and "unknown feature extractor" in err


def test_score_images_small_sets_clamp_kid_subset_size_and_keep_fid(tmp_path, capsys) -> None:
    """20 images per side with the default --kid-subset-size 1000: FID and KID both reported, KID at 20."""
    rng = np.random.default_rng(5)
    for name, shift in (("gen", 30), ("ref", 0)):
        (tmp_path / name).mkdir()
        for i in range(20):
            pixels = np.clip(rng.normal(128 + shift, 40, size=(16, 16, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / name / f"img{i}.png")
    code, out, err = _run(capsys, "score", "images", "--gen", str(tmp_path / "gen"), "--ref", str(tmp_path / "ref"),
                          "--extractor", "toy", "--kid-subsets", "10", "--json")
    assert code == 0, err
    assert out["metrics"]["fid[toy]"] > 0
    assert out["metrics"]["kid_mean[toy]"] is not None and np.isfinite(out["metrics"]["kid_mean"])
    kid = out["provenance"]["kid_mean"]["provenance"]
    assert kid["settings"]["subset_size"] == 20 and kid["n_samples"] == kid["n_reference"] == 20
    clamp = [w for w in kid["warnings"] if "clamped to 20" in w]
    assert len(clamp) == 1 and "1000" in clamp[0] and "clamped to 20" in err


def test_score_audio_clip_shorter_than_one_vggish_frame_names_the_file(tmp_path, capsys) -> None:
    t = np.arange(32000) / 16000
    for name in ("gen", "ref"):
        (tmp_path / name).mkdir()
        soundfile.write(tmp_path / name / "long.wav", 0.3 * np.sin(2 * np.pi * 440 * t), 16000)
    soundfile.write(tmp_path / "gen" / "short_clip.wav", 0.3 * np.sin(2 * np.pi * 440 * t[:8000]), 16000)  # 0.5 s
    code, _, err = _run(capsys, "score", "audio", "--gen", str(tmp_path / "gen"), "--ref", str(tmp_path / "ref"),
                        "--extractor", "toy-audio")
    assert code == 2 and "short_clip.wav" in err and "0.96 s" in err and "0.500 s" in err


def test_score_images_bootstrap_gives_fid_and_kid_jackknife_intervals(image_folders, capsys) -> None:
    """--bootstrap turns on the set metrics' intervals: FID and KID get the jackknife (never a bootstrap, whose
    duplicated samples inflate a distance), each containing its own estimate."""
    code, out, _ = _run(capsys, "score", "images", "--gen", str(image_folders / "gen"), "--ref",
                        str(image_folders / "ref"), "--extractor", "toy", "--kid-subsets", "3", "--kid-subset-size",
                        "6", "--bootstrap", "50", "--jackknife-groups", "4", "--json")
    assert code == 0
    for name in ("fid", "kid_mean"):
        ci = out["provenance"][name]["ci"]
        assert ci["method"].startswith("grouped jackknife") and ci["n_resamples"] == 4
        assert ci["low"] <= out["metrics"][name] <= ci["high"]
    with pytest.raises(SystemExit) as exit_info:
        main(["score", "images", "--gen", str(image_folders / "gen"), "--ref", str(image_folders / "ref"),
              "--extractor", "toy", "--jackknife-groups", "2"])
    assert exit_info.value.code == 2 and "--jackknife-groups: expected an integer >= 3" in capsys.readouterr().err
