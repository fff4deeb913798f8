"""The generic JSONL manifest: one sample per line, media paths relative to the manifest's folder.

```
{"id": "cat-1", "inputs": [{"modality": "image", "path": "images/cat-1.png"}], "captions": ["a cat on a mat"]}
{"id": "t2a-7", "captions": ["a dog barks"], "targets": [{"modality": "audio", "path": "wav/7.wav"}]}
{"id": "edit-3", "inputs": [...], "instruction": "make it red", "targets": [...], "captions": ["a red car"]}
{"id": "chat-1", "turns": [{"text": "draw a cat", "expected_outputs": ["image"], "answer": "here is a cat"}]}
```

Fields: ``id`` (required, unique), ``inputs`` / ``targets`` (lists of ``{"modality", "path"}``), ``captions``
(list of strings), ``instruction`` (string), ``turns`` (list of ``{"text", "media", "expected_outputs",
"reference_captions", "answer"}``), ``metadata`` (object).  Unknown fields are errors (a typo must not
silently drop data).
The built-in synthetic world is written in this format and read by this loader.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.datasets.json_files import parse_json, read_text
from benchmarks.datasets.paths import require_files, resolve_inside
from benchmarks.datasets.samples import Dataset, MediaFile, Sample, Turn
from nextgpt.core.errors import DatasetError
from nextgpt.core.modalities import MODALITIES, Modality

_SAMPLE_FIELDS = {"id", "inputs", "captions", "targets", "instruction", "turns", "metadata"}
_TURN_FIELDS = {"text", "media", "expected_outputs", "reference_captions", "answer"}


MANIFEST_EXPECTED = "a JSONL manifest (one JSON object per line, see benchmarks/datasets/manifest.py)"


def load_manifest(path: str | Path, *, name: str | None = None, check_files: bool = True) -> Dataset:
    path = Path(path)
    text = read_text(path, expected=MANIFEST_EXPECTED)
    root = path.parent
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    shared = SharedValues()
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):  # lines as a file reads them
        if not line.strip():
            continue
        where = f"{path}:{number}"
        record = parse_json(line, where=where, expected=MANIFEST_EXPECTED)
        sample = parse_sample(record, root, where, shared)
        if sample.id in seen:
            raise DatasetError(f"{where}: duplicate id {sample.id!r} (first on line {seen[sample.id]})")
        seen[sample.id] = number
        samples.append(sample)
    if not samples:
        raise DatasetError(f"manifest {path} holds no samples; expected {MANIFEST_EXPECTED}")
    dataset = Dataset(name or path.stem, root, tuple(samples), source=str(path))
    if check_files:
        require_files(dataset.missing_files(), dataset=dataset.name)
    return dataset


class SharedValues:
    """What repeats across a manifest's samples, held once: its strings (a caption template's words, an attribute
    value such as "red"; ``json`` makes a new string for every occurrence, ``sys.intern`` keeps one while it is
    used) and its media files (a sample's input that is also its target), so that a dataset of 30,000 samples does
    not grow with the repetitions."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], MediaFile] = {}

    @staticmethod
    def text(value: str) -> str:
        return sys.intern(value)

    @staticmethod
    def value(value: Any) -> Any:
        """A metadata value: a string shared, anything else as it is."""
        return sys.intern(value) if type(value) is str else value

    def file(self, modality: Modality, relative: str, root: Path, where: str) -> MediaFile:
        """The file ``relative`` to the dataset ``root`` (checked to stay inside it), built once per modality."""
        key = (modality, relative)
        if key not in self._files:
            self._files[key] = MediaFile(modality, resolve_inside(root, relative, where=where))
        return self._files[key]


def parse_sample(record: Any, root: Path, where: str, shared: SharedValues | None = None) -> Sample:
    """One manifest line; ``shared``: the values already seen in this manifest (a fresh set when None)."""
    shared = shared or SharedValues()
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected a JSON object per line")
    unknown = sorted(set(record) - _SAMPLE_FIELDS)
    if unknown:
        raise DatasetError(f"{where}: unknown field(s) {', '.join(unknown)}; "
                           f"expected {', '.join(sorted(_SAMPLE_FIELDS))}")
    sample_id = record.get("id")
    if not isinstance(sample_id, str) or not sample_id:
        raise DatasetError(f"{where}: 'id' must be a non-empty string")
    instruction = record.get("instruction")
    if instruction is not None and not isinstance(instruction, str):
        raise DatasetError(f"{where}: 'instruction' must be a string")
    metadata = record.get("metadata", {})
    if not isinstance(metadata, dict):
        raise DatasetError(f"{where}: 'metadata' must be an object")
    turns = record.get("turns", [])
    if not isinstance(turns, list):
        raise DatasetError(f"{where}: 'turns' must be a list")
    return Sample(
        id=sample_id,
        inputs=_media_list(record.get("inputs", []), root, f"{where}: inputs", shared),
        captions=tuple(shared.text(c) for c in _strings(record.get("captions", []), f"{where}: captions")),
        targets=_media_list(record.get("targets", []), root, f"{where}: targets", shared),
        instruction=instruction if instruction is None else shared.text(instruction),
        turns=tuple(_turn(t, root, f"{where}: turns[{i}]", shared) for i, t in enumerate(turns)),
        metadata={shared.text(key): shared.value(value) for key, value in metadata.items()},
    )


def _media_list(items: Any, root: Path, where: str, shared: SharedValues) -> tuple[MediaFile, ...]:
    if not isinstance(items, list):
        raise DatasetError(f"{where}: expected a list of {{'modality', 'path'}} objects")
    files = []
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, dict) or set(item) != {"modality", "path"}:
            raise DatasetError(f"{here}: expected exactly the fields 'modality' and 'path', got {item!r}")
        if item["modality"] not in MODALITIES:
            raise DatasetError(f"{here}: unknown modality {item['modality']!r}; expected one of "
                               f"{', '.join(MODALITIES)}")
        files.append(shared.file(item["modality"], item["path"], root, here))
    return tuple(files)


def _strings(items: Any, where: str) -> tuple[str, ...]:
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise DatasetError(f"{where}: expected a list of strings")
    if any(not s.strip() for s in items):
        raise DatasetError(f"{where}: empty caption")
    return tuple(items)


def _turn(item: Any, root: Path, where: str, shared: SharedValues) -> Turn:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise DatasetError(f"{where}: expected an object with a 'text' string")
    unknown = sorted(set(item) - _TURN_FIELDS)
    if unknown:
        raise DatasetError(f"{where}: unknown field(s) {', '.join(unknown)}")
    outputs = item.get("expected_outputs", [])
    if not isinstance(outputs, list) or any(o not in MODALITIES for o in outputs):
        raise DatasetError(f"{where}: expected_outputs must list modalities among {', '.join(MODALITIES)}")
    answer = item.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise DatasetError(f"{where}: 'answer' must be a string")
    return Turn(text=item["text"], media=_media_list(item.get("media", []), root, f"{where}.media", shared),
                expected_outputs=frozenset(outputs),
                reference_captions=_strings(item.get("reference_captions", []), f"{where}.reference_captions"),
                answer=answer)


def write_manifest(path: Path, records: list[dict[str, Any]]) -> None:
    """Write records as JSONL atomically (temporary file, then rename)."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
    temporary.replace(path)
