"""Import the ``imagebind`` package on today's torchvision.

imagebind-unofficial's ``__init__`` imports its ``data`` module, which imports pytorchvideo 0.1.5, which in turn
imports ``torchvision.transforms.functional_tensor`` -- a module torchvision removed.  Its functions live on in
``torchvision.transforms.functional``, so that module is registered under the old name before the import.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType


def import_imagebind() -> tuple[ModuleType, ModuleType]:
    """Return ``(imagebind.models.imagebind_model, imagebind.data)``."""
    if "torchvision.transforms.functional_tensor" not in sys.modules:
        import torchvision.transforms.functional as functional

        sys.modules["torchvision.transforms.functional_tensor"] = functional
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model_module = importlib.import_module("imagebind.models.imagebind_model")
        data_module = importlib.import_module("imagebind.data")
    return model_module, data_module
