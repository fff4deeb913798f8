"""Caption files: a JSON object with a repeated id is refused like repeated JSONL predictions (the last caption
won silently); CIDEr-D over too few images says so in its provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.captions.caption_files import load_captions, load_predictions
from metrics.captions.cider import CIDER_MIN_IMAGES
from metrics.captions.suite import score_captions
from metrics.errors import CaptionInputError


def test_repeated_id_in_json_predictions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pred.json"
    path.write_text('{"7": "a cat", "8": "a bird", "7": "a dog"}', encoding="utf-8")
    with pytest.raises(CaptionInputError, match=r"pred.json: the id\(s\) or field\(s\) '7' appear more than once"):
        load_predictions(path)


def test_repeated_id_in_json_references_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "refs.json"
    path.write_text('{"1": ["a"], "2": ["b"], "1": ["c"], "2": ["d"]}', encoding="utf-8")
    with pytest.raises(CaptionInputError, match=r"'1', '2' appear more than once"):
        load_captions(path)


def test_repeated_jsonl_predictions_are_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_text('{"id": 7, "caption": "a cat"}\n{"id": 7, "caption": "a dog"}\n', encoding="utf-8")
    with pytest.raises(CaptionInputError, match="id '7' has 2 predictions"):
        load_predictions(path)
    path.write_text('{"id": 7, "caption": "a cat", "caption": "a dog"}\n', encoding="utf-8")
    with pytest.raises(CaptionInputError, match=r"line 1: the id\(s\) or field\(s\) 'caption' appear more than once"):
        load_predictions(path)


def test_distinct_ids_still_load(tmp_path: Path) -> None:
    path = tmp_path / "refs.json"
    path.write_text('{"1": ["a", "b"], "2": "c"}', encoding="utf-8")
    assert load_captions(path) == {"1": ["a", "b"], "2": ["c"]}


def _cider(n: int) -> tuple[float, tuple[str, ...]]:
    captions = {str(i): f"a {colour} square on a white background"
                for i, colour in enumerate(["red", "green", "blue", "yellow", "purple", "orange"] * 3)}
    ids = list(captions)[:n]
    result = score_captions({i: captions[i] for i in ids}, {i: [captions[i]] for i in ids},
                            metrics=("cider",)).results["cider"]
    return result.value, result.provenance.warnings


def test_single_sample_cider_warns_that_it_is_zero() -> None:
    value, warnings = _cider(1)
    assert value == 0.0  # a perfect match: idf log(1/1) = 0 for every n-gram
    assert len(warnings) == 1 and "CIDEr-D over 1 image is 0 for any caption, a perfect match included" in warnings[0]


def test_small_corpus_cider_warns_and_a_corpus_does_not() -> None:
    assert any("only 5 images" in w for w in _cider(5)[1])
    assert _cider(CIDER_MIN_IMAGES)[1] == ()
