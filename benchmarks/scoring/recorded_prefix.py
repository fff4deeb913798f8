"""What the output streams (``streaming_features.py``, ``clip_embedding_stream.py``) share: a stream works on the
chunks of a run's recorded prefix while the run records, and must never stop the recording -- a medium its
network cannot take (a clip shorter than one VGGish example, an unreadable file) leaves that chunk to scoring,
which extracts it and raises the error naming the sample and its file, after every sample is recorded."""

from __future__ import annotations

import logging

from nextgpt.core.errors import MediaError

logger = logging.getLogger(__name__)


def leave_to_scoring(task: str, what: str, error: MediaError) -> None:
    """Log that a stream left ``what`` (a chunk, or the chunks from a sample on) to scoring because of ``error``,
    which names the sample and its file; scoring raises it again once every sample is recorded."""
    logger.warning("[%s] %s is left to scoring, which will report: %s", task, what, error)
