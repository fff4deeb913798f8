"""Every kind of result the library produces survives ``to_dict`` -> JSON -> ``from_dict`` exactly, and a
malformed dict is refused with an error naming the field (the harness's results store relies on both)."""

from __future__ import annotations

import copy
import json
import shutil

import numpy as np
import pytest
import torch

from metrics.captions.bleu import BleuScores, coco_bleu
from metrics.captions.cider import coco_cider_d
from metrics.captions.corpus import build_corpus
from metrics.captions.meteor import coco_meteor
from metrics.captions.rouge import coco_rouge_l
from metrics.captions.sacrebleu_metric import sacrebleu_corpus
from metrics.captions.streaming import CocoBLEU
from metrics.captions.suite import CAPTION_METRICS, score_captions
from metrics.clip_metrics import CLIPSIM, CLIPImageSimilarity, CLIPScore, clip_score
from metrics.errors import CaptionInputError, FeatureError
from metrics.extractors.toy import ToyAudioExtractor, ToyImageExtractor
from metrics.frechet import GaussianStatistics
from metrics.frechet_metrics import FrechetAudioDistance, FrechetInceptionDistance, frechet_from_features
from metrics.kid import KernelInceptionDistance, KIDResult, kernel_inception_distance
from metrics.provenance import ConfidenceInterval, MetricResult, Provenance
from metrics.statistics_file import frechet_from_statistics_files, load_statistics, save_statistics


def _round_trip(result: MetricResult) -> MetricResult:
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)  # strict JSON: no NaN, no numpy, no tuples
    restored = MetricResult.from_dict(json.loads(text))
    assert restored == result and hash(restored) == hash(result)
    assert restored.to_dict() == data
    for name in ("name", "value", "provenance", "ci", "available", "unavailable_reason", "details"):
        mine, theirs = getattr(restored, name), getattr(result, name)
        assert mine == theirs or (name == "value" and np.isnan(mine) and np.isnan(theirs)), name
    assert restored.qualified_name == result.qualified_name
    return restored


@pytest.fixture(scope="module")
def features() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.normal(size=(80, 64)), rng.normal(size=(70, 64)) + 0.2


def test_caption_results_round_trip_and_functional_forms_equal_the_suite(caption_corpus) -> None:
    predictions, references = caption_corpus
    scores = score_captions(predictions, references, metrics=tuple(m for m in CAPTION_METRICS if m != "meteor"))
    for result in scores.results.values():
        _round_trip(result)
    few = dict(list(references.items())[:4])  # CIDEr-D's small-corpus warning travels too
    small = score_captions({k: predictions[k] for k in few}, few, metrics=("cider",)).results["cider"]
    assert small.provenance.warnings and _round_trip(small).provenance.warnings == small.provenance.warnings

    corpus = build_corpus(predictions, references)
    preds, refs, tok = corpus.predictions, corpus.references, corpus.tokenizer
    bleu = coco_bleu(preds, refs, tokenizer=tok)
    assert isinstance(bleu, BleuScores) and list(bleu.to_dict()) == ["bleu1", "bleu2", "bleu3", "bleu4"]
    assert bleu.results() == tuple(scores.results[f"bleu{k}"] for k in range(1, 5))
    assert BleuScores.from_dict(json.loads(json.dumps(bleu.to_dict()))) == bleu
    assert coco_cider_d(preds, refs, tokenizer=tok) == scores.results["cider"]
    assert coco_rouge_l(preds, refs, tokenizer=tok) == scores.results["rouge_l"]
    assert sacrebleu_corpus(corpus.raw_predictions, corpus.raw_references) == scores.results["sacrebleu"]
    with pytest.raises(CaptionInputError, match="coco_cider_d: 2 predictions but 1 reference lists"):
        coco_cider_d(preds[:2], refs[:1])


def test_caption_intervals_and_streamed_bleu_round_trip(caption_corpus) -> None:
    predictions, references = caption_corpus
    scores = score_captions(predictions, references, metrics=("bleu4", "rouge_l", "sacrebleu"), bootstrap=20, seed=4)
    for result in scores.results.values():
        assert result.ci is not None and _round_trip(result).ci == result.ci
    ids = sorted(references)
    streamed = CocoBLEU()
    for half in (ids[:50], ids[50:]):
        streamed.update([predictions[i] for i in half], [references[i] for i in half])
    bleu = streamed.compute()
    assert isinstance(bleu, BleuScores)
    for result in bleu:
        _round_trip(result)
    # the streamed BLEU has the suite's provenance, so the two are comparable
    suite = score_captions(predictions, dict(sorted(references.items())), metrics=("bleu4",)).results["bleu4"]
    assert bleu.bleu4.provenance == suite.provenance
    assert bleu.bleu4.difference(suite) == pytest.approx(0.0, abs=1e-12)


