"""PTB tokenisation as pycocoevalcap does it, in pure Python, equal to the Java tokenizer on Unicode text too.

pycocoevalcap pipes every caption through Stanford CoreNLP 3.4.1's ``PTBTokenizer -preserveLines -lowerCase``
(all captions of a call in one file, one caption per line) and then drops the tokens in its ``PUNCTUATIONS`` list.
This module re-implements that lexer from its measured behaviour (no Stanford source was used): the character
classes below were read off the 3.4.1 jar by tokenising every BMP code point in a few contexts, and the rules were
fitted to exhaustive small-alphabet probes (every string up to 3-7 characters over alphabets such as ``a1.-``,
``aA. ``, ``a'’snt``: ~262k strings) until the two agreed on all of them.
``tests/metrics/test_caption_unicode_parity.py`` checks it against a committed corpus of Java outputs (and live
Java where installed).

Like the jar, it works as a longest-match lexer: at each position every rule that can start with the current
character is tried and the longest match wins, ties going to the earlier rule. Some rules have *trailing context*
(JFlex ``r1/r2``): the context counts towards the match length but is not part of the token.

What language-model text exercises, and what the jar does with it (all reproduced here):

* ``’`` is an apostrophe: ``dog’s`` -> ``dog 's``, ``don’t`` -> ``do n't``; but it is kept inside words such as
  ``o’brien``, ``l’été``, ``’90s``; ``‘ ’ “ ” « » ‹ ›`` become the PTB quotes (backticks and apostrophes); any
  two adjacent Unicode quotes form one token (``“«`` becomes four backticks), which pycocoevalcap's filter keeps;
* ``– — ―`` -> ``--``; ``…`` -> ``...``; ``½ ¼ ¾ ⅓ ⅔`` -> ``1/2`` etc. (``⅕``.. are kept); ``€`` -> ``$``,
  ``£`` -> ``#``, ``¢`` -> ``cents``; other currency signs after the jar's Unicode tables (``₹``, ``₽``) are deleted;
* ``3 1/2`` (space or no-break space) is one token ``3\xa01/2``; ``²`` and ``₂`` are separate tokens;
* characters the jar cannot tokenise are deleted but still separate tokens: every non-BMP character (emoji such as
  ``😀`` -> gone, ``dog🐶s`` -> ``dog s``), private-use and unassigned code points, CJK brackets ``「」《》``, and
  letters added to Unicode after the jar's tables; BMP symbols such as ``❤ ✨ ★ ©`` are kept as tokens;
* the Unicode spaces (no-break, en/em/thin, ideographic) separate tokens; zero-width characters are deleted.

Line breaks other than ``\n`` (``\r``, ``\v``, ``\f``, U+2028, U+2029) start a new line for the jar, which would
shift every later caption by one in pycocoevalcap; both tokenizers here turn them into spaces first, so they stay
aligned (pycocoevalcap itself would misalign such a corpus).

Two quirks are kept on purpose because they change scores:

* brackets become ``-LRB-`` etc. and are then lower-cased to ``-lrb-``, which pycocoevalcap's (upper-case)
  punctuation list does *not* remove -- so ``(`` survives as the token ``-lrb-``;
* the jar sees the whole file, so a line ending in a single-letter abbreviation (``John F.``) keeps its period
  unless the next caption starts with one of the jar's sentence-start words (``The``, ``A``, ``It`` ...).

:class:`JavaPTBTokenizer` calls the real jar (when Java and pycocoevalcap are installed) for anyone who wants
the reference itself; :func:`get_tokenizer` picks one by name and the name goes into provenance.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from metrics.errors import MetricUnavailableError

# pycocoevalcap.tokenizer.ptbtokenizer.PUNCTUATIONS (case-sensitive, as there).
COCO_PUNCTUATIONS = frozenset(
    ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";"]
)

# --- Character classes of the 3.4.1 jar (BMP code points >= U+0080, hex ranges) -----------------------------
# LETTER: joins words, may follow digits ("1a2"). MARK: joins words but not after a digit ("1" + "\u0301x").
# DIGIT: [:digit:]. SYMBOL: a token of its own (some normalised below). Any other character that no rule below
# accepts is deleted (it still ends the token before it). Measured with Java by probing each code point.
_LETTER_RANGES = """
aa b5 ba c0-d6 d8-f6 f8-2c1 2c6-2d1 2e0-2e4 2ec 2ee 370-374 376-377 37a-37d 386 388-38a 38c 38e-3a1 3a3-3f5
3f7-481 48a-527 531-556 559 561-587 5d0-5ea 5f0-5f2 620-64a 66e-66f 671-6d3 6d5 6e5-6e6 6ee-6ef 6fa-6fc 6ff 710
712-72f 74d-7a5 7b1 7ca-7ea 7f4-7f5 7fa 800-815 81a 824 828 840-858 8a0 8a2-8ac 904-939 93d 950 958-961 971-977
979-97f 985-98c 98f-990 993-9a8 9aa-9b0 9b2 9b6-9b9 9bd 9ce 9dc-9dd 9df-9e1 9f0-9f1 a05-a0a a0f-a10 a13-a28
a2a-a30 a32-a33 a35-a36 a38-a39 a59-a5c a5e a72-a74 a85-a8d a8f-a91 a93-aa8 aaa-ab0 ab2-ab3 ab5-ab9 abd ad0
ae0-ae1 b05-b0c b0f-b10 b13-b28 b2a-b30 b32-b33 b35-b39 b3d b5c-b5d b5f-b61 b71 b83 b85-b8a b8e-b90 b92-b95
b99-b9a b9c b9e-b9f ba3-ba4 ba8-baa bae-bb9 bd0 c05-c0c c0e-c10 c12-c28 c2a-c33 c35-c39 c3d c58-c59 c60-c61
c85-c8c c8e-c90 c92-ca8 caa-cb3 cb5-cb9 cbd cde ce0-ce1 cf1-cf2 d05-d0c d0e-d10 d12-d3a d3d d4e d60-d61 d7a-d7f
d85-d96 d9a-db1 db3-dbb dbd dc0-dc6 e01-e30 e32-e33 e40-e46 e81-e82 e84 e87-e88 e8a e8d e94-e97 e99-e9f ea1-ea3
ea5 ea7 eaa-eab ead-eb0 eb2-eb3 ebd ec0-ec4 ec6 edc-edf f00 f40-f47 f49-f6c f88-f8c 1000-102a 103f 1050-1055
105a-105d 1061 1065-1066 106e-1070 1075-1081 108e 10a0-10c5 10c7 10cd 10d0-10fa 10fc-1248 124a-124d 1250-1256
1258 125a-125d 1260-1288 128a-128d 1290-12b0 12b2-12b5 12b8-12be 12c0 12c2-12c5 12c8-12d6 12d8-1310 1312-1315
1318-135a 1380-138f 13a0-13f4 1401-166c 166f-167f 1681-169a 16a0-16ea 1700-170c 170e-1711 1720-1731 1740-1751
1760-176c 176e-1770 1780-17b3 17d7 17dc 1820-1877 1880-18a8 18aa 18b0-18f5 1900-191c 1950-196d 1970-1974
1980-19ab 19c1-19c7 1a00-1a16 1a20-1a54 1aa7 1b05-1b33 1b45-1b4b 1b83-1ba0 1bae-1baf 1bba-1be5 1c00-1c23
1c4d-1c4f 1c5a-1c7d 1ce9-1cec 1cee-1cf1 1cf5-1cf6 1d00-1dbf 1e00-1f15 1f18-1f1d 1f20-1f45 1f48-1f4d 1f50-1f57
1f59 1f5b 1f5d 1f5f-1f7d 1f80-1fb4 1fb6-1fbc 1fbe 1fc2-1fc4 1fc6-1fcc 1fd0-1fd3 1fd6-1fdb 1fe0-1fec 1ff2-1ff4
1ff6-1ffc 2071 207f 2090-209c 2102 2107 210a-2113 2115 2119-211d 2124 2126 2128 212a-212d 212f-2139 213c-213f
2145-2149 214e 2183-2184 2c00-2c2e 2c30-2c5e 2c60-2ce4 2ceb-2cee 2cf2-2cf3 2d00-2d25 2d27 2d2d 2d30-2d67 2d6f
2d80-2d96 2da0-2da6 2da8-2dae 2db0-2db6 2db8-2dbe 2dc0-2dc6 2dc8-2dce 2dd0-2dd6 2dd8-2dde 2e2f 3005-3006
3031-3035 303b-303c 3041-3096 309d-309f 30a1-30fa 30fc-30ff 3105-312d 3131-318e 31a0-31ba 31f0-31ff 3400-4db5
4e00-9fcc a000-a48c a4d0-a4fd a500-a60c a610-a61f a62a-a62b a640-a66e a67f-a697 a6a0-a6e5 a717-a71f a722-a788
a78b-a78e a790-a793 a7a0-a7aa a7f8-a801 a803-a805 a807-a80a a80c-a822 a840-a873 a882-a8b3 a8f2-a8f7 a8fb
a90a-a925 a930-a946 a960-a97c a984-a9b2 a9cf aa00-aa28 aa40-aa42 aa44-aa4b aa60-aa76 aa7a aa80-aaaf aab1
aab5-aab6 aab9-aabd aac0 aac2 aadb-aadd aae0-aaea aaf2-aaf4 ab01-ab06 ab09-ab0e ab11-ab16 ab20-ab26 ab28-ab2e
abc0-abe2 ac00-d7a3 d7b0-d7c6 d7cb-d7fb f900-fa6d fa70-fad9 fb00-fb06 fb13-fb17 fb1d fb1f-fb28 fb2a-fb36
fb38-fb3c fb3e fb40-fb41 fb43-fb44 fb46-fbb1 fbd3-fd3d fd50-fd8f fd92-fdc7 fdf0-fdfb fe70-fe74 fe76-fefc
ff21-ff3a ff41-ff5a ff66-ffbe ffc2-ffc7 ffca-ffcf ffd2-ffd7 ffda-ffdc
"""
_MARK_RANGES = """
2c2-2c5 2d2-2df 2e5-2eb 2ed 2ef-36f 375 378-379 384-385 3f6 483-487 55a-55f 591-5bd 5bf 5c1-5c2 5c4-5c5 5c7
615-61a 64b-65e 670 6d6-6e4 6e7-6ed 6fd-6fe 70f 711 730-74c 7a6-7b0 7eb-7f3 900-903 93c 93e-94e 951-955 962-963
981-983 9bc 9be-9c4 9c7-9c8 9cb-9cd 9d7 9e2-9e3 a01-a03 a3c a3e-a4f a81-a83 abc abe-acf b82 bbe-bc2 bc6-bc8
bca-bcd c01-c03 c3e-c56 d3e-d44 d46-d48 e31 e34-e3a e47-e4e eb1 eb4-ebc ec8-ecd
"""
_DIGIT_RANGES = """
660-669 6f0-6f9 7c0-7c9 966-96f 9e6-9ef a66-a6f ae6-aef b66-b6f be6-bef c66-c6f ce6-cef d66-d6f e50-e59 ed0-ed9
f20-f29 1040-1049 1090-1099 17e0-17e9 1810-1819 1946-194f 19d0-19d9 1a80-1a89 1a90-1a99 1b50-1b59 1bb0-1bb9
1c40-1c49 1c50-1c59 a620-a629 a8d0-a8d9 a900-a909 a9d0-a9d9 aa50-aa59 abf0-abf9 ff10-ff19
"""
_SYMBOL_RANGES = """
80 96-97 a1-a9 ac ae-b1 b4 b6-b8 bc-bf d7 f7 37e 387 589 5be 5c0 5c3 5c6 5f3-5f4 600-603 606-60c 614 61b 61e-61f
66a 66d 6d4 700-70d 7f6-7f8 964-965 e3f e4f 1fbd 2013-2017 2020-2023 2026 2030-2038 203b 203e-2042 2044
207a-207e 208a-208e 20a0 20a4 20ac 2100-2101 2103-2106 2108-2109 2114 2116-2118 211e-2123 2125 2127 2129 212e
213a-213b 2140-2144 214a-214d 214f 2153-215e 2190-2bff 3001-3002 3012 30fb ff01-ff0f ff1a-ff20 ff3b-ff40
ff5b-ff65 ffe0-ffe1 ffe5-ffe6
"""


def _char_class(ranges: str) -> str:
    """Regex character-class body for a table of hex ranges such as ``"aa b5 c0-d6"``."""
    parts = []
    for item in ranges.split():
        low, _, high = item.partition("-")
        parts.append(f"\\u{int(low, 16):04x}" + (f"-\\u{int(high, 16):04x}" if high else ""))
    return "".join(parts)


def _words(text: str) -> list[str]:
    return text.split()


_L = "A-Za-z" + _char_class(_LETTER_RANGES)
_M = "\u00ad" + _char_class(_MARK_RANGES)  # the soft hyphen joins words and is then removed from them
_D = "0-9" + _char_class(_DIGIT_RANGES)
_SYMBOLS = _char_class(_SYMBOL_RANGES)
_SPACE = " \t\u00a0\u2000-\u200a\u3000"
_SPACE_NL = _SPACE + "\n"

_LM = f"[{_L}{_M}]"
_LMD = f"[{_L}{_M}{_D}]"
_LD = f"[{_L}{_D}]"
_APOS = "['\u2019\u0092]"
_APOS_LIKE = "['\u2019\u0092`\u2018\u201b\u0091]"
_HYPHEN = "[-_\u058a\u2010\u2011]"
_UNICODE_QUOTES = "`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2039\u203a\u00ab\u00bb\u0091-\u0094"
_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2074-\u2079"
_SUBSCRIPTS = "\u2080-\u2089"

_WORD = f"{_LM}{_LMD}*(?:[.!?]{_LM}{_LMD}*)*"  # internal . ! ? only when a letter follows: "google.com", "a!b"
_ELISION = f"(?:[dDoOlL]{_APOS_LIKE}{_LD})"  # "d'", "o'", "l'" + 2 or more letters/digits: l'été, o'90s
_CHUNK = f"{_ELISION}?{_LD}+"
_ACRONYM = r"[A-Za-z](?:\.[A-Za-z])+\."
_THING = f"{_CHUNK}(?:{_HYPHEN}{_CHUNK})*"
# ASCII only: "1.5-inch", "U.S.-made", "x.y-z", "a-b.c." (a hyphen, then possibly an acronym)
_ASCII_CHUNK = "(?:[dDoOlL]['\u2019\u0092`\u2018\u201b\u0091][A-Za-z0-9])?[A-Za-z0-9]+"
_THING_DOTTED = f"[A-Za-z0-9]+(?:[.,]+[A-Za-z0-9]+)*[.,]*(?:-(?:{_ACRONYM}|{_ASCII_CHUNK}))+"
# File names with one of these extensions (measured on ~150 common ones): "2.jpg", "stdio.h"
_FILE_EXTENSIONS = _words(
    "bat bmp c cgi class cpp dll doc docx exe gif gz h htm html jar java jpeg jpg mov mp3 pdf php pl png ppt ps py "
    "sql tar txt wav x xml zip"
)
_CAPITALS_AMP = "[A-Z]+(?:(?:[+&]|&amp;)[A-Z]+)+"  # AT&T, Q&A, S&P
_SLASH_PART = "[A-Za-z0-9]+(?:-[A-Za-z]+)*"


def _alternatives(words: Sequence[str]) -> str:
    """Regex alternatives, longest first (Python's alternation takes the first that matches)."""
    return "|".join(sorted(words, key=len, reverse=True))


# Abbreviations that keep their period. Titles never end a sentence; the others get an extra "." token when a
# sentence end follows (invisible after pycocoevalcap's filter) and carry two characters of trailing context.
# Case: the plain lists match in any case; _ABBREV_CAPITALISED needs an upper-case first letter, _ABBREV_LOWER_REST
# lower-case letters after the first. Measured on every 1-4 letter string and ~190k longer words.
_ABBREV_TITLES = _words(
    "adj adm adv alex assoc asst atty attys ave brig capt cf cie cmdr col comdr cpl dept det dr drs elec ens ft gen "
    "gov govs hon insp invt jos lieut lt maj messrs mlle mme mr mrs ms msgr mt natl pfc ph pres prof profs pvt rep "
    "reps rev sen sens sfc sgt spc st ste supt supts treas vs wm"
)
_ABBREV_FINAL = _words(
    "al ala apr ariz assn aug bancorp bhd bldg blvd bros calif co colo conn corp cos ct dak dec esq est etc ext feb "
    "fla fri ga inc ind intl jan jr jul jun kan kans ky ltd mar md mich minn mo mon mont neb nev nov oct okla penn "
    "plc rd rt sep sept seq sq sr sys tel tenn thu thurs tue tues univ va vt wed wis wisc wyo"
)
_ABBREV_CAPITALISED = _words("ark az del ill la mass miss ore pa tex wash")
_ABBREV_LOWER_REST_TITLES = ["mfg", "mtg"]
_ABBREV_LOWER_REST_FINAL = _words("ppte ppty pte ptes pty ptys")
_ABBREV_BEFORE_NUMBER = _words("art ca fig figs no nos op pp prop")  # only before a digit: "No. 5", "fig. 3"
# A single letter followed by "." is an initial unless one of these words (or "Mr.", "Ms.") follows: then the "."
# ends a sentence.
_SENTENCE_STARTS = _words(
    "A About According Additionally After An As At But Earlier He Her Here However If In It Last Many More Now Once "
    "One Other Our She Since So Some Such That The Their Then There These They This We What When While Yet You"
)


def _lower_rest(words: Sequence[str]) -> str:
    return "|".join(f"[{w[0]}{w[0].upper()}]{w[1:]}" for w in words)


_TITLE = f"(?:(?i:{_alternatives(_ABBREV_TITLES)})|{_lower_rest(_ABBREV_LOWER_REST_TITLES)})\\."
_CAPITALISED = "|".join(f"{w[0].upper()}(?i:{w[1:]})" for w in _ABBREV_CAPITALISED)
_FINAL = (
    f"(?:(?i:{_alternatives(_ABBREV_FINAL)})|{_CAPITALISED}|{_lower_rest(_ABBREV_LOWER_REST_FINAL)}|(?i:ph\\.d))\\."
)
_STARTER = f"(?=[A-Z])(?i:{_alternatives(_SENTENCE_STARTS)}|mr\\.|ms\\.)(?=[{_SPACE_NL}]|$)"

# Words the lexer splits in two (case-insensitive; the original case is kept).
_SPLIT_WORDS = {"gonna": 3, "gotta": 3, "wanna": 3, "lemme": 3, "gimme": 3, "cannot": 3}
_BRACKETS = {"(": "-LRB-", ")": "-RRB-", "[": "-LSB-", "]": "-RSB-", "{": "-LCB-", "}": "-RCB-"}
# Single characters the jar rewrites (cp1252 controls included: the jar reads U+0080.. as Windows-1252).
_CHARACTER_MAP = {
    "\u0080": "$", "\u00a4": "$", "\u20a0": "$", "\u20ac": "$", "\u00a3": "#", "\u00a2": "cents",
    "\u00bc": "1/4", "\u00bd": "1/2", "\u00be": "3/4", "\u2153": "1/3", "\u2154": "2/3",
    "\u2026": "...", "\u0085": "...", "\u2013": "--", "\u2014": "--", "\u2015": "--", "\u0096": "--", "\u0097": "--",
    **_BRACKETS,
}
_QUOTE_MAP = str.maketrans({
    "\u2018": "`", "\u201b": "`", "\u2039": "`", "\u0091": "`", "\u2019": "'", "\u203a": "'", "\u0092": "'",
    "\u201c": "``", "\u00ab": "``", "\u0093": "``", "\u201d": "''", "\u00bb": "''", "\u0094": "''",
})
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "apos": "'", "mdash": "--", "ndash": "--", "MD": "--"}


