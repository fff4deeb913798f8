"""What the output streams (``streaming_features.py``, ``clip_embedding_stream.py``) share.

A stream works on the chunks of a run's recorded prefix -- the dataset's samples recorded without a gap, in
dataset order -- because a chunk's items are known only once every sample before it is recorded
(:class:`RecordedPrefix`).  And a stream must never stop the recording: a medium its network cannot take (a clip
shorter than one VGGish example, an unreadable file) leaves that chunk to scoring (:func:`leave_to_scoring`),
which extracts it and raises the error naming the sample and its file, after every sample is recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence

from benchmarks.datasets.samples import Sample
from benchmarks.store import Generation
from nextgpt.core.errors import MediaError

logger = logging.getLogger(__name__)


class RecordedPrefix:
    """The samples of a dataset recorded without a gap: ``extend`` takes each newly recorded batch and yields the
    samples by which the prefix grows.  A first-turn output recorded beyond the first gap waits (and is dropped
    once the prefix passes it); later turns are ignored."""

    def __init__(self, samples: Sequence[Sample]) -> None:
        self._samples = samples
        self._waiting: dict[str, Generation] = {}
        self._length = 0
        self._stopped = False

    def extend(self, generations: Iterable[Generation]) -> Iterator[tuple[Sample, Generation]]:
        """(sample, its recorded output) for each sample the prefix grows by, in dataset order."""
        self._waiting.update((g.sample_id, g) for g in generations if g.turn == 0)
        while (not self._stopped and self._length < len(self._samples)
               and self._samples[self._length].id in self._waiting):
            sample = self._samples[self._length]
            self._length += 1
            yield sample, self._waiting.pop(sample.id)

    def stop(self) -> None:
        """Yield nothing more (a stream that could not take a sample: every later chunk would be shifted)."""
        self._stopped, self._waiting = True, {}


def leave_to_scoring(task: str, what: str, error: MediaError) -> None:
    """Log that a stream left ``what`` (a chunk, or the chunks from a sample on) to scoring because of ``error``,
    which names the sample and its file; scoring raises it again once every sample is recorded."""
    logger.warning("[%s] %s is left to scoring, which will report: %s", task, what, error)
