"""The settings every adapter takes from the command line or a model config, checked in one place.

``None`` means "the adapter's own default" (e.g. 50 diffusion steps for a diffusers pipeline, the model's
``generation_config`` for a captioner). A request's own ``num_inference_steps`` / ``guidance_scale`` /
``max_new_tokens`` still override these per request, as for NExT-GPT.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nextgpt.core import validation
from nextgpt.core.errors import ConfigError

#: dtype names a user may give (``--dtype``), as torch dtypes
DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@dataclass(frozen=True)
class AdapterSettings:
    device: str = "cpu"
    dtype: str | None = None
    num_inference_steps: int | None = None
    guidance_scale: float | None = None
    max_new_tokens: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.device, str) or not self.device.strip():
            raise ConfigError(f"adapter settings: device must be a device name such as cpu or cuda:0, got "
                              f"{self.device!r}")
        if self.dtype is not None and self.dtype not in DTYPES:
            raise ConfigError(f"adapter settings: dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.num_inference_steps is not None:
            validation.positive_int(self.num_inference_steps, name="adapter settings: num_inference_steps")
        if self.guidance_scale is not None:
            validation.non_negative_float(self.guidance_scale, name="adapter settings: guidance_scale")
        if self.max_new_tokens is not None:
            validation.positive_int(self.max_new_tokens, name="adapter settings: max_new_tokens")

    @property
    def torch_dtype(self) -> torch.dtype | None:
        return None if self.dtype is None else DTYPES[self.dtype]
