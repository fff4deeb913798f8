"""Regenerate ``ptb_unicode_corpus.json``: the caption corpus and what the Java PTB tokenizer makes of it.

Run once, where Java 8+ and pycocoevalcap (with its CoreNLP 3.4.1 jar) are installed::

    .venv/bin/python tests/metrics/data/make_ptb_unicode_corpus.py            # the two fixtures
    .venv/bin/python tests/metrics/data/make_ptb_unicode_corpus.py --tables   # print the character tables

``--tables`` re-measures the jar's character classes that ``metrics/captions/ptb_tokenizer.py`` embeds
(``_LETTER_RANGES`` ..): every BMP code point from U+0080 is tokenised alone and between letters and digits.

All strings are tokenised in ONE call, in this order, exactly as pycocoevalcap does it (one caption per line,
``PTBTokenizer -preserveLines -lowerCase``, then its punctuation filter); the lexer looks across line ends, so the
test tokenises them as one batch in the same order. The Java output is stored so the comparison also runs
without Java. Editing a string means regenerating the file.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

NBSP, THIN, NNBSP, ZWSP, ZWJ, VS16 = "\u00a0", "\u2009", "\u202f", "\u200b", "\u200d", "\ufe0f"

CORPUS: dict[str, list[str]] = {
    # ’ (U+2019) as apostrophe: contractions, possessives, names, decades, elisions.
    "curly_apostrophe": [
        "The dog’s ball is red.",
        "A dog’s toy and the dogs’ bowls.",
        "It’s a cat that’s sleeping on the couch.",
        "I don’t know what it’s doing.",
        "They can’t see the man who won’t move.",
        "She isn’t wearing a hat, and he wasn’t either.",
        "We’re looking at a kid who’s flying a kite.",
        "You’ve got to see this: they’ll be here soon.",
        "I’m sure she’d like it; I’d’ve said so.",
        "The children’s playground near St. Mary’s church.",
        "James’ car and James’s bike.",
        "O’Brien’s pub on the corner.",
        "A croissant from l’épicerie and a café au lait.",
        "Music from the ’90s and the ’80s.",
        "Ain’t nobody got time for that.",
        "Y’all should try the barbecue.",
        "The boy’s, the girl’s and the teacher’s desks.",
        "DON’T TOUCH THE PAINT.",
        "Let’s go to the park, shan’t we?",
        "It‘s a typo with a left quote as apostrophe.",
        "a man ’s hat with a space before the apostrophe",
        "Rock ’n’ roll records on a shelf.",
        "’Twas the night before Christmas.",
        "’em and ’cause and ’til",
        "It’s 5 o’clock somewhere.",
        "The cat’s-eye marble.",
        "Mc’Donald’s sign",
        "d’Artagnan and qu’il",
        "aujourd’hui",
        "We’ll’ve finished by then.",
        "That’s the ’Hello’ sign.",
        "isn’t, aren’t, wasn’t, weren’t, hasn’t, haven’t, doesn’t, didn’t",
    ],
    "ascii_apostrophe": [
        "rock 'n' roll",
        "rock'n'roll",
        "Rock 'n' Roll Hall of Fame",
        "'Tis the season, 'twas the night.",
        "back in '69 and the '90s",
        "O'Brien's dog and d'Artagnan's sword.",
        "y'all can't say ma'am or o'clock",
        "c'mon, li'l nor'easter",
        "gonna wanna gotta lemme gimme cannot",
        "the kids' toys and the boss' office",
    ],
    "quotes": [
        "He said “hello” to the dog.",
        "She whispered ‘goodbye’ softly.",
        "The sign reads «Bienvenue» in French.",
        "A ‹small› note and a «big» note.",
        "German quotes „so“ and ‚so‘ here.",
        "A \"quoted\" word and 'single' quotes.",
        "``LaTeX style'' quotes",
        "“Nested ‘quotes’ inside”",
        "““Double double”” quotes",
        "»Reversed« guillemets",
        "A ‟reversed‟ and ‛reversed‛ pair.",
        "The word “cat”.",
        "“A dog,” she said, “is running.”",
        "“Look!” he shouted.",
        "(“Parenthesised quote”)",
        "'Hello,' he said.",
        "\"It's fine,\" she said.",
        "He said \"no\".",
        "Quotes around numbers: “42” and \"7\".",
        "“”",
        "‘’",
        "„Jetzt“ sagte er.",
        "«Où est la gare ?» demanda-t-il.",
        "「こんにちは」と言った。",
        "『本』を読む",
        "Fullwidth ＂quotes＂ and ＇single＇",
        "A `backtick' pair and ``double'' pair.",
        "“Hi”—said the man.",
        "The “smart” and the \"dumb\" quotes mixed.",
        "A title: “The Old Man and the Sea.”",
    ],
    "dashes": [
        "A man—wearing a hat—walks by.",
        "A man — wearing a hat — walks by.",
        "Pages 10–20 of the book.",
        "The 1990–2000 era.",
        "A horizontal bar ― here.",
        "A well-known, state-of-the-art device.",
        "Non‐breaking‑hyphens in co‐op and e‑mail.",
        "A figure dash ‒ and a minus − sign.",
        "Double -- dash and triple --- dash.",
        "A long ------ rule",
        "Em dash at the end—",
        "—Em dash at the start",
        "A two-year-old child and a 3-year-old dog.",
        "Pre- and post-war buildings.",
        "Temperature drops to −5 °C at night.",
        "x - y and x-y and x – y",
        "Score: 3–2 after extra time.",
        "The New York–London flight.",
        "Soft\u00adhyphen inside a word.",
        "self-driving car's sensor",
    ],
    "ellipsis": [
        "Wait… what happened?",
        "Wait...what happened?",
        "And then . . . nothing.",
        "The end....",
        "So……",
        "Hmm.. not sure.",
        "Well… I don’t know…",
        "etc...",
        "The dog is... sleeping?",
        "…and so on",
        "A pause .... then more.",
        "Loading....... done",
    ],
    "fractions": [
        "Add ½ cup of sugar.",
        "Use ¼ teaspoon of salt and ¾ cup of milk.",
        "About ⅓ of the cake and ⅔ of the pie.",
        "A 3½-inch nail.",
        "A 3 ½ inch nail.",
        "It weighs 3 1/2 pounds.",
        f"It weighs 3{NBSP}1/2 pounds.",
        "Mix 1/2 cup and 3/4 cup.",
        "Cut it into ⅛ and ⅕ pieces.",
        "A 2⁄3 fraction slash.",
        "Ratio of 16:9 and 4:3.",
        "50/50 chance, 24/7 service.",
        "The 3-1/2 inch drive.",
        "It is ½ full.",
        "Half (½) and quarter (¼).",
    ],
    "super_subscripts": [
        "An area of 20 m² and 5 m³.",
        "E = mc²",
        "Water is H₂O and CO₂.",
        "x² + y² = z²",
        "The 1st, 2nd and 3rd place.",
        "10³ meters",
        "Footnote¹ and footnote²³.",
        "a⁴ and b⁵ and c⁹",
        "CH₄ molecule",
        "km² area",
    ],
    "currency": [
        "It costs $5.99 today.",
        "It costs €20 in Paris.",
        "It costs £15 in London.",
        "It costs ¥1000 in Tokyo.",
        "A 50¢ candy.",
        "It costs ₹500 in Mumbai.",
        "It costs ₽300 in Moscow.",
        "It costs ₩5000 in Seoul.",
        "US$100 and C$50 and A$20.",
        "The price is 20€ or 15 £.",
        "Bitcoin ₿ and the generic ¤ sign.",
        "$1,000,000 prize",
        "a $5M budget",
        "¢ and ₠ signs",
        "Costs about $3.50–$4.00.",
    ],
    "emoji": [
        "A happy dog 😀 in the park.",
        "The dog🐶s are playing.",
        "I love it ❤️",
        "Sparkles ✨ everywhere.",
        "Done ✅",
        "A star ⭐ and a sun ☀️.",
        "A thumbs up 👍🏽 from me.",
        "A family 👨‍👩‍👧 photo.",
        "Flags 🇫🇷 and 🇯🇵.",
        "Smiley ☺ and frown ☹",
        "Hearts ♥ ♡ and notes ♪ ♫",
        "🎉🎉🎉 Party time!",
        "Cat 🐱and dog🐕",
        "Weather: ☁ ☂ ❄",
        "Check ✔ and cross ✖",
        "🚀 Launching soon",
        "Number ① and ⑵",
        "A snowman ☃ and a coffee ☕",
        "Emoji at the end 😂😂",
        "Keycap 1️⃣ emoji",
    ],
    "other_symbols": [
        "© 2024 Company ® and ™ marks.",
        "It is 25°C or 77°F outside.",
        "A 3×4 grid and 10 ± 2 items.",
        "Go → then ← back.",
        "Items: • one • two • three",
        "Section § 5 and paragraph ¶ 2.",
        "Dagger † and double dagger ‡.",
        "A rate of 5‰ per year.",
        "Invoice № 123",
        "Temperature 20 ℃ and 68 ℉.",
        "Infinity ∞ and approximately ≈ 3.",
        "Not equal ≠, less ≤, greater ≥.",
        "√16 = 4",
        "A 5 µm particle and 10 Ω resistor.",
        "Arrows ↑ ↓ ⇒ ⇐",
        "Math ∑ ∏ ∫ ∂",
        "Chess ♔ ♕ and cards ♠ ♣",
        "Degrees 45° angle.",
        "Prime ′ and double prime ″ marks",
        "Middle · dot and bullet ‣ point",
    ],
    "unicode_spaces": [
        f"A{NBSP}no-break space.",
        f"Price: 10{NBSP}€",
        f"A{THIN}thin space.",
        f"A{NNBSP}narrow no-break space.",
        "An\u2002en space and an\u2003em space.",
        "A figure\u2007space.",
        "An ideographic\u3000space.",
        f"A zero{ZWSP}width space.",
        f"A zero{ZWJ}width joiner.",
        "A zero\u200cwidth non-joiner.",
        "\ufeffByte order mark at start.",
        "A word\u2060joiner.",
        "An ogham\u1680space mark.",
        "A medium\u205fmath space.",
        "A hair\u200aspace.",
        "Tab\tseparated\twords.",
        f"Mixed  {NBSP} spaces {THIN} here.",
        f"U.S.{NBSP}Army",
        f"Dr.{NBSP}Smith",
        f"{NBSP}Leading and trailing{NBSP}",
    ],
    "combining_marks": [
        "Cafe\u0301 with a combining accent.",
        "Nai\u0308ve re\u0301sume\u0301.",
        "नमस्ते दुनिया",
        "ภาษาไทย สวัสดี",
        "Tiếng Việt có dấu.",
        "שָׁלוֹם עֲלֵיכֶם",
        "مَرْحَبًا بِكُمْ",
        "A\u0301B\u0300C\u0302",
        "\u0301 leading combining mark",
        "Zalgo t\u0336e\u0337x\u0338t",
        "1\u0301 digit with a mark",
        "e\u0301-mail",
    ],
    "latin_greek_cyrillic": [
        "Crème brûlée at the café.",
        "Straße in München.",
        "Ñandú in España.",
        "Zoë and Chloë’s piñata.",
        "Smörgåsbord in Göteborg.",
        "Ελληνικά γράμματα.",
        "Привет, мир!",
        "Ukrainian ї, є, ґ.",
        "Polish łódź and żółw.",
        "Turkish İstanbul and ığdır.",
        "ΣΟΦΟΣ and ΟΔΟΣ in capitals.",
        "Ligatures ﬁ and ﬂ.",
        "Icelandic þ and ð.",
        "Dutch ĳ and Maltese ħ.",
        "Kelvin sign K and Ångström Å.",
    ],
    "cjk_and_scripts": [
        "一只狗在公园里跑。",
        "犬が公園で走っている。",
        "공원에서 개가 뛰고 있다.",
        "中文，标点！符号？",
        "日本語、句読点。",
        "《书名》和〈篇名〉",
        "【注意】请勿吸烟",
        "Fullwidth ＡＢＣ and １２３",
        "Fullwidth punctuation （括号） and ［brackets］",
        "A 东京 tower photo.",
        "カタカナ・ひらがな",
        "〜波ダッシュ〜",
        "ｶﾀｶﾅ halfwidth",
        "𠀀 supplementary CJK",
        "مرحبا بالعالم",
        "עברית",
        "ქართული ენა",
        "Հայերեն",
        "ᐊᐃᐅ syllabics",
        "中文English混合text",
    ],
    "line_breaks": [
        "A caption\nwith a newline.",
        "A caption\r\nwith CRLF.",
        "A caption\rwith CR.",
        "A caption\u2028with a line separator.",
        "A caption\u2029with a paragraph separator.",
        "A caption\u000bwith a vertical tab.",
        "A caption\u000cwith a form feed.",
        "Next line\u0085ellipsis in cp1252.",
    ],
    "cp1252_controls": [
        "\u0093Smart\u0094 quotes from cp1252.",
        "It\u0092s a cp1252 apostrophe.",
        "A cp1252 \u0096 dash and \u0097 dash.",
        "\u0080 5 in cp1252 euro.",
        "\u0091single\u0092 cp1252 quotes",
    ],
    "model_captions": [
        "A golden retriever catches a red frisbee in mid-air at the park.",
        "Two people are sitting on a bench — one is reading a newspaper.",
        "The image shows a plate of spaghetti with tomato sauce, basil, and parmesan.",
        "A woman in a blue dress (possibly a bride) stands near the altar.",
        "The sign says \"STOP\" in bold, white letters.",
        "A man holds a sign that reads “Free Hugs!”",
        "The photo was taken at 5:30 p.m. on a sunny day.",
        "The clock shows 10:45 AM.",
        "It's 3pm and the café is busy.",
        "About 75% of the screen is covered by the logo.",
        "A 2.5 kg bag of rice and a 500 ml bottle.",
        "The building is 828 m (2,717 ft) tall.",
        "A 4K TV on a 55-inch stand.",
        "Visit https://www.example.com/page?id=42 for details.",
        "Visit www.example.com for more.",
        "Contact us at info@example.com or call 555-123-4567.",
        "The U.S. flag waves next to the U.K. flag.",
        "Dr. Smith and Mr. Jones met at 9 a.m.",
        "The model is a GPT-4-based assistant.",
        "E.g., cats, dogs, etc. are pets.",
        "The answer is: yes!",
        "Is this a cat?! No, it's a fox.",
        "Wow!!! Amazing!!!",
        "He scored 98.6% on the test (out of 100).",
        "The temperature was 98.6°F.",
        "Item #3 costs $4.99.",
        "Use the #hashtag and mention @username.",
        "Page 3 of 10; see Fig. 2 and No. 5.",
        "The 1990s were great; the 2000s, less so.",
        "A kid's drawing: a sun, a house & a tree.",
        "Q&A session at AT&T headquarters.",
        "The file is named report_final.pdf.",
        "She ran 5km in 25 min.",
        "It's approx. 3.14159.",
        "The price dropped from $120 to $99 — a 17.5% discount!",
        "A sign: 'No parking 8am-6pm, Mon-Fri.'",
        "The ratio is 1:2:3.",
        "Version 2.0.1 was released on 2024-01-15.",
        "Call 1-800-FLOWERS now.",
        "He said: “I’m going to the store… want anything?”",
        "The image depicts a cat—possibly a Maine Coon—lying on a windowsill.",
        "There are 3 apples, 2 oranges, and 1 banana on the table.",
        "The photo appears to be from the mid-’70s.",
        "A “No Entry” sign next to a 30 km/h speed limit.",
        "The text reads: “Welcome to São Paulo!”",
        "The caption says ‘Best friends forever ❤️’.",
        "A person wearing a T-shirt that says “I ♥ NY”.",
        "The menu lists: soup (€4.50), salad (€6), and dessert (€3.75).",
        "A child holding a balloon 🎈 at a birthday party.",
        "In this image, we see: (1) a dog, (2) a cat, and (3) a bird.",
        "The time is 12:00 — noon.",
        "A woman’s hand holding a smartphone showing 9:41.",
        "The thermometer reads −10°C.",
        "The road sign: ← Paris 20 km | Lyon 450 km →",
        "Here's a description:\n\nA dog runs on the beach.",
        "**A dog** is running on the *beach*.",
        "- A dog\n- A cat\n- A bird",
        "1. First item 2. Second item",
        "The image (see above) shows a dog; it is brown.",
        "The dog isn't barking — it's just yawning.",
        "A 1/2-price sale sign.",
        "An old man (approx. 70 years old) walks his dog.",
        "The shop is open Mon.–Fri., 9–5.",
        "The jersey number is #23.",
        "A baby’s first birthday cake with the number “1” on it.",
        "This is the Eiffel Tower in Paris, France.",
        "The photo shows Mt. Fuji in the background.",
        "Jan. 5, 2020 at 3:15 p.m. EST",
        "A group of people at a U.S.-Mexico border crossing.",
        "The Ph.D. student presents her work.",
        "John F. Kennedy airport",
        "A Washington, D.C. landmark.",
        "An ad for Acme Inc., Acme Corp. and Acme Ltd.",
        "A close-up of a bee on a flower; the bee's wings are visible.",
        "It reads: 'Caution: Wet Floor'.",
        "A man's T-shirt reads \"I'm with stupid →\".",
        "Two dogs — a poodle and a beagle — play tug-of-war.",
        "The screen displays an error: 404 Not Found.",
        "User ratings: ★★★★☆ (4/5).",
        "A recipe card: 2 eggs, 1½ cups flour, ¼ tsp salt.",
    ],
    "plain_ascii": [
        "a man riding a wave on top of a surfboard",
        "A man riding a wave on top of a surfboard.",
        "two dogs playing with a frisbee in the grass",
        "A kitchen with a stove, a sink and a refrigerator.",
        "A group of people standing around a table with food.",
        "A red double decker bus driving down a street.",
        "A cat laying on a bed next to a laptop.",
        "a bowl of fruit sitting on a wooden table",
        "A plate with a sandwich and french fries on it",
        "Several giraffes standing in a grassy field.",
        "A man in a suit and tie standing in a room.",
        "A train traveling down the tracks next to a forest",
        "A living room filled with furniture and a television.",
        "there is a woman that is holding an umbrella",
        "A black and white photo of a street sign.",
        "A pizza with cheese, pepperoni and olives.",
        "The man (in the red shirt) is smiling.",
        "A [bracketed] and {braced} word.",
        "He said: \"Don't stop\" -- and left...",
        "The dog is running; the cat is sleeping.",
        "Is it a cat? Yes! It is a cat.",
        "It's 10:30 a.m. and the U.S. team won.",
        "Mr. and Mrs. Smith visit St. Louis.",
        "The co-op's well-known e-mail address.",
        "A 1,000-piece puzzle for $9.99.",
        "50% off & free shipping",
        "and/or w/o km/h 24/7",
        "I'm you're he's she'd we'll they've",
        "isn't aren't wasn't weren't won't can't",
        "a.m. p.m. e.g. i.e. etc. vs. approx.",
        "A sign that says STOP.",
        "Photo by John F.",
        "The Beatles: A Hard Day's Night",
        "A B C D E F G",
        "x y z.",
        "COVID-19 testing site",
        "a 3D printer, a 4K monitor and an MP3 player",
        "The year 2019 and the year 2020.",
        "A man with a beard :) and a woman :(",
        "A <b>bold</b> tag in text.",
        "C++ and C# programmers",
        "The dog's owner's car.",
        "A frisbee... in the air!",
        "it is a photo of a dog , a cat .",
        "man with hat -lrb- brown -rrb-",
        "'quoted' \"double\"",
        "trailing space ",
        "  leading spaces",
        "tab\there",
        "MiXeD CaSe WoRdS",
    ],
}


# End-to-end set (tests/metrics/test_caption_unicode_parity.py): predictions that differ from a reference only
# by curly instead of straight apostrophes (BLEU-4 must be 1.0), beside ordinary ones.
CURLY_PREDICTIONS: dict[str, str] = {
    "1": "A dog’s ball is lying on the grass.",
    "2": "It’s a cat that’s sleeping on the couch.",
    "3": "The man doesn’t want to cross the street.",
    "4": "Two children’s bikes are parked by the wall.",
    "5": "She’s holding the kids’ umbrellas in the rain.",
    "6": "They’re waiting for the bus at the station.",
    "7": "A chef’s knife and a cutting board with onions.",
    "8": "We’ll see a plane that’s taking off.",
}
CURLY_REFERENCES: dict[str, list[str]] = {
    "1": ["A dog's ball is lying on the grass.", "A red ball lies on the lawn next to a dog."],
    "2": ["It's a cat that's sleeping on the couch.", "A grey cat sleeps on a sofa."],
    "3": ["The man doesn't want to cross the street.", "A man waits at a crosswalk."],
    "4": ["Two children's bikes are parked by the wall.", "Two small bicycles lean against a wall."],
    "5": ["She's holding the kids' umbrellas in the rain.", "A woman with umbrellas stands in the rain."],
    "6": ["They're waiting for the bus at the station.", "People wait at a bus stop."],
    "7": ["A chef's knife and a cutting board with onions.", "Onions are chopped on a wooden board."],
    "8": ["We'll see a plane that's taking off.", "An airplane takes off from the runway."],
}


def corpus_entries() -> list[tuple[str, str]]:
    """(class, caption) pairs in corpus order."""
    return [(name, caption) for name, captions in CORPUS.items() for caption in captions]


def _visible_json(document: object) -> str:
    """JSON with readable text but every invisible character (spaces other than " ", controls, format and
    line/paragraph separators, soft hyphen) written as a ``\\uXXXX`` escape, so diffs and editors show them."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return "".join(
        f"\\u{ord(char):04x}" if char != " " and unicodedata.category(char) in {"Zs", "Zl", "Zp", "Cc", "Cf"}
        and char != "\n" else char
        for char in text
    )