def test_unavailable_meteor_round_trips_with_its_reason(caption_corpus, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    predictions, references = caption_corpus
    meteor = score_captions(predictions, references, metrics=("meteor",)).results["meteor"]
    assert not meteor.available
    data = meteor.to_dict()
    assert data["value"] is None and data["available"] is False and "java" in data["unavailable_reason"]
    restored = _round_trip(meteor)
    assert not restored.available and np.isnan(restored.value)
    corpus = build_corpus(predictions, references)
    functional = coco_meteor(corpus.predictions, corpus.references, tokenizer=corpus.tokenizer)
    assert functional == meteor  # NaN values of unavailable results compare equal


def test_fid_fad_results_round_trip_with_and_without_interval(features, tmp_path) -> None:
    gen, ref = features
    fid = FrechetInceptionDistance(extractor=ToyImageExtractor())
    fid.update_features(gen, real=False)
    fid.update_features(ref, real=True)
    assert _round_trip(fid.compute()).qualified_name == "fid[toy]"
    fad = FrechetAudioDistance(extractor=ToyAudioExtractor())
    fad.update_features(gen[:, :16], real=False)
    fad.update_features(ref[:, :16], real=True)
    assert dict(_round_trip(fad.compute()).provenance.settings)["frames"] == "0.96 s, 16 kHz mono"

    with_interval = frechet_from_features(gen, ref, extractor="toy", extractor_canonical=False, interval=True,
                                          groups=5, seed=2)
    assert with_interval.ci is not None and "jackknife" in with_interval.ci.method
    assert _round_trip(with_interval).ci == with_interval.ci
    too_few = frechet_from_features(gen[:4], ref, interval=True, groups=5)  # rank and no-interval warnings
    assert too_few.ci is None and len(too_few.provenance.warnings) == 2
    _round_trip(too_few)

    paths = []
    for name, array in (("gen", gen), ("ref", ref)):
        paths.append(tmp_path / f"{name}.npz")
        save_statistics(paths[-1], GaussianStatistics.from_features(array), extractor="toy",
                        extractor_canonical=False)
    _round_trip(frechet_from_statistics_files(load_statistics(paths[0]), load_statistics(paths[1])))


def test_kid_results_round_trip_with_interval_and_clamp_warning(features) -> None:
    gen, ref = features
    kid = KernelInceptionDistance(extractor=ToyImageExtractor(), subsets=4)  # subset size clamped to 70
    kid.update_features(gen, real=False)
    kid.update_features(ref, real=True)
    result = kid.compute(interval_groups=5)
    assert result.kid_mean.ci is not None and any("clamped" in w for w in result.kid_mean.provenance.warnings)
    for member in result:
        _round_trip(member)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert list(data) == ["kid_mean", "kid_std"]
    assert KIDResult.from_dict(data) == result
    functional = kernel_inception_distance(gen, ref, subsets=3, subset_size=20, extractor="toy")
    assert KIDResult.from_dict(functional.to_dict()) == functional
    with pytest.raises(FeatureError, match="KIDResult: missing field"):
        KIDResult.from_dict({"kid_mean": data["kid_mean"]})
    with pytest.raises(FeatureError, match=r"KIDResult\.kid_std: holds the result named 'kid_mean'"):
        KIDResult.from_dict({"kid_mean": data["kid_mean"], "kid_std": data["kid_mean"]})


def test_clip_results_round_trip_with_details_and_bootstrap() -> None:
    torch.manual_seed(0)
    images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8)
    prompts = ["a red dog", "x " * 100, "a cat", "two people on a bench", "sky", "tree"]
    score = CLIPScore(model="toy-clip", keep_per_sample=True)
    score.update(images, prompts)
    result = score.compute(bootstrap=20, seed=1)
    assert result.details["n_truncated"] == 1 and result.ci is not None
    restored = _round_trip(result)
    assert restored.details == result.details == result.to_dict()["details"]
    assert result != MetricResult(result.name, result.value, result.provenance, result.ci,
                                  details={**result.details, "n_truncated": 2})  # details are compared
    clipsim = CLIPSIM(model="toy-clip")
    clipsim.update([images[:3], images[3:]], ["a dog", "a cat"])
    _round_trip(clipsim.compute())
    clip_i = CLIPImageSimilarity(model="toy-clip")
    clip_i.update(images[:3], images[3:])
    _round_trip(clip_i.compute())
    functional = clip_score(torch.randn(5, 8, dtype=torch.float64), torch.randn(5, 8, dtype=torch.float64),
                            extractor="toy-clip")
    assert _round_trip(functional).details == {"n_clamped": functional.details["n_clamped"]}


