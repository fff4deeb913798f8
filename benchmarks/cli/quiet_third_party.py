"""The third-party output the CLI hides, each with the reason; the test suite keeps all of it visible.

Nothing here is a problem of the user's run: a library's notice about its own API, or a progress bar for loading a
1 MB checkpoint.  Hidden only in the CLI, only while a command runs, and not when the user asks to see it:
``--verbose``, ``python -W ...`` / ``PYTHONWARNINGS`` (warning filters) or ``HF_HUB_DISABLE_PROGRESS_BARS``
(Hugging Face progress bars) set by the user win.  docs/output.md lists the same things for users.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator

#: (message regex, category, why it is hidden)
HIDDEN_WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    ("`is_gradient_checkpointing` is deprecated", FutureWarning,
     "peft probes transformers' deprecated alias when it wraps the LLM with LoRA; nothing a user can change, and "
     "it goes away when peft reads is_activation_checkpointing"),
)

#: environment variables that set a library's own logging level before it is imported (why: see the values)
LIBRARY_VERBOSITY = {
    # diffusers logs "The AudioLDMPipeline has been deprecated ..." (and the like) as a warning each time a decoder
    # pipeline is built; the pipelines are used as plain samplers, whose code does not change
    "DIFFUSERS_VERBOSITY": "error",
    # transformers logs advice for interactive users (generation config defaults, tokenizer notices)
    "TRANSFORMERS_VERBOSITY": "error",
}


@contextlib.contextmanager
def quiet_third_party(enabled: bool = True) -> Iterator[None]:
    """Hide the known third-party noise for the block (nothing when ``enabled`` is False); undone afterwards.

    Call it inside ``warnings.catch_warnings()``: the warning filters it adds are removed with that block.
    """
    if not enabled:
        yield
        return
    if not sys.warnoptions:  # the user's -W / PYTHONWARNINGS choice is kept as it is
        for message, category, _why in HIDDEN_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
    added = [name for name in LIBRARY_VERBOSITY if name not in os.environ]  # a value the user set is kept
    os.environ.update({name: LIBRARY_VERBOSITY[name] for name in added})
    try:
        with _no_hub_progress_bars():
            yield
    finally:
        for name in added:
            os.environ.pop(name, None)


@contextlib.contextmanager
def _no_hub_progress_bars() -> Iterator[None]:
    """No Hugging Face progress bars: transformers draws "Loading weights" for every checkpoint it reads (21 tensors
    of the shipped 1 MB model).  transformers decides once, when it is imported, from huggingface_hub's switch, so
    both are turned off now and back on afterwards (when they were on)."""
    from huggingface_hub import constants
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    if constants.HF_HUB_DISABLE_PROGRESS_BARS is not None:  # the user's HF_HUB_DISABLE_PROGRESS_BARS decides
        yield
        return
    hub_was_on = not are_progress_bars_disabled()
    transformers_logging = sys.modules.get("transformers.utils.logging")
    transformers_was_on = transformers_logging is None or transformers_logging.is_progress_bar_enabled()
    disable_progress_bars()
    if transformers_logging is not None:
        transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if hub_was_on:
            enable_progress_bars()
        transformers_logging = sys.modules.get("transformers.utils.logging")  # perhaps imported in the block
        if transformers_logging is not None and transformers_was_on and hub_was_on:
            transformers_logging.enable_progress_bar()
