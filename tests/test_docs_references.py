"""Docs stand alone: no file refers to a document that is not in the repository, and no link is broken.

Every file git knows (tracked, plus new files that are not ignored) is read. What counts as a reference:

* markdown links and images (``[text](path.md#anchor)``, ``![alt](img.png)``, ``[label]: path`` definitions,
  ``src=``/``href=`` of inline HTML): the target must exist relative to the markdown file, as GitHub resolves it
  (a leading ``/`` means the repository root), whatever its type -- a document, an image, a folder, a .py file;
* mentions of a ``*.md`` file anywhere else (``CONVENTIONS.md`` in a docstring, ``metrics/README.md#intervals``
  in a help text, a backticked path in prose): the document must exist relative to the mentioning file or to the
  repository root.  In Python only comments and strings with prose in them count: a string that is nothing but a
  file name (``name="board.md"``) is a file the code writes, not a document it points to;
* a ``#anchor`` into a markdown file must be the GitHub slug of one of its headings, so moving a section
  breaks this test rather than the links to it.

External URLs (``https://...``, ``mailto:``) are never checked, and neither is this file, whose own tests name
documents that do not exist on purpose.
"""

from __future__ import annotations

import io
import re
import subprocess
import tokenize
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()

URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s)>\]\"'`]*")
SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\"|\s+'[^']*')?\s*\)")
LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_TARGET = re.compile(r"\b(?:src|href)=\"([^\"]+)\"")
MD_MENTION = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w.-]*\w\.md)(#[\w-]+)?(?![\w/-])")
ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")


@dataclass(frozen=True)
class Reference:
    """One place that points at a file: where it is written and what it names."""

    source: str  # repository-relative POSIX path of the referring file
    line: int
    target: str  # as written, anchor included
    is_link: bool  # a markdown link (resolved against its file only) or a mention (file or repository root)


def repository_files(root: Path) -> list[str]:
    """The files git knows: tracked ones that still exist plus new ones that are not ignored."""
    if not (root / ".git").exists():
        pytest.skip(f"{root} is not a git checkout: the files to check come from `git ls-files`")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=True).stdout.decode("utf-8")
    return sorted({name for name in listed.split("\0") if name and (root / name).is_file()})


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file (a NUL byte or not UTF-8)."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def markdown_prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks: where links and headings live."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opened = FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0] * len(opened.group(1))
        elif fence is not None and opened and opened.group(1).startswith(fence):
            fence = None
        elif fence is None:
            yield number, line


def markdown_links(text: str) -> Iterator[tuple[int, str]]:
    for number, raw_line in markdown_prose_lines(text):
        line = INLINE_CODE.sub(_blank, raw_line)  # `[x](y)` in backticks is code, not a link
        targets = [match.group(1) for match in INLINE_LINK.finditer(line)]
        targets += [match.group(1) for match in LINK_DEFINITION.finditer(line)]
        targets += [match.group(1) for match in HTML_TARGET.finditer(line)]
        for target in targets:
            yield number, target.strip("<>")


