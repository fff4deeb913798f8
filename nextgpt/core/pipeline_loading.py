"""Reading a diffusers pipeline folder without diffusers' "Loading pipeline components..." bar.

NExT-GPT's decoders (a checkpoint may bundle them as pipeline folders) and the diffusers adapters are read as
parts of a model, which draws no bar of its own; the applications decide what to show (``nextgpt.core.progress``).
diffusers keeps one switch for every bar it draws, put back as it was afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def no_pipeline_loading_bar() -> Iterator[None]:
    from diffusers.utils import logging as diffusers_logging

    was_on = diffusers_logging.is_progress_bar_enabled()
    diffusers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            diffusers_logging.enable_progress_bar()
