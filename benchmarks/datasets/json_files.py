"""Reading the text and JSON files of a dataset: every way a file can be unusable is a DatasetError that names it.

JSON objects with a repeated key are refused (``json`` would keep the last value and drop the others without a
word), as are files that are not UTF-8 text (an image given where an annotation file was expected).  A UTF-8
byte-order mark is accepted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nextgpt.core.errors import DatasetError
from nextgpt.core.json_keys import DuplicateKeysError, reject_duplicate_keys

__all__ = ["DuplicateKeysError", "parse_json", "read_json", "read_text", "reject_duplicate_keys"]


def read_text(path: Path, *, expected: str) -> str:
    """The UTF-8 text of ``path``; ``expected`` says what the file should be (for the messages)."""
    if path.is_dir():
        raise DatasetError(f"{path} is a folder; expected {expected}")
    if not path.is_file():
        raise DatasetError(f"{path} does not exist; expected {expected}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error.strerror or error}; expected {expected}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path} is not UTF-8 text (byte {error.start}: {error.reason}; a binary file such as "
                           f"an image, or another encoding such as UTF-16 or Latin-1?); expected {expected}"
                           ) from error


def parse_json(text: str, *, where: str, expected: str) -> Any:
    """JSON with repeated keys refused; ``where`` names the file (and line) in the messages."""
    try:
        return json.loads(text, object_pairs_hook=reject_duplicate_keys)
    except DuplicateKeysError as error:
        raise DatasetError(f"{where}: an object repeats the key(s) {error}; each key may appear once (JSON keeps "
                           "only the last value of a repeated key)") from error
    except json.JSONDecodeError as error:
        raise DatasetError(f"{where}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno}); "
                           f"expected {expected}") from error
    except RecursionError as error:
        raise DatasetError(f"{where}: JSON nested too deeply to read; expected {expected}") from error


def read_json(path: Path, *, expected: str) -> Any:
    return parse_json(read_text(path, expected=expected), where=str(path), expected=expected)