def mentions(text: str, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """Every ``*.md`` name in free text, URLs left out."""
    without_urls = URL.sub(_blank, text)
    for match in MD_MENTION.finditer(without_urls):
        yield first_line + _line_of(without_urls, match.start()) - 1, match.group(1) + (match.group(2) or "")


def python_prose(text: str) -> Iterator[tuple[int, str]]:
    """Comments and strings that hold prose (docstrings, help texts, messages), with their first line."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
            elif token.type == tokenize.STRING:
                body = re.sub(r"^[A-Za-z]*('''|\"\"\"|'|\")|('''|\"\"\"|'|\")$", "", token.string)
                if re.search(r"\s", body):
                    yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError):
        yield 1, text


def references(source: str, text: str) -> Iterator[Reference]:
    if source.endswith(".md"):
        for line, target in markdown_links(text):
            yield Reference(source, line, target, is_link=True)
    pieces = python_prose(text) if source.endswith(".py") else iter([(1, text)])
    for first_line, piece in pieces:
        for line, target in mentions(piece, first_line):
            yield Reference(source, line, target, is_link=False)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text lower-cased, punctuation dropped, spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text, not its target
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of a markdown file: its headings' slugs (repeats numbered as GitHub does) and HTML anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in markdown_prose_lines(markdown):
        heading = ATX_HEADING.match(line)
        if heading:
            slug = github_slug(heading.group(1))
            found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    found.update(match.group(1) for match in HTML_ANCHOR.finditer(markdown))
    return found


def _normal(path: PurePosixPath) -> str | None:
    """A repository-relative path with ``..`` folded, or None when it leaves the repository."""
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in (".", "/"):
            parts.append(part)
    return "/".join(parts)


def problem(root: Path, reference: Reference, files: set[str]) -> str | None:
    """What is wrong with one reference (None when it resolves), in words naming the file, line and target."""
    target = reference.target
    if SCHEME.match(target):
        return None
    path_part, _, anchor = target.partition("#")
    path_part = unquote(path_part)
    here = PurePosixPath(reference.source).parent
    if not path_part:
        candidates = [reference.source]
    elif path_part.startswith("/"):
        candidates = [_normal(PurePosixPath(path_part))]
    elif reference.is_link:
        candidates = [_normal(here / path_part)]
    else:
        candidates = [_normal(here / path_part), _normal(PurePosixPath(path_part))]
    existing = [c for c in candidates if c is not None and (root / c).exists()]
    where = f"{reference.source}:{reference.line}"
    if not existing:
        tried = " or ".join(repr(c) for c in dict.fromkeys(candidates) if c is not None) or "(outside the repository)"
        return f"{where}: refers to {target!r}, which is not in the repository (looked for {tried})"
    resolved = existing[0]
    if resolved and resolved not in files and (root / resolved).is_file():
        return f"{where}: refers to {target!r}, which exists here but is not a file of the repository (git)"
    if anchor and resolved.endswith(".md") and (root / resolved).is_file():
        known = anchors((root / resolved).read_text(encoding="utf-8"))
        if anchor not in known:
            return (f"{where}: refers to {target!r}, but {resolved} has no heading with the anchor #{anchor} "
                    f"(its anchors: {', '.join(sorted(known)) or 'none'})")
    return None


def problems(root: Path, names: list[str]) -> list[str]:
    """One message per broken (file, line, target): a link's target is also seen as a mention of it."""
    found: dict[tuple[str, int, str], str] = {}
    files = set(names)
    for name in names:
        text = read_text(root / name)
        if text is None:
            continue
        for reference in references(name, text):
            key = (reference.source, reference.line, reference.target)
            if key not in found and (message := problem(root, reference, files)):
                found[key] = message
    return list(found.values())


def test_every_referenced_document_and_link_target_is_in_the_repository() -> None:
    broken = problems(ROOT, [name for name in repository_files(ROOT) if name != THIS_FILE])
    assert not broken, "broken references to documents or link targets:\n" + "\n".join(broken)


# ---- the checker itself: each kind of breakage is found, and nothing that is fine is flagged


def _tree(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return sorted(files)


def test_a_mention_of_a_missing_document_is_reported_with_file_and_line(tmp_path: Path) -> None:
    names = _tree(tmp_path, {
        "pkg/model.py": '"""The model.\n\nFollows the paper (NEXTGPT.md)."""\nOUT = "board.md"  # see guide.md\n',
        "docs/guide.md": "# Guide\n",
    })
    assert problems(tmp_path, names) == [
        "pkg/model.py:3: refers to 'NEXTGPT.md', which is not in the repository "
        "(looked for 'pkg/NEXTGPT.md' or 'NEXTGPT.md')",
        "pkg/model.py:4: refers to 'guide.md', which is not in the repository (looked for 'pkg/guide.md' or "
        "'guide.md')",
    ]


def test_links_resolve_against_their_own_file_and_external_urls_are_left_alone(tmp_path: Path) -> None:
    names = _tree(tmp_path, {
        "README.md": "[arch](ARCHITECTURE.md) ![shot](docs/shot.png) [web](https://example.org/NOPE.md) "
                     "<https://example.org/x.md> [mail](mailto:a@b.c)\n",
        "ARCHITECTURE.md": "# Architecture\n",
        "docs/guide.md": "[up](../ARCHITECTURE.md) [wrong](ARCHITECTURE.md) [code](../src/) `not a [link](x.md)`\n",
        "src/a.py": "",
    })
    assert problems(tmp_path, names) == [
        "README.md:1: refers to 'docs/shot.png', which is not in the repository (looked for 'docs/shot.png')",
        "docs/guide.md:1: refers to 'ARCHITECTURE.md', which is not in the repository "
        "(looked for 'docs/ARCHITECTURE.md')",
        "docs/guide.md:1: refers to 'x.md', which is not in the repository (looked for 'docs/x.md' or 'x.md')",
    ]


def test_anchors_must_be_headings_of_the_target(tmp_path: Path) -> None:
    names = _tree(tmp_path, {
        "a.md": "# Title\n## Signal tokens: missing, `partial` or [runaway](b.md)\n## Usage\n## Usage\n"
                "```\n# not a heading\n```\n"
                "[self](#usage-1) [ok](b.md#the-model-nextgptmodel) [gone](#not-a-heading)\n",
        "b.md": "# The model (`nextgpt/model/`)\n",
        "c.py": "# metrics in a.md#signal-tokens-missing-partial-or-runaway, not a.md#intervals\n",
    })
    slug = github_slug("metrics/ — scores you can put beside a paper's")
    assert slug == "metrics--scores-you-can-put-beside-a-papers"
    assert problems(tmp_path, names) == [
        "a.md:8: refers to '#not-a-heading', but a.md has no heading with the anchor #not-a-heading (its anchors: "
        "signal-tokens-missing-partial-or-runaway, title, usage, usage-1)",
        "c.py:1: refers to 'a.md#intervals', but a.md has no heading with the anchor #intervals (its anchors: "
        "signal-tokens-missing-partial-or-runaway, title, usage, usage-1)",
    ]
