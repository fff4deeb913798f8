"""Hugging Face libraries' own log output, routed through the CLI's handler for the length of one command.

transformers and diffusers do not leave their records to the application: the first time one of their loggers is
asked for, the library attaches its own stderr handler to its root logger (``transformers``, ``diffusers``), sets
that logger's level from an environment variable read only then, and turns propagation off (transformers keeps it
on when ``CI`` is set, so each of its lines then shows twice).  Their lines would bypass the CLI's format and
folding and tear a progress bar apart.

For the block, :func:`routed_library_loggers` takes that handler off, lets the records propagate to the root
logger (where the CLI's handler is) and sets the level the CLI chose; afterwards the logger is exactly as before:
level, propagation and handler.  A library imported inside the block is configured by itself first (as it would
be without the CLI) and routed right after its logging module is imported, so what is restored is the library's
own set-up.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import importlib.machinery
import logging
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType

#: the module of each library that offers the Hugging Face logging API (get_logger, disable_default_handler,
#: enable_propagation); its name is also the library's root logger
LOGGING_MODULE = "{library}.utils.logging"


@dataclass
class _SavedLogger:
    """A library root logger as it was before the block, and the handlers the block took off it."""

    logger: logging.Logger
    level: int
    propagate: bool
    handlers: list[logging.Handler]
    taken_off: list[logging.Handler] = field(default_factory=list)

    def restore(self) -> None:
        self.logger.setLevel(self.level)
        self.logger.propagate = self.propagate
        now = self.logger.handlers
        # in their former order; a handler someone else added or removed meanwhile stays added or removed
        self.logger.handlers = ([h for h in self.handlers if h in now or h in self.taken_off]
                                + [h for h in now if h not in self.handlers])


class _Router:
    """Routes each library's logger once its logging module is loaded, and remembers how to undo it."""

    def __init__(self, levels: Mapping[str, int | None]) -> None:
        self.levels = dict(levels)
        self.saved: list[_SavedLogger] = []

    def route(self, library: str, logging_module: ModuleType) -> None:
        logger = logging_module.get_logger()  # the library's root logger, configured by the library if it was not
        saved = _SavedLogger(logger, logger.level, logger.propagate, list(logger.handlers))
        self.saved.append(saved)
        logging_module.disable_default_handler()
        saved.taken_off = [h for h in saved.handlers if h not in logger.handlers]
        logging_module.enable_propagation()
        level = self.levels[library]
        if level is not None:
            logger.setLevel(level)

    def restore(self) -> None:
        for saved in reversed(self.saved):
            saved.restore()
        self.saved.clear()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``callbacks[name](module)`` right after the module ``name`` is executed by an import."""

    def __init__(self, callbacks: Mapping[str, Callable[[ModuleType], None]]) -> None:
        self.callbacks = dict(callbacks)

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        callback = self.callbacks.pop(fullname, None)  # once: a later import finds the module in sys.modules
        if callback is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _CallbackLoader(spec.loader, callback)
                return spec
        return None


class _CallbackLoader(importlib.abc.Loader):
    """The module's own loader, followed by a callback once the module's code has run."""

    def __init__(self, loader: importlib.abc.Loader, callback: Callable[[ModuleType], None]) -> None:
        self.loader = loader
        self.callback: Callable[[ModuleType], None] | None = callback

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader  # the module keeps its real loader (source, resources)
        self.loader.exec_module(module)
        callback, self.callback = self.callback, None  # once: importlib.reload runs exec_module again
        if callback is not None:
            callback(module)

    def __getattr__(self, name: str) -> object:
        return getattr(self.loader, name)


@contextlib.contextmanager
def routed_library_loggers(levels: Mapping[str, int | None]) -> Iterator[None]:
    """Inside the block, the log records of each library in ``levels`` go to the root logger's handlers instead of
    the library's own stderr handler, at the given level (None: the library's own).  A library that is not
    installed is skipped; one imported later inside the block is routed as soon as it is imported."""
    router = _Router(levels)
    waiting: dict[str, Callable[[ModuleType], None]] = {}
    for library in levels:
        name = LOGGING_MODULE.format(library=library)
        module = sys.modules.get(name)
        if module is not None:
            router.route(library, module)
        else:
            waiting[name] = functools.partial(router.route, library)
    hook = _AfterImport(waiting)
    sys.meta_path.insert(0, hook)
    try:
        yield
    finally:
        if hook in sys.meta_path:
            sys.meta_path.remove(hook)
        router.restore()
