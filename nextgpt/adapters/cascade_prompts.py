"""The texts a cascade writes for its components: the LLM's prompt, how its answer is read, a generator's prompt.

The LLM sees the conversation as plain text (no chat template, so any causal LM reads it the same way)::

    You are a helpful assistant. You see images, videos and sounds through their descriptions, and you create
    them by describing them.
    User: <earlier user message>            (one pair per history turn, oldest first)
    Assistant: <earlier answer>
    The user shares an image: <caption>     (one line per input medium, in input order)
    User: <the request's text>
    (Answer with one sentence that describes the image to create.)   (only when outputs were chosen)
    Assistant:

The answer is what the LLM wrote up to its first ``User:`` line (a plain-text LLM tends to go on with the next
turn), stripped. A generator then gets either that answer (``generator_prompt="llm"``: the LLM wrote the
description, as tool-using cascades do) or the user's own words (``"user"``: the request's text, after the input
media's captions so that an edit instruction comes with a description of what it edits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from nextgpt.core.modalities import Modality

#: What a generator is prompted with (see the module docstring).
GeneratorPrompt = Literal["llm", "user"]
GENERATOR_PROMPTS: tuple[GeneratorPrompt, ...] = ("llm", "user")

SYSTEM_LINE = ("You are a helpful assistant. You see images, videos and sounds through their descriptions, and you "
               "create them by describing them.")
#: how a medium is named to the LLM (and in the output instruction)
MEDIUM_NOUNS: dict[Modality, str] = {"image": "an image", "video": "a video", "audio": "a sound"}
MEDIUM_LINE = "The user shares {noun}: {caption}"
OUTPUT_LINE = "(Answer with one sentence that describes the {nouns} to create.)"
USER_PREFIX = "User: "
ASSISTANT_PREFIX = "Assistant:"


def llm_prompt(text: str, *, history: Sequence[tuple[str, str]], captions: Sequence[tuple[Modality, str]],
               outputs: Sequence[Modality]) -> str:
    """The LLM's prompt for one request (template in the module docstring)."""
    lines = [SYSTEM_LINE]
    for user, answer in history:
        lines += [USER_PREFIX + user, f"{ASSISTANT_PREFIX} {answer}"]
    lines += [MEDIUM_LINE.format(noun=MEDIUM_NOUNS[modality], caption=caption) for modality, caption in captions]
    lines.append(USER_PREFIX + text)
    if outputs:
        nouns = " and ".join(MEDIUM_NOUNS[modality].split(" ", 1)[1] for modality in outputs)
        lines.append(OUTPUT_LINE.format(nouns=nouns))
    lines.append(ASSISTANT_PREFIX)
    return "\n".join(lines)


def read_answer(generated: str) -> str:
    """The LLM's answer: its text up to the first line that starts a new user turn, stripped."""
    kept = []
    for line in generated.splitlines():
        if line.lstrip().startswith(USER_PREFIX.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def user_generator_prompt(text: str, captions: Sequence[str]) -> str:
    """A generator's prompt from the user's own words: the input media's captions, then the request's text."""
    parts = [caption.strip().rstrip(".").strip() for caption in captions] + [text.strip()]
    return ". ".join(part for part in parts if part)


def captions_answer(captions: Sequence[str]) -> str:
    """The text answer of a cascade without an LLM: its input media's captions, one sentence each."""
    return " ".join(caption.strip() for caption in captions if caption.strip())
