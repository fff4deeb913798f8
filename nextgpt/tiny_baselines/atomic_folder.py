"""The one way a tiny baseline folder is written: filled beside its target and renamed into place.

Every writer of ``nextgpt.tiny_baselines`` (and ``baselines write-tiny``) goes through
:func:`write_folder_atomically`, so a crash never leaves a half-written model folder behind and no existing
folder -- a user's downloaded pipeline, a trained run, an earlier tiny baseline -- is ever replaced: the target must
be new or empty.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import torch

from nextgpt.core.errors import ConfigError

#: The seed every tiny baseline folder draws its random weights from (a writer may reseed inside).
WEIGHTS_SEED = 0


def check_new_folder(folder: Path, *, what: str = "the tiny baseline") -> None:
    """Refuse a ``folder`` that exists and is not an empty folder: writing there would destroy what it holds."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(f"{folder} already exists and is not an empty folder; choose a new folder for {what} "
                          "(nothing is overwritten)")


def write_folder_atomically(folder: Path, write: Callable[[Path], None], *,
                            what: str = "the tiny baseline") -> Path:
    """Let ``write`` fill a fresh folder beside ``folder`` (torch seeded with ``WEIGHTS_SEED``, the caller's random
    state kept) and move it into place in one rename. ``folder`` must be new or empty; its parents are created.
    ``what`` names the content in the refusal."""
    folder = Path(folder)
    check_new_folder(folder, what=what)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}.partial"
    staging.mkdir()  # not mkdtemp: the folder gets the user's usual permissions, not 0700
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(WEIGHTS_SEED)
            write(staging)
        if folder.exists():
            folder.rmdir()  # empty, checked above; rmdir fails rather than delete anything written meanwhile
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder
