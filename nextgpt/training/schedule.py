"""The optimiser schedule shared by the small pre-trainings of frozen parts (tiny encoder, tiny language model)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

import torch

from nextgpt.core.errors import ConfigError
from nextgpt.model.config import require_positive


@dataclass(frozen=True)
class PretrainingSchedule:
    steps: int = 300
    batch_size: int = 16
    learning_rate: float = 2e-3
    weight_decay: float = 0.01
    seed: int = 0
    log_every: int = 50

    def __post_init__(self) -> None:
        require_positive(self, "steps", "batch_size", "log_every")
        if not self.learning_rate > 0:
            raise ConfigError(f"{type(self).__name__}.learning_rate must be positive, got {self.learning_rate}")


def optimiser_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, schedule: torch.optim.lr_scheduler.LRScheduler,
                   parameters: Iterable[torch.nn.Parameter], max_grad_norm: float = 1.0) -> float:
    """Backward, clip, step the optimiser and the schedule; the loss as a float."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(parameters), max_grad_norm)
    optimizer.step()
    schedule.step()
    return float(loss.detach())


def log_step(progress: TextIO | None, label: str, step: int, config: PretrainingSchedule, loss: float,
             started: float) -> None:
    if progress is not None and (step % config.log_every == 0 or step == 1):
        print(f"{label} step {step}/{config.steps} loss {loss:.4f} ({time.perf_counter() - started:.0f} s)",
              file=progress, flush=True)


def freeze(module: torch.nn.Module) -> None:
    """Back to a frozen part: eval mode, no gradients."""
    module.eval()
    for param in module.parameters():
        param.requires_grad_(False)
