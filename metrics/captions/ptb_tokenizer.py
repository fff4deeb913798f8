"""PTB tokenisation as pycocoevalcap does it, in pure Python.

pycocoevalcap pipes every caption through Stanford CoreNLP 3.4.1's ``PTBTokenizer -preserveLines -lowerCase``
and then drops the tokens in its ``PUNCTUATIONS`` list. This module re-implements the subset of the PTB lexer
that captions exercise (words, contractions, quotes, brackets, punctuation runs, numbers, hyphens and dashes,
ellipses, currency, abbreviations and the sentence-final-abbreviation rule) and is checked token-for-token
against the Java tokenizer in ``tests/metrics/test_ptb_tokenizer.py``. Two quirks are kept on purpose because
they change scores:

* brackets become ``-LRB-`` etc. and are then lower-cased to ``-lrb-``, which pycocoevalcap's (upper-case)
  punctuation list does *not* remove -- so ``(`` survives as the token ``-lrb-``;
* a "sentence-final" abbreviation (``U.S.`` or ``Inc.`` at the end of a line or before a capitalised word)
  gets an extra ``.`` token (which is then removed as punctuation).

:class:`JavaPTBTokenizer` calls the real jar (when Java and pycocoevalcap are installed) for anyone who wants
the reference itself; :func:`get_tokenizer` picks one by name and the name goes into provenance.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from metrics.errors import MetricUnavailableError

# pycocoevalcap.tokenizer.ptbtokenizer.PUNCTUATIONS (case-sensitive, as there).
COCO_PUNCTUATIONS = frozenset(
    ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";"]
)

_BRACKETS = {"(": "-LRB-", ")": "-RRB-", "[": "-LSB-", "]": "-RSB-", "{": "-LCB-", "}": "-RCB-"}
_CURRENCY = {"$": "$", "£": "#", "€": "$", "¢": "cents", "¥": "¥"}
# Abbreviations that keep their period; an extra "." follows when they end a sentence (CoreNLP's ABBREV1:
# next char is whitespace and the one after it whitespace or an upper-case letter).
_ABBREV_FINAL = frozenset(
    [
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue",
        "tues", "wed", "thu", "thurs", "fri", "calif", "mass", "conn", "fla", "ill", "mich", "pa", "va",
        "ariz", "tenn", "md", "ga", "ore", "wis", "wash", "colo", "minn", "ky", "la", "ala", "okla", "nev",
        "neb", "kan", "del", "miss", "inc", "cos", "co", "corp", "ltd", "plc", "bancorp", "dept", "assn",
        "univ", "intl", "sys", "jr", "sr", "bros", "blvd", "rd", "esq", "etc", "al", "seq", "bldg"
    ]
)
# Abbreviations that never end a sentence (CoreNLP's ABBREV2: titles and the like; single letters too).
_ABBREV_ALWAYS = frozenset(
    [
        "mr", "mrs", "ms", "miss", "dr", "drs", "prof", "profs", "sen", "sens", "rep", "reps", "atty",
        "attys", "lt", "col", "gen", "messrs", "gov", "govs", "adm", "rev", "maj", "sgt", "cpl", "pvt",
        "capt", "st", "ste", "ave", "pres", "lieut", "hon", "brig", "cmdr", "comdr", "pfc", "spc", "supt",
        "supts", "det", "m", "mm", "mme", "mmes", "mlle", "mlles", "vs", "alex", "wm", "jos", "cie", "cf"
    ]
)
# Abbreviations only before a number ("No. 5", "fig. 3").
_ABBREV_BEFORE_NUMBER = frozenset(["ca", "fig", "figs", "no", "nos", "art", "pp", "op", "prop"])
_SAME_LINE_ACRONYMS = frozenset(["e.g.", "i.e."])
# Words after which an acronym such as "U.S." is taken to end the sentence (measured on the 3.4.1 jar).
_SENTENCE_STARTERS = frozenset(
    [
        "A", "An", "As", "At", "But", "He", "Her", "If", "In", "It", "Mr.", "Ms.", "Now", "She", "So",
        "That", "The", "Their", "Then", "There", "These", "They", "This", "We", "What", "When", "While",
        "You", "After", "One", "Many"
    ]
)
# Words the PTB lexer splits in two (lower-cased lookup, original case kept).
_SPLIT_WORDS = {
    "gonna": 3, "gotta": 3, "wanna": 3, "lemme": 3, "gimme": 3, "cannot": 3, "gotcha": 3,
}
_CONTRACTION_SUFFIX = re.compile(r"(?i)^(.+)('s|'re|'ve|'ll|'d|'m)$")

_WORDCHAR = r"[^\W_]"
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<sgml></?[A-Za-z][^<>\s]*>)
  | (?P<smiley>[:;]-?[()](?![^\W_]))
  | (?P<currency>(?:US|C|A|HK|NZ|S)\$)
  | (?P<url>(?:https?://|www\.)[^\s<>"]+[^\s<>".,;:!?')\]])
  | (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
  | (?P<ellipsis>\.{3,5}|…|\.\ \.\ \.)
  | (?P<dashes>-{2,}|—|–)
  | (?P<quote2>``|''|"|“|”)
  | (?P<squote>`|‘|’)
  | (?P<acronym>(?:[A-Za-z]\.){2,}(?![A-Za-z]))
  | (?P<number>\d+(?:[.,:/-]\d+)*(?![^\W_]|-[^\W_])|\.\d+)
  | (?P<word>(?:'(?=\d\ds\b|(?i:tis|twas)\b)|@)?[^\W_]+(?:['&/@-][^\W_]+)*)
  | (?P<hashtag>\#(?=[^\W\d_]))
  | (?P<run>[?!]+)
  | (?P<suffix>'(?:s|re|ve|ll|d|m|S|RE|VE|LL|D|M)(?![^\W_]))
  | (?P<apos>')
  | (?P<other>\S)
    """,
    re.VERBOSE,
)


