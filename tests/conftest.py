"""Shared test set-up: offline hub, quiet libraries, one tiny model per session."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from store_fixtures import postgres_server, store_spot  # noqa: F401  (the results store's engines)
