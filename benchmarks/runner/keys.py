"""Seeds and generation-cache keys.

A sample's seed depends only on (run seed, task, sample id), never on batch size, order or process rank; the cache
key adds the model's content hash (``AnyToAnyModel.fingerprint``) and everything else that determines the output,
so a cached output is reused exactly when regenerating it would give the same result.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from nextgpt.core.file_hashes import sha256_file
from nextgpt.core.requests import GenerationRequest


def sample_seed(run_seed: int, task: str, sample_id: str) -> int:
    digest = hashlib.sha256(f"{run_seed}\x00{task}\x00{sample_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def _file_digest(path: Path, cache: dict[Path, str]) -> str:
    """sha256 of the file's bytes, hashed once per runner (``cache``): the digest every stored key was made with."""
    if path not in cache:
        cache[path] = sha256_file(path)
    return cache[path]


def cache_key(fingerprint: str, task: str, sample_id: str, turn: int, request: GenerationRequest,
              task_settings: dict[str, Any], file_digests: dict[Path, str]) -> str:
    """Everything that determines an output: model, task, sample, the request (text, input file contents, forced
    and allowed outputs, history, seed, step counts) and the task's settings."""
    media = [(m.modality, _file_digest(Path(m.source), file_digests)) if isinstance(m.source, (str, Path))
             else (m.modality, repr(m.source)) for m in request.media]
    payload = {
        "model": fingerprint, "task": task, "sample": sample_id, "turn": turn, "text": request.text,
        "media": media, "want": sorted(request.want),
        "allowed": None if request.allowed_outputs is None else sorted(request.allowed_outputs),
        "history": [list(pair) for pair in request.history], "seed": request.seed,
        "max_new_tokens": request.max_new_tokens, "steps": request.num_inference_steps,
        "guidance": request.guidance_scale, "settings": task_settings,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
