"""Reading the JSON files of report/compare/gate/leaderboard (rules, snapshots, pytest-benchmark files): every way
a file can be unusable is a ReportInputError naming it and what was expected; repeated keys are refused (JSON
would keep only the last value)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nextgpt.core.json_keys import DuplicateKeysError, reject_duplicate_keys
from reports.errors import ReportInputError


def read_json_file(path: Path, *, what: str, expected: str) -> Any:
    """The parsed JSON of ``path``; ``what`` names the file's role ("rules file"), ``expected`` its format."""
    if path.is_dir():
        raise ReportInputError(f"{what} {path} is a folder; expected {expected}")
    if not path.is_file():
        raise ReportInputError(f"{what} {path} does not exist; expected {expected}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ReportInputError(f"cannot read {what} {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ReportInputError(f"{what} {path} is not UTF-8 text (byte {error.start}: {error.reason}; binary, or "
                               f"UTF-16/Latin-1?); expected {expected}") from error
    try:
        return json.loads(text, object_pairs_hook=reject_duplicate_keys)
    except DuplicateKeysError as error:
        raise ReportInputError(f"{what} {path}: an object repeats the key(s) {error}; give each key once "
                               "(JSON would keep only the last)") from error
    except json.JSONDecodeError as error:
        raise ReportInputError(f"{what} {path} is not valid JSON ({error.msg} at line {error.lineno} column "
                               f"{error.colno}); expected {expected}") from error
    except RecursionError as error:
        raise ReportInputError(f"{what} {path}: JSON nested too deeply; expected {expected}") from error