@dataclass(frozen=True)
class _Rule:
    """One lexer rule: a regex source and a character class of the characters a match can start with.

    A named group ``tok`` marks the token when the rest of the match is trailing context. Rules are matched
    against the caption followed by ``"\\n"`` and the next caption (the jar reads the whole file); only those
    marked "reads on" in :data:`_RULES` look past the line end, the patterns of the others cannot match a newline.
    """

    name: str
    pattern: str
    first: re.Pattern[str]


def _rule(name: str, pattern: str, first: str) -> _Rule:
    re.compile(pattern)  # fail at import on a bad pattern, naming it in the traceback
    return _Rule(name, pattern, re.compile(first))


# URL, e-mail and tag patterns exclude only the jar's own whitespace (a thin space can sit inside an e-mail).
_WS = " \t\n\f\r"
_URL_EXCLUDED = _WS + "\"<>|(){}"
# A "likely URL" host part: no digits, no upper-case ASCII letters (so "Google.com/maps" is not one), but symbols
# and Unicode quotes are allowed, which glues an opening quote on: “www.example.com” -> “www.example.com ''.
_LIKELY_URL_EXCLUDED = _WS + "\"`'<>|.!?(){},\\-_$=;:^\\[\\]\\\\/@0-9A-Z"
_LIKELY_URL_SEGMENT = f"[^{_LIKELY_URL_EXCLUDED}]+\\."
_URL_PATH = f"(?:/[^{_WS}\"<>|()]+[^{_WS}\"<>|.!?(){{}},\\-])?"
_EMAIL_PART = f"[^{_WS}\"<>|(){{}}.\u00a0]+"
_TAG_NAME = "[A-Za-z][A-Za-z0-9_.:-]*"

