"""Which media a cascade answers a request with: the one explicit rule, and its word lists.

A cascade has no signal tokens, so nothing inside it learned when to produce an image, a video or a sound. It
decides from the request alone, in this order:

1. ``want`` forces: the request's ``want`` modalities are produced, exactly those (a text-to-X or editing task).
2. Otherwise a keyword rule reads the user's message (not the history): a modality is chosen when the message
   contains, as a whole word and in any case, one of that modality's words in :data:`OUTPUT_WORDS`.
3. ``allowed_outputs`` limits what step 2 chose (captioning allows none, so it is answered with text only), and so
   do the generators the cascade has: a modality it cannot generate is never chosen by keyword. (A ``want`` it
   cannot generate is refused by the cascade, never dropped.)

Nothing else counts: no caption, no history, no LLM answer. No chosen modality means a text-only answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from nextgpt.core.modalities import MODALITIES, Modality
from nextgpt.core.requests import GenerationRequest

#: The words of a user's message that ask for each output modality (matched whole, case-insensitively). Nouns come
#: with their plurals; verbs that only make sense for one medium ("draw", "animate") are included, ambiguous ones
#: ("make", "show", "play") are not.
OUTPUT_WORDS: Mapping[Modality, frozenset[str]] = {
    "image": frozenset({"image", "images", "picture", "pictures", "photo", "photos", "photograph", "drawing",
                        "draw", "painting", "paint", "illustration", "sketch"}),
    "video": frozenset({"video", "videos", "clip", "clips", "animation", "animate", "movie", "film"}),
    "audio": frozenset({"sound", "sounds", "audio", "music", "song", "melody", "tone", "tones", "noise"}),
}

_WORD = re.compile(r"[a-z]+")


def keyword_outputs(message: str) -> frozenset[Modality]:
    """The modalities whose words (:data:`OUTPUT_WORDS`) occur in ``message``."""
    words = set(_WORD.findall(message.lower()))
    return frozenset(modality for modality in MODALITIES if words & OUTPUT_WORDS[modality])


def choose_outputs(request: GenerationRequest, generators: frozenset[Modality]) -> frozenset[Modality]:
    """The output modalities of ``request`` for a cascade that can generate ``generators`` (the module's rule)."""
    if request.want:
        return request.want
    chosen = keyword_outputs(request.text) & generators
    if request.allowed_outputs is not None:
        chosen &= request.allowed_outputs
    return chosen
