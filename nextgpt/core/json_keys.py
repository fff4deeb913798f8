"""Repeated keys in a JSON object are an input error, not "the last one wins".

``json.loads`` keeps the last value of a repeated key and drops the others without a word; every reader of user
JSON (caption files, dataset annotations, gate rules, baselines) passes :func:`reject_duplicate_keys` as its
``object_pairs_hook`` and turns :class:`DuplicateKeysError` into its own error naming the file.
"""

from __future__ import annotations

from typing import Any


class DuplicateKeysError(ValueError):
    """A JSON object repeats keys; ``keys`` lists each repeated key once, in order of first repetition."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(", ".join(repr(k) for k in keys))
        self.keys = keys


def reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads``: the object as a dict, or DuplicateKeysError naming the keys."""
    seen: dict[str, Any] = {}
    repeated: list[str] = []
    for key, value in pairs:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen[key] = value
    if repeated:
        raise DuplicateKeysError(repeated)
    return seen