# --- malformed dicts name the field ------------------------------------------------------------------------
@pytest.fixture
def stored() -> dict:
    prov = Provenance(metric="fid", extractor="toy", n_samples=10, n_reference=12, settings=(("input", "uint8"),),
                      warnings=("few samples",))
    ci = ConfidenceInterval(1.0, 3.0, 0.95, 10, 0, method="grouped jackknife")
    return MetricResult("fid", 2.0, prov, ci, details={"n_clamped": 0}).to_dict()


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("value"), r"MetricResult: missing field\(s\) 'value'"),
    (lambda d: d.update(extra=1), r"MetricResult: unknown field\(s\) 'extra'"),
    (lambda d: d.update(value="2.0"), r"MetricResult.value: expected a finite number, got str '2.0'"),
    (lambda d: d.update(value=None), r"MetricResult.value: expected a finite number, got null"),
    (lambda d: d.update(available="yes"), r"MetricResult.available: expected true or false"),
    (lambda d: d.update(available=False), r"MetricResult.value: an unavailable result stores null"),
    (lambda d: d.update(qualified_name="fid[other]"), r"MetricResult.qualified_name: 'fid\[other\]' does not match"),
    (lambda d: d["provenance"].update(n_samples="10"),
     r"MetricResult.provenance.n_samples: expected an integer or null, got str '10'"),
    (lambda d: d["provenance"].update(n_samples=True), r"MetricResult.provenance.n_samples: expected an integer"),
    (lambda d: d["provenance"].pop("metric_version"), r"MetricResult.provenance: missing field\(s\) 'metric_version'"),
    (lambda d: d["provenance"].update(colour="red"), r"MetricResult.provenance: unknown field\(s\) 'colour'"),
    (lambda d: d["provenance"].update(settings=[["input", "uint8"]]),
     r"MetricResult.provenance.settings: expected a JSON object"),
    (lambda d: d["provenance"]["settings"].update(size=[1, 2]),
     r"MetricResult.provenance.settings.size: expected a JSON scalar"),
    (lambda d: d["provenance"].update(warnings="few samples"),
     r"MetricResult.provenance.warnings: expected a list of strings"),
    (lambda d: d["provenance"]["warnings"].append(3), r"MetricResult.provenance.warnings\[1\]: expected a string"),
    (lambda d: d["ci"].pop("seed"), r"MetricResult.ci: missing field\(s\) 'seed'"),
    (lambda d: d["ci"].update(low=float("inf")), r"MetricResult.ci.low: expected a finite number"),
    (lambda d: d.update(details={"n_clamped": {"a": 1}}), r"MetricResult.details.n_clamped: expected a JSON scalar"),
    (lambda d: d.update(provenance="fid"), r"MetricResult.provenance: expected a JSON object \(dict\), got str"),
])
def test_malformed_dict_is_refused_naming_the_field(stored, change, message) -> None:
    assert MetricResult.from_dict(copy.deepcopy(stored)).to_dict() == stored
    broken = copy.deepcopy(stored)
    change(broken)
    with pytest.raises(FeatureError, match=message):
        MetricResult.from_dict(broken)


def test_unavailable_dict_needs_a_reason_and_no_interval(stored) -> None:
    unavailable = MetricResult.unavailable("meteor", "no java", Provenance(metric="coco-meteor-1.5")).to_dict()
    assert MetricResult.from_dict(unavailable).unavailable_reason == "no java"
    with pytest.raises(FeatureError, match=r"MetricResult\.unavailable_reason: an unavailable result must say why"):
        MetricResult.from_dict({k: v for k, v in unavailable.items() if k != "unavailable_reason"})
    with pytest.raises(FeatureError, match=r"MetricResult\.ci: an unavailable result has no interval"):
        MetricResult.from_dict({**unavailable, "ci": stored["ci"]})
    with pytest.raises(FeatureError, match="an available result has no unavailable_reason"):
        MetricResult.from_dict({**stored, "unavailable_reason": "why"})
    with pytest.raises(FeatureError, match="expected a JSON object"):
        MetricResult.from_dict([stored])


def test_results_that_could_not_round_trip_are_refused_where_they_are_made() -> None:
    prov = Provenance(metric="fid")
    with pytest.raises(FeatureError, match=r"not finite; a metric that cannot be computed is MetricResult\.unav"):
        MetricResult("fid", float("nan"), prov)
    with pytest.raises(FeatureError, match="setting 'size': expected a JSON scalar"):
        Provenance(metric="kid", settings=(("size", (1, 2)),))
    with pytest.raises(FeatureError, match="setting 'degree' is given twice"):
        Provenance(metric="kid", settings=(("degree", 3), ("degree", 2)))
    with pytest.raises(FeatureError, match="field n_samples: expected an integer or null, got int64"):
        Provenance(metric="kid", n_samples=np.int64(3))
    with pytest.raises(FeatureError, match="detail 'n': expected a JSON scalar"):
        MetricResult("clip_score", 1.0, prov, details={"n": np.int64(1)})
    with pytest.raises(FeatureError, match="an unavailable result has value NaN, not 0"):
        MetricResult("meteor", 0.0, prov, available=False, unavailable_reason="no java")