# In priority order: on equal length the earlier rule wins.
_RULES: tuple[_Rule, ...] = (
    _rule("space", f"[{_SPACE}]+", f"[{_SPACE}]"),
    _rule("sgml", f"<[/!?]?{_TAG_NAME}(?:[ \t]+{_TAG_NAME}(?:=(?:\"[^\"<>\n]*\"|'[^'<>\n]*'))?)*[ \t]*[/?]?>", "<"),
    _rule("url", f"(?i:https?)://[^{_URL_EXCLUDED}]+[^{_URL_EXCLUDED}.!?,\\-]", "[hH]"),
    _rule("likely_url", f"(?:www\\.(?:[^{_WS}\"<>|.!?(){{}},]+\\.)+[a-zA-Z]{{2,4}}"
          f"|(?:{_LIKELY_URL_SEGMENT})+(?:com|net|org|edu)){_URL_PATH}", f"[^{_LIKELY_URL_EXCLUDED}]"),
    _rule("email", f"<?[A-Za-z0-9][^{_WS}\"<>|()\u00a0{{}}]*@(?:{_EMAIL_PART}\\.)*{_EMAIL_PART}>?", "[<A-Za-z0-9]"),
    _rule("mention", r"@[A-Za-z_][A-Za-z0-9_]*", "@"),
    _rule("entity", r"&(?:amp|lt|gt|quot|apos|nbsp|mdash|ndash|MD|#[0-9]+|HT|TL|UR|LR|QC|QL|QR|odq|cdq);", "&"),
    _rule("escaped_star", r"\\\*", r"\\"),
    _rule("hashtag", f"#[{_L}{_M}]+", "#"),
    _rule("smiley", r"[<>]?[:;=][-o*']?[()DPdpO\[\]{@|\\](?![A-Za-z0-9])", "[<>:;=]"),
    _rule("face", r"[\^><\-x=~']_[\^><\-x=~']", r"[\^><\-x=~']"),
    _rule("abbrev_number", f"(?i:{_alternatives(_ABBREV_BEFORE_NUMBER)})\\.(?=[{_SPACE_NL}]?[{_D}])",  # reads on
          "[A-Za-z]"),
    _rule("abbrev_title", _TITLE, "[A-Za-z]"),
    _rule("acronym", _ACRONYM, "[A-Za-z]"),
    _rule("initial", f"[A-Za-z]\\.(?![{_SPACE_NL}]+{_STARTER})", "[A-Za-z]"),  # reads on
    _rule("word", _WORD, _LM),
    _rule("file_name", f"{_LD}+(?:\\.{_LD}+)*\\.(?i:{_alternatives(_FILE_EXTENSIONS)})(?=[{_SPACE_NL},.!?]|$)",
          f"[{_L}{_D}]"),  # reads on
    _rule("abbrev_final", f"(?P<tok>{_FINAL})(?:[\\s\\S]{{2}})?", "[A-Za-z]"),  # reads on
    _rule("word_before_aux", f"(?P<tok>{_WORD}){_APOS}(?i:s|m|d|re|ve|ll)", _LM),
    _rule("word_before_nt", f"(?P<tok>\u00ad*[A-Za-z][A-Za-z\u00ad]*?(?<![nN]))[nN]{_APOS_LIKE}[tT]", "[A-Za-z\u00ad]"),
    _rule("thing", _THING, f"[{_L}{_D}]"),
    _rule("word_dot_before_comma", f"(?P<tok>(?:{_WORD}|{_THING}|{_THING_DOTTED}|{_CAPITALS_AMP})\\.)[,;:]",
          f"[{_L}{_M}{_D}]"),
    _rule("thing_dotted", _THING_DOTTED, "[A-Za-z0-9]"),
    _rule("capitals_amp", _CAPITALS_AMP, "[A-Z]"),
    _rule("cpp", r"[Cc]\+\+|[CcFf]#", "[CcFf]"),
    _rule("slash", f"{_SLASH_PART}\\\\?/{_SLASH_PART}(?:\\\\?/{_SLASH_PART})?", "[A-Za-z0-9]"),  # and/or, a\\/b
    _rule("number", f"[-+]?(?:[{_D}]*(?:[.:,\u00ad\u066b\u066c][{_D}]+)+|[{_D}]+)", f"[-+.:,\u00ad\u066b\u066c{_D}]"),
    _rule("date", f"[{_D}]{{1,2}}[-/][{_D}]{{1,2}}[-/][{_D}]{{2,4}}", f"[{_D}]"),  # 12/25/2020, 1/2-12
    _rule("fraction", f"(?:[{_D}]{{1,4}}[- \u00a0])?[{_D}]{{1,4}}(?:\\\\?/|\u2044)[{_D}]{{1,4}}", f"[{_D}]"),
    _rule("apostrophe_word",
          f"[A-HJ-XZn]{_APOS_LIKE}[{_L}]{{2,}}|[{_L}]+[aeiouyAEIOUY]{_APOS_LIKE}[aeiouA-Z][{_L}]*"
          f"|(?i:dunkin|somethin|ol){_APOS}|(?i:c'mon|e'er|s'mores|ev'ry|li'l|nat'l|nor'easter)|[oO]{_APOS}[oO]"
          f"|{_APOS}(?:[2-9]0s|(?i:till?|cause|em)|[nN]{_APOS})|[\u2019\u0092][nN]|'[nN](?=[{_SPACE_NL}]|$)"
          f"|{_APOS}[0-9]{{2}}(?=[{_SPACE_NL}]|$)",
          f"[{_L}'\u2019\u0092]"),  # reads on
    _rule("y_apostrophe", f"[yY]{_APOS}(?=[{_L}])", "[yY]"),
    _rule("elision_end", f"[lLdDjJ]{_APOS}", "[lLdDjJ]"),
    _rule("nt", f"[nN]{_APOS_LIKE}[tT]", "[nN]"),
    _rule("aux", f"{_APOS}(?i:s|m|d|re|ve|ll)", "['\u2019\u0092]"),
    _rule("tis", r"(?P<tok>'[tT])(?:is|was)[A-Za-z]*", "'"),
    _rule("quote_before_letters", r"(?P<tok>')[A-Za-z]+", "'"),
    _rule("ellipsis", r"\.{3,5}|\.(?: \.){2,4}", r"\."),
    _rule("dashes", r"-{5,}|--+", "-"),
    _rule("bracket_token", r"-(?i:[LR][RSC]B)-", "-"),  # already tokenised text: "-LRB-" stays one token
    _rule("ascii_quote_pair", r"''|``", "['`]"),
    _rule("unicode_quotes", f"[{_UNICODE_QUOTES}]{{1,2}}", f"[{_UNICODE_QUOTES}]"),
    _rule("runs", f"[?!]+|\\*+|<<|>>|@@+|##+|__+|[{_SUPERSCRIPTS}]+|[{_SUBSCRIPTS}]+",
          f"[?!*<>@#_{_SUPERSCRIPTS}{_SUBSCRIPTS}]"),
    _rule("dollar", r"[A-Z]*\$", r"[A-Z$]"),
    _rule("other", f"[{_SYMBOLS}!-/:-@\\[-`{{-~\u0085]", f"[{_SYMBOLS}!-/:-@\\[-`{{-~\u0085]"),
)


