"""Installed extensions: the modules named by the ``nextgpt_bench.plugins`` entry points (docs/extending.md).

Importing an extension registers what it adds (metrics, tasks, dataset kinds).  Whatever reads a name an
extension may have registered loads them first: the command line (``benchmarks.cli``) before it parses its
arguments, and the pytest gate plugin (``reports.pytest_gate``) before it gates stored scores.  This module sits on
the ground floor so that both can import it; it needs only ``importlib.metadata``.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from nextgpt.core.errors import NextGPTError

#: Entry-point group of installed extensions: each names a module that registers metrics, tasks or dataset kinds
#: when imported.
PLUGIN_GROUP = "nextgpt_bench.plugins"


def load_plugins() -> list[str]:
    """Import every installed extension (entry points of ``PLUGIN_GROUP``, in name order) so that what it
    registers can be named; returns their names.  Importing one twice is harmless (Python imports a module
    once).  A broken extension raises NextGPTError naming it, its entry point and the failure."""
    loaded = []
    for entry_point in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            entry_point.load()
        except Exception as error:  # any failure of foreign code, reported with the extension's name
            raise NextGPTError(f"extension {entry_point.name!r} ({entry_point.value}, entry point group "
                               f"{PLUGIN_GROUP}) failed to load: {type(error).__name__}: {error}") from error
        loaded.append(entry_point.name)
    return loaded
