"""Reading caption files: JSON ``{id: caption}`` / ``{id: [captions]}``, or JSONL lines.

JSONL lines are objects with an id field (``id``, ``image_id`` or ``video_id``) and a caption field
(``caption``, ``captions``, ``prediction`` or ``references``); several lines with the same id collect their
captions into one list (the COCO annotation layout). A COCO annotation file (``{"annotations": [...]}``) is
also accepted. Ids are compared as strings, so ``1`` and ``"1"`` are the same id.

A JSON object that repeats a key is refused, naming the keys: ``{"7": "a cat", "7": "a dog"}`` would keep only
the last caption without a word (while one id on several prediction lines is already refused).
"""

from __future__ import annotations

import json
from pathlib import Path

from metrics.errors import CaptionInputError
from nextgpt.core.json_keys import DuplicateKeysError, reject_duplicate_keys

_ID_FIELDS = ("id", "image_id", "video_id", "audio_id")
_CAPTION_FIELDS = ("caption", "captions", "prediction", "references", "text")


def _parse(text: str, where: str) -> object:
    """``json.loads`` refusing repeated keys (CaptionInputError naming them); JSONDecodeError passes through."""
    try:
        return json.loads(text, object_pairs_hook=reject_duplicate_keys)
    except DuplicateKeysError as error:
        raise CaptionInputError(f"{where}: the id(s) or field(s) {error} appear more than once in one JSON object; "
                                "JSON keeps only the last value -- give each once (several captions of one id go "
                                "in a list)") from error


def _add(table: dict[str, list[str]], key: object, value: object, where: str) -> None:
    if isinstance(value, str):
        table.setdefault(str(key), []).append(value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        table.setdefault(str(key), []).extend(value)
    else:
        raise CaptionInputError(f"{where}: caption for id {key!r} must be a string or a list of strings")


def _from_records(records: list[object], path: Path) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for number, record in enumerate(records, start=1):
        where = f"{path}: record {number}"
        if not isinstance(record, dict):
            raise CaptionInputError(f"{where} is not a JSON object")
        key = next((record[f] for f in _ID_FIELDS if f in record), None)
        field = next((f for f in _CAPTION_FIELDS if f in record), None)
        if key is None or field is None:
            raise CaptionInputError(
                f"{where} needs an id field ({'/'.join(_ID_FIELDS)}) and a caption field "
                f"({'/'.join(_CAPTION_FIELDS)}); it has {sorted(record)}"
            )
        _add(table, key, record[field], where)
    return table


def load_captions(path: str | Path) -> dict[str, list[str]]:
    """Captions per id (always a list) from a JSON or JSONL file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CaptionInputError(f"cannot read caption file {path}: {error}") from error
    stripped = text.lstrip()
    if not stripped:
        raise CaptionInputError(f"caption file {path} is empty")
    if path.suffix == ".jsonl" or (stripped.startswith("{") and "\n{" in stripped and not _is_json(stripped)):
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(_parse(line, f"{path}: line {number}"))
                except json.JSONDecodeError as error:
                    raise CaptionInputError(f"{path}: line {number} is not valid JSON ({error.msg})") from error
        return _from_records(records, path)
    try:
        data = _parse(text, str(path))
    except json.JSONDecodeError as error:
        raise CaptionInputError(f"{path}: not valid JSON at line {error.lineno} ({error.msg}); expected "
                                "{id: caption}, {id: [captions]} or JSONL") from error
    if isinstance(data, dict) and isinstance(data.get("annotations"), list):
        return _from_records(data["annotations"], path)
    if isinstance(data, list):
        return _from_records(data, path)
    if not isinstance(data, dict):
        raise CaptionInputError(f"{path}: expected a JSON object {{id: caption}}, got {type(data).__name__}")
    table: dict[str, list[str]] = {}
    for key, value in data.items():
        _add(table, key, value, str(path))
    return table


def _is_json(text: str) -> bool:
    try:
        json.loads(text, object_pairs_hook=reject_duplicate_keys)
    except json.JSONDecodeError:
        return False
    except DuplicateKeysError:
        return True  # one JSON document (with repeated keys, refused when it is read)
    return True


def load_predictions(path: str | Path) -> dict[str, str]:
    """One caption per id; several predictions for one id are an error."""
    table = load_captions(path)
    out: dict[str, str] = {}
    for key, captions in table.items():
        if len(captions) != 1:
            raise CaptionInputError(f"{path}: id {key!r} has {len(captions)} predictions; expected exactly one")
        out[key] = captions[0]
    return out
