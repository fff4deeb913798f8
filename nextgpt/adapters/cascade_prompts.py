"""The texts a cascade writes for its components: the LLM's turn, and a generator's prompt.

The LLM gets the conversation as a request of its own: the request's ``history`` as it is, so the LLM's adapter
writes the turns in the LLM's own format (its chat template), and this user turn::

    [Attached image: <caption>]        (one line per input medium, in input order)
    <the request's text>
    (Answer with one sentence that describes the image to create.)   (only when outputs were chosen)

A generator then gets either the LLM's answer (``generator_prompt="llm"``: the LLM writes the description, as
tool-using cascades do) or the user's own words (``"user"``: the request's text, after the input media's captions
so that an edit instruction comes with a description of what it edits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from nextgpt.core.modalities import Modality

#: What a generator is prompted with (see the module docstring).
GeneratorPrompt = Literal["llm", "user"]
GENERATOR_PROMPTS: tuple[GeneratorPrompt, ...] = ("llm", "user")

#: how a medium is named to the LLM (attachment lines and the output instruction)
MEDIUM_NOUNS: dict[Modality, str] = {"image": "image", "video": "video", "audio": "sound"}
ATTACHMENT_LINE = "[Attached {noun}: {caption}]"
OUTPUT_LINE = "(Answer with one sentence that describes the {nouns} to create.)"


def llm_turn(text: str, *, captions: Sequence[tuple[Modality, str]], outputs: Sequence[Modality]) -> str:
    """The user turn the LLM answers for one request (template in the module docstring)."""
    lines = [ATTACHMENT_LINE.format(noun=MEDIUM_NOUNS[modality], caption=caption) for modality, caption in captions]
    lines.append(text)
    if outputs:
        lines.append(OUTPUT_LINE.format(nouns=" and ".join(MEDIUM_NOUNS[modality] for modality in outputs)))
    return "\n".join(lines)


def user_generator_prompt(text: str, captions: Sequence[str]) -> str:
    """A generator's prompt from the user's own words: the input media's captions, then the request's text."""
    parts = [caption.strip().rstrip(".").strip() for caption in captions] + [text.strip()]
    return ". ".join(part for part in parts if part)


def captions_answer(captions: Sequence[str]) -> str:
    """The text answer of a cascade without an LLM: its input media's captions, one sentence each."""
    return " ".join(caption.strip() for caption in captions if caption.strip())
