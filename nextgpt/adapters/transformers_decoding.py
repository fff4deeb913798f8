"""How the transformers adapters decode: deterministically, with the token budget a request, the adapter's
settings or the folder decides.

Decoding never samples. Greedy search, or beam search when the folder's ``generation_config.json`` sets
``num_beams`` (published captioners often do), gives the same text for the same input whatever the seed and
whatever else is in the batch, so a request's seed has nothing to decide. At load time the folder's sampling
switches (``do_sample``, ``temperature``, ``top_p``, ``top_k``) are turned off in the loaded model's generation
config, and its ``max_length`` is taken out and kept by the adapter: a per-call ``max_new_tokens`` then never
competes with it (transformers warns on every call where both are set), and a call without a budget passes the
folder's ``max_length`` back explicitly.
"""

from __future__ import annotations

from typing import Any

from nextgpt.core.requests import GenerationRequest


def token_budget(request: GenerationRequest, settings_max_new_tokens: int | None,
                 fallback_max_new_tokens: int | None) -> int | None:
    """The request's ``max_new_tokens``, else the settings', else the fallback (None: the folder's config)."""
    for value in (request.max_new_tokens, settings_max_new_tokens):
        if value is not None:
            return value
    return fallback_max_new_tokens


def make_deterministic(model: Any) -> int | None:
    """Turn sampling off in the generation config of ``model`` and of every sub-model that generates on its own
    (BLIP's text decoder), and take out their ``max_length``; return the folder's ``max_length`` (None: unset)."""
    folder_max_length = getattr(model.generation_config, "max_length", None)
    for module in model.modules():
        config = getattr(module, "generation_config", None)
        if config is None:
            continue
        config.do_sample = False
        config.temperature = None
        config.top_p = None
        config.top_k = None
        config.max_length = None
    return folder_max_length


def until_end(token_ids: list[int], ends: int | list[int] | None) -> list[int]:
    """The generated ids up to (without) the first end token (``ends``: a generation config's
    ``eos_token_id``, one id, several or none): what follows is batch padding."""
    end_ids = set(ends if isinstance(ends, list) else [] if ends is None else [ends])
    for position, token_id in enumerate(token_ids):
        if token_id in end_ids:
            return token_ids[:position]
    return token_ids


def length_arguments(max_new_tokens: int | None, folder_max_length: int | None) -> dict[str, int]:
    """The ``generate`` keyword that bounds an answer: ``max_new_tokens`` when a budget is set, else the folder's
    ``max_length`` (nothing when the folder sets none: transformers' own default then applies)."""
    if max_new_tokens is not None:
        return {"max_new_tokens": max_new_tokens}
    return {} if folder_max_length is None else {"max_length": folder_max_length}
