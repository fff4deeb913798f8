"""Fixtures of the streaming tests (streaming_fixtures.py), available to every test here by name."""

from streaming_fixtures import embedded, extracted, small_chunks

__all__ = ["embedded", "extracted", "small_chunks"]