def _is_opening_quote(text: str, start: int, end: int) -> bool:
    """A quote opens when it starts the text or follows whitespace or an opening bracket/quote, and is
    followed by something other than whitespace."""
    before_ok = start == 0 or text[start - 1].isspace() or text[start - 1] in "([{<`\"“‘"
    return before_ok and end < len(text) and not text[end].isspace()


def _split_word(word: str) -> list[str]:
    """Split contractions the way the PTB lexer does (``don't`` -> ``do n't``, ``dog's`` -> ``dog 's``)."""
    lower = word.lower()
    if lower in _SPLIT_WORDS:
        cut = _SPLIT_WORDS[lower]
        return [word[:cut], word[cut:]]
    if lower in ("'tis", "'twas"):
        return [word[:2], word[2:]]
    if "'n'" in lower and lower.count("'") == 2:  # rock'n'roll
        head, _, tail = word.partition("'")
        middle, _, rest = tail.partition("'")
        return [head, f"'{middle}'", rest]
    return _split_suffixes(word)


def _split_suffixes(word: str) -> list[str]:
    """``he'd's`` -> ``he 'd 's``; special words (``cannot``) are only split when they stand alone."""
    match = _CONTRACTION_SUFFIX.match(word)
    if match:
        return [*_split_suffixes(match.group(1)), match.group(2)]
    lower = word.lower()
    if lower.endswith("n't") and len(word) > 3 and "'" not in word[:-3]:
        cut = 2 if lower in ("can't", "won't") else len(word) - 3
        return [word[:cut], word[cut:]]
    return [word]


def _ends_sentence_abbrev(text: str, end: int) -> bool:
    """CoreNLP's SENTEND lookahead: whitespace, then whitespace, an upper-case letter or a tag."""
    return end + 1 < len(text) and text[end].isspace() and (
        text[end + 1].isspace() or text[end + 1].isupper() or text[end + 1] == "<"
    )


def _ends_sentence_acronym(text: str, end: int) -> bool:
    """An acronym ends a sentence only when a typical sentence-initial word follows."""
    if end >= len(text) or not text[end].isspace():
        return False
    following = text[end:].split(None, 1)
    if not following:
        return False
    word = re.match(r"([^\W_]+\.?)(?:\s|$)", text[end:].lstrip())
    return word is not None and word.group(1) in _SENTENCE_STARTERS


def ptb_tokenize_line(line: str, lookahead: str = "") -> list[str]:
    """PTB tokens of one line, before lower-casing and punctuation removal.

    ``lookahead`` is the text of the following line: CoreNLP sees the whole file, so whether an abbreviation
    at the end of a line ends a sentence depends on how the next line starts.
    """
    text = line + ("\n" + lookahead if lookahead else "")
    tokens: list[str] = []
    pos = 0
    while pos < len(line):
        match = _TOKEN.match(line, pos)
        assert match is not None  # the pattern ends with a catch-all alternative
        kind, token, start, pos = match.lastgroup, match.group(), match.start(), match.end()
        if kind == "space":
            continue
        if kind == "ellipsis":
            tokens.append("...")
        elif kind == "dashes":
            tokens.append("--")
        elif kind == "quote2":
            if token in ("``", "“") or (token == '"' and _is_opening_quote(line, start, pos)):
                tokens.append("``")
            else:
                tokens.append("''")
        elif kind == "squote":
            tokens.append("`" if token in "`‘" else "'")
        elif kind == "acronym":
            tokens.append(token)
            # CoreNLP looks past the line end for acronyms, but not for e.g./i.e.
            context = line if token.lower() in _SAME_LINE_ACRONYMS else text
            if _ends_sentence_acronym(context, pos):
                tokens.append(".")
        elif kind == "word":
            tokens.extend(_word_tokens(line, text, token, pos))
            if pos < len(line) and line[pos] == "." and tokens[-1].endswith("."):
                pos += 1
                if tokens[-1].lower().rstrip(".") in _ABBREV_FINAL and _ends_sentence_abbrev(text, pos):
                    tokens.append(".")
        elif kind == "apos":
            tokens.append("`" if _is_opening_quote(line, start, pos) else "'")
        elif kind == "smiley":
            tokens.append(token[:-1] + _BRACKETS[token[-1]])
        elif kind == "hashtag":
            word = _TOKEN.match(line, pos)
            if word is not None and word.lastgroup == "word":
                tokens.append("#" + word.group())
                pos = word.end()
            else:
                tokens.append("#")
        elif kind == "other" and token in _BRACKETS:
            tokens.append(_BRACKETS[token])
        elif kind == "other" and token in _CURRENCY:
            tokens.append(_CURRENCY[token])
        else:  # sgml, currency, url, email, number, run of ?/!, contraction suffix, other
            tokens.append(token)
    return tokens


