"""The pure-Python PTB tokenizer equals pycocoevalcap's Java tokenizer, token for token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from metric_test_helpers import needs_java

from metrics.captions.ptb_tokenizer import JavaPTBTokenizer, PythonPTBTokenizer, coco_tokenize

REFERENCE = json.loads((Path(__file__).parent / "data" / "ptb_reference.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("document", range(len(REFERENCE["documents"])))
def test_python_tokenizer_matches_stored_java_output(document: int) -> None:
    doc = REFERENCE["documents"][document]
    assert PythonPTBTokenizer().tokenize(doc["captions"]) == doc["java_tokens"]


@needs_java
def test_python_tokenizer_matches_live_java_jar() -> None:
    captions = [c for doc in REFERENCE["documents"][:5] for c in doc["captions"]]
    assert PythonPTBTokenizer().tokenize(captions) == JavaPTBTokenizer().tokenize(captions)


def test_known_quirks_are_kept() -> None:
    # brackets survive as -lrb-/-rrb- (pycocoevalcap's punctuation list is upper-case)
    assert coco_tokenize("A dog (brown) runs.") == "a dog -lrb- brown -rrb- runs"
    assert coco_tokenize("Don't \"stop\", it's fine...") == "do n't stop it 's fine"
    assert coco_tokenize("He lives in the U.S. Then left") == "he lives in the u.s. then left"