def _java_raw_lines(lines: list[str]) -> list[str]:
    """The jar's raw output lines (before pycocoevalcap's punctuation filter), one per input line."""
    import subprocess
    import tempfile

    from metrics.captions.ptb_tokenizer import java_ptb_jar

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lines.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        command = ["java", "-cp", str(java_ptb_jar()), "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines",
                   "-lowerCase", str(path)]
        output = subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8").split("\n")
    if len(output) < len(lines):
        raise RuntimeError(f"the jar returned {len(output)} lines for {len(lines)}")
    return output[: len(lines)]


def _character_class(c: int, out: dict[str, str]) -> str:
    """LETTER, MARK, DIGIT or SYMBOL from the jar's outputs for one code point in a few contexts, or "" (deleted
    or handled by a special rule)."""
    low = chr(c).lower()
    alone = out["{c}"]
    if out["a{c}b"] == f"a{low}b" and alone == low:
        joins_digits = out["1{c}2"] == f"1{low}2"
        if joins_digits and out["1,{c}{c}{c}"] == "1," + low * 3:
            return "DIGIT"
        if joins_digits and (out["{c}-{c}"] == f"{low}-{low}" or c == 0x3A3):  # Σ: only final-sigma lower-casing
            return "LETTER"
        return "MARK" if out["1{c}2"] == f"1 {low}2" else ""
    if alone and out["a{c}b"] == f"a {alone} b" and out["{c}{c}"] == f"{alone} {alone}":
        return "SYMBOL"
    return ""