@dataclass(frozen=True)
class _Candidates:
    """All rules that can start with one character, compiled into one regex: each rule is an optional lookahead
    with a capturing group, so a single ``match`` reports every rule's match length (longest-match in C)."""

    rules: tuple[_Rule, ...]
    pattern: re.Pattern[str]
    groups: tuple[tuple[int, int], ...]  # per rule: (group of the whole match, group of ``tok`` or 0)
    single_character: bool  # only the one-character "other" rule applies


_CANDIDATES: dict[str, _Candidates | None] = {}
_COMBINED: dict[tuple[str, ...], _Candidates] = {}
# Fast paths for the commonest tokens, where no rule can match more (the tests compare them with the full lexer):
# a word before a space (or before ,;:!? and a space), a word before a sentence-final "." that is no abbreviation
# (and does not start a spaced ellipsis ". . ."),
# "it's"/"don't"-like contractions, hyphenated words, lone punctuation and digits before a space (not "3 1/2").
_FAST = re.compile(
    f"(?P<word>[{_L}]+)(?= |$|[,;:!?]+(?: |$))"
    f"|(?P<dotted>[{_L}]{{2,}})\\.(?= (?!\\.)|$)"
    "|(?P<contracted>[A-Za-z]{2,})(?P<aux>'(?:[sSmMdD]|re|RE|ve|VE|ll|LL))(?= |$)"
    "|(?P<negated>[A-Za-z]*[A-MO-Za-mo-z])(?P<nt>[nN]['\u2019][tT])(?= |$)"
    "|(?P<hyphenated>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)(?= |$|[,;:!?]+(?: |$))"
    "|(?P<punctuation>[,;:]|[?!]+)(?= |$)|(?P<period>\\.)(?= (?!\\.)|$)"
    "|(?P<digits>[0-9]+)(?= (?![0-9])|$)"
)
_ABBREVIATIONS = frozenset(
    _ABBREV_TITLES + _ABBREV_FINAL + _ABBREV_CAPITALISED + _ABBREV_LOWER_REST_TITLES + _ABBREV_LOWER_REST_FINAL
    + _ABBREV_BEFORE_NUMBER + ["ph"]
)
_SPACES = re.compile(f"[{_SPACE}]+")
# Characters the jar treats as line breaks; turned into spaces so that one caption stays one line.
_LINE_BREAK = re.compile("[\n\r\u000b\u000c\u2028\u2029]")
_SENTENCE_END = re.compile(f"[{_SPACE_NL}](?:[{_SPACE_NL}]|[A-Z]|<)")
_OPENS_DOUBLE = re.compile(f"[{_L}{_M}{_D}]")
_OPENS_SINGLE = re.compile(f"[{_L}{_M}{_D}][^{_SPACE_NL}]")


