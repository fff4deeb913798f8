"""ptb-python equals pycocoevalcap's Java PTB tokenizer on text that language models write, and so do the scores.

The committed corpus (``data/ptb_unicode_corpus.json``, made by ``data/make_ptb_unicode_corpus.py``) holds the Java
output, so the comparison runs everywhere; where Java is installed the jar is run live as well.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import shutil
import sys
from pathlib import Path

import pytest
from metric_test_helpers import needs_java

import metrics.captions.ptb_tokenizer as ptb
from benchmarks.cli import main
from metrics.captions.ptb_tokenizer import JavaPTBTokenizer, PythonPTBTokenizer, coco_tokenize

DATA = Path(__file__).parent / "data"
CORPUS = json.loads((DATA / "ptb_unicode_corpus.json").read_text(encoding="utf-8"))
INPUTS = [entry["input"] for entry in CORPUS["strings"]]
CURLY = json.loads((DATA / "ptb_curly_captions.json").read_text(encoding="utf-8"))
REFERENCE = json.loads((DATA / "ptb_reference.json").read_text(encoding="utf-8"))

# Classes the corpus must cover (issue 11), and strings that showed the Python/Java differences.
REQUIRED_CLASSES = {
    "curly_apostrophe", "ascii_apostrophe", "quotes", "dashes", "ellipsis", "fractions", "super_subscripts",
    "currency", "emoji", "other_symbols", "unicode_spaces", "combining_marks", "latin_greek_cyrillic",
    "cjk_and_scripts", "line_breaks", "model_captions", "plain_ascii",
}
REQUIRED_PROBES = ["The dog’s ball is red.", "The sign reads «Bienvenue» in French.",
                   "A ‹small› note and a «big» note.", "Add ½ cup of sugar.", "An area of 20 m² and 5 m³.",
                   "A happy dog 😀 in the park.", "rock 'n' roll", "It weighs 3\u00a01/2 pounds.",
                   "About ⅓ of the cake and ⅔ of the pie."]


def _differences(got: list[str]) -> list[str]:
    return [f"[{entry['class']}] {entry['input']!r}: java {entry['java']!r}, got {tokens!r}"
            for entry, tokens in zip(CORPUS["strings"], got, strict=True) if tokens != entry["java"]]


def test_corpus_is_large_and_covers_the_classes() -> None:
    declared: dict[str, int] = CORPUS["classes"]
    counts = {name: sum(e["class"] == name for e in CORPUS["strings"]) for name in declared}
    assert counts == declared
    assert len(INPUTS) >= 300 and len(set(INPUTS)) == len(INPUTS)
    covered = {name for name, n in counts.items() if n >= 5}
    assert covered >= REQUIRED_CLASSES
    assert set(REQUIRED_PROBES) <= set(INPUTS)
    non_ascii = {char for text in INPUTS for char in text if ord(char) > 127}
    assert len(non_ascii) >= 250  # many distinct Unicode characters, not a handful repeated


def test_python_tokenizer_equals_stored_java_output() -> None:
    """One batch in corpus order, as pycocoevalcap tokenises (the lexer looks at the next caption)."""
    differences = _differences(PythonPTBTokenizer().tokenize(INPUTS))
    assert not differences, f"{len(differences)} of {len(INPUTS)} differ:\n" + "\n".join(differences[:40])


def test_the_issue_examples() -> None:
    assert coco_tokenize("The dog’s ball") == "the dog 's ball"
    assert coco_tokenize("I don’t know") == "i do n't know"
    assert coco_tokenize("«Bonjour» ‹a›") == "bonjour a"
    assert coco_tokenize("½ ¼ ¾ ⅓ cup") == "1/2 1/4 3/4 1/3 cup"
    assert coco_tokenize("x² m³") == "x ² m ³"
    assert coco_tokenize("cat 😀 dog🐶s") == "cat dog s"
    assert coco_tokenize("rock 'n' roll") == "rock 'n' roll"
    assert coco_tokenize("3\u00a01/2 cups") == "3\u00a01/2 cups"
    assert coco_tokenize("3 1/2 cups") == "3\u00a01/2 cups"


def test_next_caption_decides_a_final_initial() -> None:
    """The jar reads all captions as one file: "John F." keeps its period unless a sentence starts next."""
    assert PythonPTBTokenizer().tokenize(["Photo by John F.", "The dog runs."])[0] == "photo by john f"
    assert PythonPTBTokenizer().tokenize(["Photo by John F.", "a dog runs."])[0] == "photo by john f."
    assert PythonPTBTokenizer().tokenize(["Photo by John F."]) == ["photo by john f."]


def test_line_breaks_inside_a_caption_do_not_shift_the_others() -> None:
    captions = ["a dog\rruns", "a cat\u2028sleeps", "a bird\r\nsings", "a fish"]
    assert PythonPTBTokenizer().tokenize(captions) == ["a dog runs", "a cat sleeps", "a bird sings", "a fish"]


def test_fast_paths_equal_the_full_lexer(monkeypatch) -> None:
    """The shortcuts for plain words and punctuation must not change any token: on the corpora and on seeded
    random strings built from pieces where a shortcut could end a token too early ('. . .', '3 1/2', "n't")."""
    pieces = ["a", "ab", "Mr", "No", "1", "12", "2.5", ".", " ", " ", ". . .", "...", ",", "?!", ";", ":", "'s",
              "’s", "n't", "n’t", "-", "3 1/2", "/", "x-y", "U.S.", "é", "😀", "(", "\u00a0", "\u2009"]
    rng = random.Random(0)
    captions = INPUTS + [c for doc in REFERENCE["documents"] for c in doc["captions"]] + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))) for _ in range(3000)]
    fast = PythonPTBTokenizer().tokenize(captions)
    never = re.compile("(?!)")
    monkeypatch.setattr(ptb, "_FAST", never)
    monkeypatch.setattr(ptb, "_CANDIDATES", {})
    monkeypatch.setattr(ptb, "_COMBINED", {})
    original = ptb._combine
    monkeypatch.setattr(ptb, "_combine", lambda rules: dataclasses.replace(original(rules), single_character=False))
    assert PythonPTBTokenizer().tokenize(captions) == fast


@needs_java
def test_python_tokenizer_equals_live_java_jar() -> None:
    java = JavaPTBTokenizer().tokenize(INPUTS)
    assert java == [entry["java"] for entry in CORPUS["strings"]], "the stored corpus is stale: regenerate it"
    assert PythonPTBTokenizer().tokenize(INPUTS) == java


def test_default_tokenizer_is_python_because_it_equals_java() -> None:
    """ptb-python may be the default only while it equals the jar on the whole corpus (checked above and here);
    otherwise ptb-java must be the default where Java is installed."""
    from metrics.captions.corpus import build_corpus
    from metrics.defaults import DEFAULT_CAPTION_TOKENIZER

    equal = not _differences(PythonPTBTokenizer().tokenize(INPUTS))
    expected = "ptb-python" if equal or shutil.which("java") is None else "ptb-java"
    assert expected == DEFAULT_CAPTION_TOKENIZER
    assert build_corpus({"1": "a dog’s ball"}, {"1": ["a dog's ball"]}).tokenizer == PythonPTBTokenizer.name
    parser = _cli_parser()
    args = parser.parse_args(["score", "captions", "--pred", "p.json", "--refs", "r.json"])
    assert args.tokenizer == expected


def _cli_parser():  # type: ignore[no-untyped-def]
    import argparse

    from benchmarks.cli.metric_commands import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser


# --- end to end: `nextgpt-bench score captions` == pycocoevalcap ------------------------------------------------

def _pycocoevalcap_scores(gts: dict[str, list[str]], res: dict[str, list[str]]) -> dict[str, float]:
    """BLEU-1..4, ROUGE-L and CIDEr-D from pycocoevalcap's own scorers on tokenised captions."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)
    return {"bleu1": bleu[0], "bleu2": bleu[1], "bleu3": bleu[2], "bleu4": bleu[3], "rouge_l": rouge,
            "cider": cider}


