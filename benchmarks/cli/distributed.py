"""Joining torchrun's process group for ``nextgpt-bench run``, with a timeout long enough for scoring.

Under torchrun rank 0 scores each task alone while the other ranks wait at a barrier. A collective that waits
longer than the process group's timeout aborts the waiting ranks, and PyTorch's defaults (10 minutes for NCCL,
30 for gloo) are shorter than scoring a large FID/KID task. The timeout is therefore set explicitly: 6 hours
unless ``$NEXTGPT_BENCH_DIST_TIMEOUT_S`` says otherwise. It also bounds how long the surviving ranks wait at a
barrier for a rank that died.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import timedelta

from nextgpt.core.errors import ConfigError

#: The environment variable that sets the process group's timeout, in seconds (a positive number).
TIMEOUT_VARIABLE = "NEXTGPT_BENCH_DIST_TIMEOUT_S"
#: The default timeout: far above the longest scoring of one task seen, yet finite, so a dead rank is noticed.
DEFAULT_TIMEOUT_S = 6 * 3600.0


def process_group_timeout(environ: Mapping[str, str] | None = None) -> timedelta:
    """``$NEXTGPT_BENCH_DIST_TIMEOUT_S`` as a timedelta (``DEFAULT_TIMEOUT_S`` when unset or blank); a value that
    is not a positive finite number of seconds is a ConfigError naming the variable and the value."""
    environ = os.environ if environ is None else environ
    value = environ.get(TIMEOUT_VARIABLE, "").strip()
    if not value:
        return timedelta(seconds=DEFAULT_TIMEOUT_S)
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(f"{TIMEOUT_VARIABLE}={value!r} is not a timeout; expected a positive number of seconds "
                          f"(e.g. 21600 for 6 hours), or unset for the default of {DEFAULT_TIMEOUT_S:.0f}")
    return timedelta(seconds=seconds)


def init_distributed(device: str, environ: Mapping[str, str] | None = None) -> bool:
    """Join the process group when started by torchrun (gloo on CPU, nccl on CUDA) -> whether it joined.

    The timeout is resolved before torch is imported, so that a bad value fails at once on every rank."""
    environ = os.environ if environ is None else environ
    if int(environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    timeout = process_group_timeout(environ)
    import torch.distributed

    backend = "nccl" if device.startswith("cuda") else "gloo"
    torch.distributed.init_process_group(backend=backend, timeout=timeout)
    if backend == "nccl":
        import torch

        torch.cuda.set_device(int(environ.get("LOCAL_RANK", "0")))
    return True
