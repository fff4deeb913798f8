"""How the transformers adapters decode: deterministically, with the token budget a request, the adapter's
settings or the folder decides.

Decoding never samples. Greedy search, or beam search when the folder's ``generation_config.json`` sets
``num_beams`` (published captioners often do), gives the same text for the same input whatever the seed and
whatever else is in the batch, so a request's seed has nothing to decide; the folder's sampling switches
(``do_sample``, ``temperature``, ``top_p``, ``top_k``) are turned off. The token budget is the request's
``max_new_tokens``, else the adapter settings', else ``fallback_max_new_tokens`` (None: the folder's own
generation config, whose ``max_length`` counts only the decoder's tokens for an encoder-decoder captioner).
"""

from __future__ import annotations

import copy
from typing import Any

from nextgpt.core.requests import GenerationRequest


def token_budget(request: GenerationRequest, settings_max_new_tokens: int | None,
                 fallback_max_new_tokens: int | None) -> int | None:
    """The request's ``max_new_tokens``, else the settings', else the fallback (None: the folder's config)."""
    for value in (request.max_new_tokens, settings_max_new_tokens):
        if value is not None:
            return value
    return fallback_max_new_tokens


def deterministic_config(base: Any, max_new_tokens: int | None) -> Any:
    """A copy of the folder's ``GenerationConfig`` that never samples and, when ``max_new_tokens`` is given,
    stops after that many new tokens (the folder's ``max_length`` is then dropped, so the two do not compete)."""
    config = copy.deepcopy(base)
    config.do_sample = False
    config.temperature = None
    config.top_p = None
    config.top_k = None
    if max_new_tokens is not None:
        config.max_new_tokens = max_new_tokens
        config.max_length = None
    return config