def _word_tokens(line: str, text: str, word: str, end: int) -> list[str]:
    """Tokens for one word; an abbreviation takes its following period (the caller skips that period)."""
    follows_dot = end < len(line) and line[end] == "."
    lower = word.lower()
    if follows_dot:
        is_single_letter = len(word) == 1 and word.isalpha() and not _ends_sentence_abbrev(line, end + 1)
        before_number = re.match(r"\s*\d", line[end + 1 :]) is not None
        if lower in _ABBREV_ALWAYS or lower in _ABBREV_FINAL or is_single_letter or (
            lower in _ABBREV_BEFORE_NUMBER and before_number
        ):
            return [word + "."]
    if word.startswith("'") and len(word) > 1 and word[1].isdigit():
        return _split_suffixes(word)  # '90s
    return _split_word(word)


def coco_tokenize(caption: str, lookahead: str = "") -> str:
    """One caption as pycocoevalcap's PTBTokenizer returns it: lower-cased tokens joined by spaces,
    punctuation in :data:`COCO_PUNCTUATIONS` removed."""
    line = caption.replace("\n", " ")
    tokens = [token.lower() for token in ptb_tokenize_line(line, lookahead)]
    return " ".join(token for token in tokens if token not in COCO_PUNCTUATIONS)


class CaptionTokenizer(Protocol):
    name: str

    def tokenize(self, captions: Sequence[str]) -> list[str]: ...


class PythonPTBTokenizer:
    """Pure-Python PTB tokenizer (default; no Java needed)."""

    name = "ptb-python"

    def tokenize(self, captions: Sequence[str]) -> list[str]:
        lines = [caption.replace("\n", " ") for caption in captions]
        return [
            coco_tokenize(line, lines[i + 1] if i + 1 < len(lines) else "") for i, line in enumerate(lines)
        ]


class JavaPTBTokenizer:
    """The reference: Stanford CoreNLP 3.4.1's PTBTokenizer jar shipped with pycocoevalcap (needs ``java``)."""

    name = "ptb-java-corenlp-3.4.1"

    def __init__(self) -> None:
        self.jar = java_ptb_jar()

    def tokenize(self, captions: Sequence[str]) -> list[str]:
        if not captions:
            return []
        text = "\n".join(caption.replace("\n", " ") for caption in captions)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "captions.txt"
            path.write_text(text, encoding="utf-8")
            command = ["java", "-cp", str(self.jar), "edu.stanford.nlp.process.PTBTokenizer",
                       "-preserveLines", "-lowerCase", str(path)]
            output = subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8")
        lines = output.split("\n")
        return [
            " ".join(w for w in line.rstrip().split(" ") if w not in COCO_PUNCTUATIONS)
            for line in lines[: len(captions)]
        ]


def java_ptb_jar() -> Path:
    """Path of pycocoevalcap's CoreNLP jar, or :class:`MetricUnavailableError` saying what is missing."""
    if shutil.which("java") is None:
        raise MetricUnavailableError("the Java PTB tokenizer needs `java` on PATH; install a JRE (>= 8)")
    try:
        import pycocoevalcap.tokenizer as package
    except ImportError as error:  # pragma: no cover - pinned dependency
        raise MetricUnavailableError("the Java PTB tokenizer needs the pycocoevalcap package") from error
    return Path(package.__path__[0]) / "stanford-corenlp-3.4.1.jar"


def get_tokenizer(name: str) -> CaptionTokenizer:
    """``ptb-python`` (default) or ``ptb-java``."""
    if name in ("ptb-python", "ptb"):
        return PythonPTBTokenizer()
    if name in ("ptb-java", JavaPTBTokenizer.name):
        return JavaPTBTokenizer()
    from metrics.errors import ConfigError

    raise ConfigError(f"unknown caption tokenizer {name!r}; use 'ptb-python' or 'ptb-java'")
