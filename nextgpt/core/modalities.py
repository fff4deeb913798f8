"""The media modalities an any-to-any model reads and writes (text is always there and is not one of them)."""

from __future__ import annotations

import typing
from typing import Literal

from nextgpt.core.errors import ConfigError

Modality = Literal["image", "video", "audio"]
MODALITIES: tuple[Modality, ...] = ("image", "video", "audio")


def check_modality(value: str, *, where: str) -> Modality:
    """Return ``value`` as a Modality or raise naming ``where`` and the accepted values."""
    if value not in MODALITIES:
        raise ConfigError(f"{where}: unknown modality {value!r}; expected one of {', '.join(MODALITIES)}")
    return typing.cast(Modality, value)