def _combine(rules: tuple[_Rule, ...]) -> _Candidates:
    parts, groups, group = [], [], 0
    for index, rule in enumerate(rules):
        body = rule.pattern.replace("(?P<tok>", f"(?P<t{index}>")
        parts.append(f"(?:(?=(?P<r{index}>{body})))?")
        compiled_part = re.compile(body)
        whole = group + 1
        tok = whole + compiled_part.groupindex[f"t{index}"] if f"t{index}" in compiled_part.groupindex else 0
        groups.append((whole, tok))
        group = whole + compiled_part.groups
    single = len(rules) == 1 and rules[0].name == "other"
    return _Candidates(rules, re.compile("".join(parts)), tuple(groups), single)


def _candidates(char: str) -> _Candidates | None:
    """The rules that can start with ``char``, combined (cached); ``None``: the jar deletes the character."""
    if char in _CANDIDATES:
        return _CANDIDATES[char]
    rules = tuple(rule for rule in _RULES if rule.first.match(char))
    key = tuple(rule.name for rule in rules)
    if rules and key not in _COMBINED:
        _COMBINED[key] = _combine(rules)
    _CANDIDATES[char] = _COMBINED[key] if rules else None
    return _CANDIDATES[char]


def _sentence_end(text: str, end: int) -> bool:
    """CoreNLP's SENTEND: whitespace, then whitespace, an upper-case letter or a tag."""
    return _SENTENCE_END.match(text, end) is not None


