"""torchmetrics.Metric adapted to return typed results (frozen dataclasses) from ``compute``.

torchmetrics post-processes ``compute()`` outputs with ``apply_to_collection``, which refuses frozen
dataclasses; the override below keeps torchmetrics' sync (states reduced across processes before ``compute``)
and caching (of argument-free calls only), and returns our typed results (:class:`metrics.provenance.MetricResult`
or a frozen dataclass of them) unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from torchmetrics import Metric


class ResultMetric(Metric):
    def _wrap_compute(self, compute: Callable) -> Callable:
        @functools.wraps(compute)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            # only a plain ``compute()`` is cached: one with arguments (an interval, a bootstrap) is another
            # result, and must neither be served from nor overwrite the cache
            if self._computed is not None and not args and not kwargs:
                return self._computed
            with self.sync_context(dist_sync_fn=self.dist_sync_fn, should_sync=self._to_sync,
                                   should_unsync=self._should_unsync):
                value = compute(*args, **kwargs)
            if self.compute_with_cache and not args and not kwargs:
                self._computed = value
            return value

        return wrapped

    def _mark_updated(self) -> None:
        """For update paths that bypass ``update`` (e.g. ``update_features``): invalidate the cache."""
        self._computed = None
        self._update_count += 1
