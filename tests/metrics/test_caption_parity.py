"""BLEU-1..4, ROUGE-L, CIDEr-D (and METEOR with Java) equal pycocoevalcap; sacreBLEU equals sacrebleu."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import sacrebleu
from metric_test_helpers import needs_java
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge

from metrics.captions.corpus import build_corpus
from metrics.captions.ptb_tokenizer import PythonPTBTokenizer
from metrics.captions.suite import score_captions


def _coco_reference_tokens(predictions, references):
    """pycocoevalcap's own PTB tokenisation when Java exists, else ours (checked against Java elsewhere)."""
    gts = {k: [{"caption": c} for c in v] for k, v in references.items()}
    res = {k: [{"caption": predictions[k]}] for k in references}
    if shutil.which("java"):
        from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

        tokenizer = PTBTokenizer()
        return tokenizer.tokenize(gts), tokenizer.tokenize(res)
    tok = PythonPTBTokenizer()
    return ({k: tok.tokenize([c["caption"] for c in v]) for k, v in gts.items()},
            {k: tok.tokenize([c["caption"] for c in v]) for k, v in res.items()})


def test_bleu_rouge_cider_equal_pycocoevalcap(caption_corpus) -> None:
    predictions, references = caption_corpus
    gts, res = _coco_reference_tokens(predictions, references)
    ours = score_captions(predictions, references, metrics=("bleu1", "bleu2", "bleu3", "bleu4", "rouge_l",
                                                            "cider"))
    bleu, bleu_per_image = Bleu(4).compute_score(gts, res, verbose=0)
    for k in range(4):
        assert ours.results[f"bleu{k + 1}"].value == pytest.approx(bleu[k], abs=1e-6)
        np.testing.assert_allclose(ours.per_sample[f"bleu{k + 1}"], bleu_per_image[k], atol=1e-6)
    rouge, rouge_per_image = Rouge().compute_score(gts, res)
    assert ours.results["rouge_l"].value == pytest.approx(rouge, abs=1e-6)
    np.testing.assert_allclose(ours.per_sample["rouge_l"], rouge_per_image, atol=1e-6)
    cider, cider_per_image = Cider().compute_score(gts, res)
    assert ours.results["cider"].value == pytest.approx(cider, abs=1e-6)
    np.testing.assert_allclose(ours.per_sample["cider"], cider_per_image, atol=1e-6)


def test_tokenised_corpus_equals_pycocoevalcap_tokenizer(caption_corpus) -> None:
    predictions, references = caption_corpus
    gts, res = _coco_reference_tokens(predictions, references)
    corpus = build_corpus(predictions, references)
    assert [list(r) for r in corpus.references] == [gts[k] for k in corpus.ids]
    assert list(corpus.predictions) == [res[k][0] for k in corpus.ids]


@needs_java
@pytest.mark.slow
def test_meteor_equals_pycocoevalcap(caption_corpus) -> None:
    from pycocoevalcap.meteor.meteor import Meteor

    predictions, references = caption_corpus
    references = dict(list(references.items())[:25])  # each METEOR jar start costs seconds
    predictions = {k: predictions[k] for k in references}
    gts, res = _coco_reference_tokens(predictions, references)
    ours = score_captions(predictions, references, metrics=("meteor",))
    meteor, _ = Meteor().compute_score(gts, res)
    assert ours.results["meteor"].available
    assert ours.results["meteor"].value == pytest.approx(meteor, abs=1e-6)


def test_meteor_without_java_is_unavailable_not_zero(caption_corpus, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    predictions, references = caption_corpus
    result = score_captions(predictions, references, metrics=("meteor",)).results["meteor"]
    assert not result.available and np.isnan(result.value)
    assert "java" in (result.unavailable_reason or "")
    assert score_captions(predictions, references, metrics=("meteor",)).to_json()["metrics"]["meteor"] is None


def test_sacrebleu_equals_package(caption_corpus) -> None:
    predictions, references = caption_corpus
    refs3 = {k: (v * 3)[:3] for k, v in references.items()}  # equal reference counts for the direct call
    ours = score_captions(predictions, refs3, metrics=("sacrebleu",)).results["sacrebleu"]
    keys = list(refs3)
    expected = sacrebleu.corpus_bleu([predictions[k] for k in keys], [[refs3[k][j] for k in keys]
                                                                       for j in range(3)])
    assert ours.value == pytest.approx(expected.score, abs=1e-9)
    assert ours.provenance.tokenizer == "sacrebleu-13a"
    assert "13a" in dict(ours.provenance.settings)["signature"]