def _word_tokens(word: str) -> list[str]:
    """A word, split if it is ``gonna``-like (only the exact word: ``\u00adgonna`` and ``gonna's`` stay whole)."""
    cut = _SPLIT_WORDS.get(word.lower())
    if cut:
        return [word[:cut], word[cut:]]
    return [word]


def _quote_direction(text: str, end: int, double: bool) -> str:
    """An ASCII quote opens before a word character (``'`` before a letter and one more non-space)."""
    if double:
        return "``" if _OPENS_DOUBLE.match(text, end) else "''"
    return "`" if _OPENS_SINGLE.match(text, end) else "'"


def _longest(candidates: _Candidates, text: str, pos: int) -> tuple[_Rule, str, int] | None:
    """The winning rule at ``pos``, its token and where lexing continues (``None`` if no rule matches)."""
    regs = candidates.pattern.match(text, pos).regs  # type: ignore[union-attr]  # all parts are optional
    best, best_end = -1, pos
    for index, (whole, _tok) in enumerate(candidates.groups):
        end = regs[whole][1]
        if end > best_end:  # strictly longer: on a tie the earlier rule stays
            best, best_end = index, end
    if best < 0:
        return None
    tok = candidates.groups[best][1]
    end = regs[tok][1] if tok else best_end
    return candidates.rules[best], text[pos:end], end


