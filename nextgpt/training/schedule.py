"""The optimiser schedule shared by the small pre-trainings of frozen parts (tiny encoder, tiny language model)."""

from __future__ import annotations

from dataclasses import dataclass

from nextgpt.config import require_positive
from nextgpt.errors import ConfigError


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
