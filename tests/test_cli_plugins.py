"""Installed extensions (entry points of ``nextgpt_bench.plugins``, loaded by ``nextgpt.core.extensions``) are
imported before the command line is parsed, and a broken one is named instead of crashing with a traceback."""

from __future__ import annotations

import os
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import benchmarks.cli as cli
import nextgpt.core.extensions as extensions


def _entry_points(*points: EntryPoint):
    def select(*, group: str) -> list[EntryPoint]:
        return [p for p in points if p.group == group]
    return select


def test_an_installed_extension_is_imported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "fake_extension_for_test.py").write_text("import os\nos.environ['FAKE_EXTENSION_LOADED'] = '1'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("FAKE_EXTENSION_LOADED", raising=False)
    monkeypatch.delitem(sys.modules, "fake_extension_for_test", raising=False)
    point = EntryPoint("fake", "fake_extension_for_test", cli.PLUGIN_GROUP)
    monkeypatch.setattr(extensions, "entry_points", _entry_points(point, EntryPoint("other", "nowhere", "other.group")))
    assert cli.load_plugins() == ["fake"]
    assert os.environ["FAKE_EXTENSION_LOADED"] == "1"


def test_a_broken_extension_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    point = EntryPoint("broken", "no_such_module_anywhere:register", cli.PLUGIN_GROUP)
    monkeypatch.setattr(extensions, "entry_points", _entry_points(point))
    assert cli.main(["run", "--help"]) == 2
    error = capsys.readouterr().err
    assert "extension 'broken'" in error and "no_such_module_anywhere" in error and cli.PLUGIN_GROUP in error