def _act(rule: _Rule, token: str, text: str, end: int) -> list[str]:
    """Tokens for one match of ``rule`` (``token`` is the matched text without trailing context)."""
    action = _ACTIONS.get(rule.name)
    tokens = action(token, text, end) if action is not None else [token]
    return tokens if rule.name in _KEEPS_SOFT_HYPHENS else _without_soft_hyphens(tokens)


def _with_sentence_end(token: str, text: str, end: int) -> list[str]:
    """``Inc.`` or ``U.S.`` ending a sentence: an extra ``.`` token (which pycocoevalcap's filter removes)."""
    return [token, "."] if _sentence_end(text, end) else [token]


def _other(token: str, text: str, end: int) -> list[str]:
    if token == '"':
        return [_quote_direction(text, end, double=True)]
    if token == "'":
        return [_quote_direction(text, end, double=False)]
    return [_CHARACTER_MAP.get(token, token)]


def _entity(token: str, text: str, end: int) -> list[str]:
    name = token[1:-1]
    if name == "nbsp":
        return []
    if name == "quot":
        return [_quote_direction(text, end, double=True)]
    return [_ENTITIES.get(name, token)]


_ACTIONS: dict[str, Callable[[str, str, int], list[str]]] = {
    "space": lambda token, text, end: [],
    "sgml": lambda token, text, end: [re.sub(r"\s", "\u00a0", token)],
    "entity": _entity,
    "smiley": lambda token, text, end: [token[:-1] + {"(": "-LRB-", ")": "-RRB-"}.get(token[-1], token[-1])],
    "abbrev_final": _with_sentence_end,
    "acronym": _with_sentence_end,
    "word": lambda token, text, end: _word_tokens(token),
    "capitals_amp": lambda token, text, end: [token.replace("&amp;", "&")],
    "likely_url": lambda token, text, end: [token.lstrip("\u00ad")],  # only leading soft hyphens go
    "fraction": lambda token, text, end: [token.replace(" ", "\u00a0")],
    "nt": lambda token, text, end: [token.translate(_QUOTE_MAP)],
    "aux": lambda token, text, end: ["'" + token[1:]],
    "quote_before_letters": lambda token, text, end: [_quote_direction(text, end, double=False)],
    "ellipsis": lambda token, text, end: ["..."],
    "dashes": lambda token, text, end: [token if len(token) >= 5 else "--"],
    "unicode_quotes": lambda token, text, end: [token.translate(_QUOTE_MAP)],
    "other": _other,
}


_KEEPS_SOFT_HYPHENS = frozenset(["url", "likely_url", "email", "hashtag", "sgml"])


def _without_line_breaks(caption: str) -> str:
    return _LINE_BREAK.sub(" ", caption) if _LINE_BREAK.search(caption) else caption