def probe_tables() -> str:
    """The embedded character tables, re-measured on the jar, in the module's format."""
    line_breaks = {0x85, 0x2028, 0x2029}  # (U+0085 is the jar's cp1252 ellipsis; it is mapped explicitly)
    code_points = [c for c in range(0x80, 0x10000) if not 0xD800 <= c <= 0xDFFF and c not in line_breaks]
    templates = ["{c}", "a{c}b", "1{c}2", "1,{c}{c}{c}", "{c}-{c}", "{c}{c}"]
    outputs = {t: _java_raw_lines([t.replace("{c}", chr(c)) for c in code_points]) for t in templates}
    classes: dict[str, list[int]] = {"LETTER": [], "MARK": [], "DIGIT": [], "SYMBOL": []}
    for i, c in enumerate(code_points):
        name = _character_class(c, {t: outputs[t][i] for t in templates})
        if name:
            classes[name].append(c)
    blocks = []
    for name, members in classes.items():
        ranges: list[list[int]] = []
        for c in members:
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
        lines, line = [], ""
        for low, high in ranges:
            item = f"{low:x}" if low == high else f"{low:x}-{high:x}"
            if len(line) + len(item) + 1 > 112:
                lines.append(line)
                line = item
            else:
                line = f"{line} {item}".strip()
        blocks.append(f'_{name}_RANGES = """\n' + "\n".join([*lines, line]) + '\n"""')
    return "\n".join(blocks)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    if sys.argv[1:] == ["--tables"]:
        print(probe_tables())
        return 0
    from metrics.captions.ptb_tokenizer import JavaPTBTokenizer

    entries = corpus_entries()
    java = JavaPTBTokenizer().tokenize([caption for _, caption in entries])
    document = {
        "about": (
            "Captions of the kinds language models write (Unicode punctuation, symbols, spaces, scripts, emoji, "
            "model-style and plain ASCII captions) and what pycocoevalcap 1.2's tokenizer makes of each: Stanford "
            "CoreNLP 3.4.1 PTBTokenizer -preserveLines -lowerCase (Java 17), then pycocoevalcap's punctuation "
            "filter; line breaks inside a caption were turned into spaces first (JavaPTBTokenizer). All captions "
            "were tokenised as ONE batch in this order (the lexer looks across line ends). Regenerate with "
            "tests/metrics/data/make_ptb_unicode_corpus.py."
        ),
        "classes": {name: len(captions) for name, captions in CORPUS.items()},
        "strings": [{"class": name, "input": caption, "java": tokens}
                    for (name, caption), tokens in zip(entries, java, strict=True)],
    }
    path = Path(__file__).with_name("ptb_unicode_corpus.json")
    path.write_text(_visible_json(document) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} strings in {len(CORPUS)} classes to {path}")
    write_curly_captions()
    return 0


def write_curly_captions() -> None:
    """The end-to-end set, tokenised by pycocoevalcap's own PTBTokenizer class (gts and res separately, as
    pycocoevalcap's evaluation does)."""
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    gts = {k: [{"caption": c} for c in refs] for k, refs in CURLY_REFERENCES.items()}
    res = {k: [{"caption": c}] for k, c in CURLY_PREDICTIONS.items()}
    document = {
        "about": (
            "Predictions that differ from one reference only by curly apostrophes, and what pycocoevalcap 1.2's "
            "PTBTokenizer class (CoreNLP 3.4.1, Java 17) makes of gts and res. Regenerate with "
            "tests/metrics/data/make_ptb_unicode_corpus.py."
        ),
        "predictions": CURLY_PREDICTIONS,
        "references": CURLY_REFERENCES,
        "pycocoevalcap_res": PTBTokenizer().tokenize(res),
        "pycocoevalcap_gts": PTBTokenizer().tokenize(gts),
    }
    path = Path(__file__).with_name("ptb_curly_captions.json")
    path.write_text(_visible_json(document) + "\n", encoding="utf-8")
    print(f"wrote {len(CURLY_PREDICTIONS)} images to {path}")


if __name__ == "__main__":
    raise SystemExit(main())