def _score_with_cli(tmp_path: Path, capsys, monkeypatch) -> dict:  # type: ignore[no-untyped-def]
    (tmp_path / "pred.json").write_text(json.dumps(CURLY["predictions"], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "refs.json").write_text(json.dumps(CURLY["references"], ensure_ascii=False), encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(shutil, "which", lambda name: None)  # METEOR is not compared here; skip its Java start
        code = main(["score", "captions", "--pred", str(tmp_path / "pred.json"), "--refs",
                     str(tmp_path / "refs.json"), "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    return json.loads(out)


def test_cli_scores_on_curly_apostrophes_equal_pycocoevalcap(tmp_path, capsys, monkeypatch) -> None:
    """Against pycocoevalcap's scorers fed with its own (stored) Java tokenisation."""
    out = _score_with_cli(tmp_path, capsys, monkeypatch)
    expected = _pycocoevalcap_scores(CURLY["pycocoevalcap_gts"], CURLY["pycocoevalcap_res"])
    for name, value in expected.items():
        assert out["metrics"][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
        assert out["provenance"][name]["provenance"]["tokenizer"] == "ptb-python"
    # every prediction equals one reference but for ’: a perfect BLEU-4 (the issue measured 0.0)
    assert out["metrics"]["bleu4"] == pytest.approx(1.0)


@needs_java
def test_cli_scores_on_curly_apostrophes_equal_live_pycocoevalcap(tmp_path, capsys, monkeypatch) -> None:
    """pycocoevalcap end to end: its PTBTokenizer (the jar) and its scorers."""
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    gts = PTBTokenizer().tokenize({k: [{"caption": c} for c in v] for k, v in CURLY["references"].items()})
    res = PTBTokenizer().tokenize({k: [{"caption": c}] for k, c in CURLY["predictions"].items()})
    assert (gts, res) == (CURLY["pycocoevalcap_gts"], CURLY["pycocoevalcap_res"]), "stale fixture: regenerate"
    out = _score_with_cli(tmp_path, capsys, monkeypatch)
    for name, value in _pycocoevalcap_scores(gts, res).items():
        assert out["metrics"][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


@needs_java
def test_java_tokenizer_names_itself_in_provenance() -> None:
    from metrics.captions.suite import score_captions

    scores = score_captions(CURLY["predictions"], CURLY["references"], tokenizer="ptb-java", metrics=("bleu4",))
    assert scores.results["bleu4"].provenance.tokenizer == "ptb-java-corenlp-3.4.1"
    assert scores.results["bleu4"].value == pytest.approx(1.0)


def test_run_report_shows_the_tokenizer_of_caption_metrics() -> None:
    """The HTML report's metric table names the tokenizer beside each caption metric (a BLEU from another
    tokenizer is a different number), not only in the collapsed provenance JSON."""
    import benchmarks.tasks.builtin  # noqa: F401  (registers caption-image)
    from benchmarks.store import StoredMetric
    from metrics.captions.suite import score_captions
    from reports.run_report import _metric_tables
    from reports.rundata import RunData

    results = score_captions(CURLY["predictions"], CURLY["references"], metrics=("bleu4", "sacrebleu")).results
    n = len(CURLY["predictions"])
    records = {("caption-image", name): StoredMetric("caption-image", result, n) for name, result in results.items()}
    html = _metric_tables(RunData("run", {"settings": {}}, records, {}, {}, {}, "test"))
    assert "bleu4 <span class=\"small\">tokenizer: ptb-python</span>" in html
    assert "sacrebleu <span class=\"small\">tokenizer: sacrebleu-13a</span>" in html


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
