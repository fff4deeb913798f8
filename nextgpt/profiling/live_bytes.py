"""Peak bytes of the tensors an operation sequence keeps alive, counted as it runs (works on the meta device).

``LiveBytesMode`` sees every aten operation's outputs.  It counts each new storage once (views share their
base's storage; views of tensors made before the block, such as a weight's transpose, are not counted) and drops
it when the last Python tensor object on it dies, so ``peak`` is the activation high-
water mark of the block: what a real device would have to hold on top of the tensors that existed before (the
weights and inputs).  Allocator rounding and fragmentation are not modelled: add headroom (CUDA's caching
allocator typically reserves 5-20% more than it hands out).
"""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

#: ``.item()`` has no value on the meta device.  Library code reads a few data-dependent scalars to pick a fast path
#: (transformers: "is the padding mask all ones?", "is the pad token in the ids?"); they get True / 1, the answer
#: for unpadded inputs, which is what the prediction assumes.
_META_SCALAR: dict[torch.dtype, Any] = {torch.bool: True}


class LiveBytesMode(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.current = 0
        self.peak = 0
        self._live: dict[int, list[int]] = {}  # storage id -> [bytes, live tensor objects]

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        if func is torch.ops.aten._local_scalar_dense.default and args[0].device.type == "meta":
            return _META_SCALAR.get(args[0].dtype, 1)
        out = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage()._cdata for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)}
        for tensor in tree_flatten(out)[0]:
            if isinstance(tensor, torch.Tensor):
                self._track(tensor, inputs)
        return out

    def _track(self, tensor: torch.Tensor, inputs: set[int]) -> None:
        storage = tensor.untyped_storage()
        key = storage._cdata
        entry = self._live.get(key)
        if entry is None and key in inputs:  # a view of (or in-place result on) a tensor made before: the weights
            return
        if entry is None:
            entry = self._live[key] = [storage.nbytes(), 0]
            self.current += entry[0]
            self.peak = max(self.peak, self.current)
        entry[1] += 1
        weakref.finalize(tensor, self._release, key)

    def _release(self, key: int) -> None:
        entry = self._live.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            self.current -= entry[0]
            del self._live[key]
