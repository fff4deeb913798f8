"""Helpers shared by the model tests."""

from __future__ import annotations

import torch

from nextgpt.model import NextGPT
from nextgpt.parameters import TRAINABLE_COMPONENTS, component_of


def perturb_trainable(model: NextGPT, seed: int = 3) -> None:
    """Move every trainable tensor away from its initial value, so a load that did nothing is caught."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if component_of(name) in TRAINABLE_COMPONENTS:
                param.add_(0.05 * torch.randn(param.shape, generator=generator))