def _without_soft_hyphens(tokens: list[str]) -> list[str]:
    """The jar removes soft hyphens from its tokens; a token that was only soft hyphens becomes ``-``."""
    return [token.replace("\u00ad", "") or "-" if "\u00ad" in token else token for token in tokens]


def ptb_tokenize_line(line: str, lookahead: str | None = None) -> list[str]:
    """PTB tokens of one caption, before lower-casing and punctuation removal.

    ``lookahead`` is the text of the following caption (``None`` for the last one): the jar sees the whole file,
    so whether ``John F.`` keeps its period depends on how the next line starts.
    """
    line = _without_line_breaks(line)
    text = line if lookahead is None else line + "\n" + _without_line_breaks(lookahead)
    tokens: list[str] = []
    pos, length = 0, len(line)
    while pos < length:
        char = line[pos]
        if char == " ":  # a whole run of spaces, as the jar's SPACE+ rule (it may end in U+2009 etc.)
            pos = _SPACES.match(line, pos).end()  # type: ignore[union-attr]
            continue
        fast = _FAST.match(line, pos)
        if fast is not None:
            kind = fast.lastgroup
            if kind == "word":
                tokens.extend(_word_tokens(fast.group(kind)))
            elif kind == "dotted" and fast.group(kind).lower() not in _ABBREVIATIONS:
                tokens.extend((*_word_tokens(fast.group(kind)), "."))
            elif kind == "aux":
                tokens.extend((fast.group("contracted"), fast.group(kind)))
            elif kind == "nt":
                tokens.extend((fast.group("negated"), fast.group(kind).replace("\u2019", "'")))
            elif kind in ("punctuation", "period", "digits", "hyphenated"):
                tokens.append(fast.group(kind))
            else:  # an abbreviation: the full lexer decides
                fast = None
            if fast is not None:
                pos = fast.end()
                continue
        candidates = _candidates(char)
        if candidates is not None and candidates.single_character:  # e.g. "(" or "%": always one token
            pos += 1
            tokens.extend(_other(char, text, pos))
            continue
        found = _longest(candidates, text, pos) if candidates is not None else None
        if found is None:  # untokenizable: the jar deletes it (it still ends the token before it)
            pos += 1
            continue
        rule, token, pos = found
        tokens.extend(_act(rule, token, text, pos))
    return tokens


def coco_tokenize(caption: str, lookahead: str | None = None) -> str:
    """One caption as pycocoevalcap's PTBTokenizer returns it: lower-cased tokens joined by spaces,
    punctuation in :data:`COCO_PUNCTUATIONS` removed."""
    # As pycocoevalcap reads the jar's output line: rstrip() (which also strips Unicode spaces that end the last
    # token, e.g. of an e-mail address), split on " " only, drop punctuation.
    line = " ".join(token.lower() for token in ptb_tokenize_line(caption, lookahead)).rstrip()
    return " ".join(token for token in line.split(" ") if token not in COCO_PUNCTUATIONS)


class CaptionTokenizer(Protocol):
    name: str

    def tokenize(self, captions: Sequence[str]) -> list[str]: ...


class PythonPTBTokenizer:
    """Pure-Python PTB tokenizer (default; no Java needed). Equal to :class:`JavaPTBTokenizer` on the committed
    Unicode corpus and ASCII reference, see ``tests/metrics/test_caption_unicode_parity.py``."""

    name = "ptb-python"

    def tokenize(self, captions: Sequence[str]) -> list[str]:
        """Captions of one batch, each seeing the next as the jar would (it reads them as one file)."""
        return [
            coco_tokenize(caption, captions[i + 1] if i + 1 < len(captions) else None)
            for i, caption in enumerate(captions)
        ]


class JavaPTBTokenizer:
    """The reference: Stanford CoreNLP 3.4.1's PTBTokenizer jar shipped with pycocoevalcap (needs ``java``).

    Called exactly as pycocoevalcap calls it (one caption per line, ``-preserveLines -lowerCase``, then its
    punctuation filter), except that line breaks inside a caption become spaces first (pycocoevalcap would let
    them shift every later caption by one line).
    """

    name = "ptb-java-corenlp-3.4.1"

    def __init__(self) -> None:
        self.jar = java_ptb_jar()

    def tokenize(self, captions: Sequence[str]) -> list[str]:
        if not captions:
            return []
        lines = [_without_line_breaks(caption) for caption in captions]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "captions.txt"
            path.write_text("\n".join(lines), encoding="utf-8")
            command = ["java", "-cp", str(self.jar), "edu.stanford.nlp.process.PTBTokenizer",
                       "-preserveLines", "-lowerCase", str(path)]
            result = subprocess.run(command, capture_output=True, check=False)
        if result.returncode != 0:
            raise MetricUnavailableError(
                f"the Java PTB tokenizer failed (exit {result.returncode}): "
                f"{result.stderr.decode('utf-8', 'replace').strip()[-500:]}"
            )
        output = result.stdout.decode("utf-8").split("\n")
        if len(output) < len(lines) or any(output[len(lines):]):
            raise MetricUnavailableError(
                f"the Java PTB tokenizer returned {len(output)} lines for {len(lines)} captions; "
                "captions and tokens would be misaligned"
            )
        return [
            " ".join(w for w in line.rstrip().split(" ") if w not in COCO_PUNCTUATIONS)
            for line in output[: len(lines)]
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
