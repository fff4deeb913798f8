"""Speed and memory switches users expect from transformers/diffusers, applied to a built model from outside.

``dtype`` is chosen when the model is built (``build_model(..., dtype=...)``; the ``profile`` command's
``--dtype``).  The switches here are toggled on the live model and undone on exit of ``applied``:

* ``kv_cache``: the LLM's ``generation_config.use_cache``; off, every decode step re-reads the whole sequence.
* ``attention_slicing``: ``unet.set_attention_slice("auto")`` in every decoder (diffusers' memory saver; the
  attention processors are restored afterwards).
* ``vae_slicing``: ``vae.enable_slicing()``: decode a batch of latents one at a time.
* ``cpu_offload``: diffusers-style *model* CPU offload of each decoder (accelerate's ``cpu_offload_with_hook``:
  the text encoder, UNet, VAE and vocoder live in CPU memory and each moves to the GPU only while it runs).  It
  needs a CUDA device; the decoders then draw their initial noise on the CPU (their generator follows the UNet's
  parameters), so outputs differ from a run without offload.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch

from nextgpt.core.errors import ConfigError


class ProfilingOptionError(ConfigError):
    """A profiling switch that cannot be used on this model or device."""


@dataclass(frozen=True)
class SpeedOptions:
    kv_cache: bool = True
    attention_slicing: bool = False
    vae_slicing: bool = False
    cpu_offload: bool = False

    def __post_init__(self) -> None:
        for item in fields(self):
            if not isinstance(getattr(self, item.name), bool):
                raise ProfilingOptionError(f"SpeedOptions.{item.name} must be True or False, "
                                           f"got {getattr(self, item.name)!r}")

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)

    def label(self) -> str:
        """Short name of the non-default switches ("default" when none)."""
        changed = [f"{k}={'on' if v else 'off'}" for k, v in self.to_dict().items()
                   if v != getattr(SpeedOptions, k)]
        return ",".join(changed) or "default"


@contextlib.contextmanager
def applied(model: Any, options: SpeedOptions) -> Iterator[None]:
    """Apply ``options`` to ``model`` for the duration of the block."""
    with contextlib.ExitStack() as stack:
        if not options.kv_cache:
            stack.enter_context(_kv_cache_off(model))
        if options.attention_slicing:
            stack.enter_context(_attention_slicing(model))
        if options.vae_slicing:
            stack.enter_context(_vae_slicing(model))
        if options.cpu_offload:
            stack.enter_context(_decoder_cpu_offload(model))
        yield


@contextlib.contextmanager
def _kv_cache_off(model: Any) -> Iterator[None]:
    config = model.llm.get_base_model().generation_config
    previous = config.use_cache
    config.use_cache = False
    try:
        yield
    finally:
        config.use_cache = previous


@contextlib.contextmanager
def _attention_slicing(model: Any) -> Iterator[None]:
    unets = [decoder.components["unet"] for decoder in model.decoders.values()]
    saved = [unet.attn_processors for unet in unets]
    for unet in unets:
        unet.set_attention_slice("auto")
    try:
        yield
    finally:
        for unet, processors in zip(unets, saved, strict=True):
            unet.set_attn_processor(processors)


@contextlib.contextmanager
def _vae_slicing(model: Any) -> Iterator[None]:
    vaes = [decoder.components["vae"] for decoder in model.decoders.values()]
    saved = [vae.use_slicing for vae in vaes]
    for vae in vaes:
        vae.use_slicing = True
    try:
        yield
    finally:
        for vae, value in zip(vaes, saved, strict=True):
            vae.use_slicing = value


@contextlib.contextmanager
def _decoder_cpu_offload(model: Any) -> Iterator[None]:
    device = model.device
    if device.type != "cuda":
        raise ProfilingOptionError(
            f"cpu_offload needs a CUDA device (the model is on {device}): it keeps the decoders in CPU memory and "
            "moves each component to the GPU only while it runs; use --device cuda or leave --cpu-offload out")
    from accelerate import cpu_offload_with_hook

    hooks = []
    for decoder in model.decoders.values():
        previous = None
        for name in _offload_order(decoder.module_names):
            module = decoder.components[name].to("cpu")
            _, previous = cpu_offload_with_hook(module, execution_device=device, prev_module_hook=previous)
            hooks.append((module, previous))
    torch.cuda.empty_cache()
    try:
        yield
    finally:
        for module, hook in hooks:
            hook.remove()
            module.to(device)


def _offload_order(names: tuple[str, ...]) -> list[str]:
    """Components in the order a pipeline runs them, so each one's hook offloads its predecessor."""
    order = ("text_encoder", "unet", "vae", "vocoder")
    return sorted(names, key=order.index)
