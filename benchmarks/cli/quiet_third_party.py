"""The third-party output the CLI hides, each with the reason; the test suite keeps all of it visible.

Nothing here is a problem of the user's run: a library's notice about its own API, or a progress bar for loading a
1 MB checkpoint.  Hidden only in the CLI, only while a command runs, and not when the user asks to see it:
``--verbose``, ``python -W ...`` / ``PYTHONWARNINGS`` (warning filters), ``DIFFUSERS_VERBOSITY`` /
``TRANSFORMERS_VERBOSITY`` (those libraries' log levels) or ``HF_HUB_DISABLE_PROGRESS_BARS`` (Hugging Face progress
bars) set by the user win.  Everything is put back as it was when the block ends.  docs/output.md lists the same
things for users.
"""

from __future__ import annotations

import contextlib
import logging
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

#: libraries whose log warnings are hidden (their loggers show errors only): name -> (the environment variable
#: with which a user sets its level, which then wins; why it is hidden)
HIDDEN_LIBRARY_LOGS: dict[str, tuple[str, str]] = {
    "diffusers": ("DIFFUSERS_VERBOSITY",
                  "diffusers logs 'The AudioLDMPipeline has been deprecated ...' (and the like) each time a decoder "
                  "pipeline is built; the pipelines are used as plain samplers, whose code does not change"),
    "transformers": ("TRANSFORMERS_VERBOSITY",
                     "transformers logs advice for interactive users (generation config defaults, tokenizer "
                     "notices)"),
}


def library_log_levels(hide: bool, shown: int) -> dict[str, int | None]:
    """The level of each library in :data:`HIDDEN_LIBRARY_LOGS` for a command: errors only when ``hide``, else
    ``shown``; None (the library's own level) where the user set its environment variable."""
    return {library: None if variable in os.environ else logging.ERROR if hide else shown
            for library, (variable, _why) in HIDDEN_LIBRARY_LOGS.items()}


@contextlib.contextmanager
def quiet_third_party(enabled: bool = True) -> Iterator[None]:
    """Hide the known third-party warnings and progress bars for the block (nothing when ``enabled`` is False);
    undone afterwards.  The libraries' log levels are set with :func:`library_log_levels`.

    Call it inside ``warnings.catch_warnings()``: the warning filters it adds are removed with that block.
    """
    if not enabled:
        yield
        return
    if not sys.warnoptions:  # the user's -W / PYTHONWARNINGS choice is kept as it is
        for message, category, _why in HIDDEN_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
    with _no_hub_progress_bars():
        yield


@contextlib.contextmanager
def _no_hub_progress_bars() -> Iterator[None]:
    """No Hugging Face progress bars: transformers draws "Loading weights" for every checkpoint it reads (21 tensors
    of the shipped 1 MB model).

    huggingface_hub keeps one switch per group of bars, and transformers its own, which it copies from the hub's
    global one when it is imported (and its enable/disable calls set the hub's too).  Both are off for the block;
    afterwards transformers' switch is put back first -- for a transformers imported inside the block, to what its
    import would have copied -- then the hub's switches exactly as they were.
    """
    from huggingface_hub import constants
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars
    from huggingface_hub.utils.tqdm import progress_bar_states

    if constants.HF_HUB_DISABLE_PROGRESS_BARS is not None:  # the user's HF_HUB_DISABLE_PROGRESS_BARS decides
        yield
        return
    hub_states = dict(progress_bar_states)
    transformers_logging = sys.modules.get("transformers.utils.logging")
    transformers_was_on = (transformers_logging.is_progress_bar_enabled() if transformers_logging is not None
                           else not are_progress_bars_disabled())
    disable_progress_bars()
    if transformers_logging is not None:
        transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        transformers_logging = sys.modules.get("transformers.utils.logging")  # perhaps imported in the block
        if transformers_logging is not None:
            if transformers_was_on:
                transformers_logging.enable_progress_bar()
            else:
                transformers_logging.disable_progress_bar()
        progress_bar_states.clear()
        progress_bar_states.update(hub_states)
