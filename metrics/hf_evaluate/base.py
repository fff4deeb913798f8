"""The base class of every nextgpt-bench evaluate module: inputs converted by the library's readers, arguments
checked one way, set metrics given their reference set as a keyword.

A module script (``NAME/NAME.py``) subclasses :class:`SuiteMetric` with its ``MetricInfo``, its arguments and a
``_compute`` that calls the library. What the base adds to ``evaluate.Metric``:

* ``add`` / ``add_batch`` (and so ``compute(predictions=...)``) convert each input column with the module's
  :meth:`SuiteMetric._stored_column` before evaluate stores it, so inputs are read and checked as the Python API
  and the CLI read them, and bad input is an error naming the module, the column and the position;
* ``compute(**kwargs)`` reads the module's own arguments (defaults: :attr:`SuiteMetric.ARGUMENTS`, or what was given
  to ``evaluate.load``), ignores the other nextgpt-bench modules' arguments and refuses unknown names
  (:mod:`metrics.hf_evaluate.arguments`);
* set metrics (FID, KID, FAD: two sets of any sizes) store only ``predictions``; their reference set is the
  ``compute`` keyword :attr:`SuiteMetric.REFERENCE_SET` (``reference_images``, ``reference_audio``), or
  ``references=`` when the module is used alone. In ``evaluate.combine`` ``references`` belongs to the row-aligned
  modules (CLIP score's prompts), so a set metric reads it only when its own keyword is not given.

The class is abstract, so that ``evaluate.load``, which takes the first ``EvaluationModule`` subclass it finds in
a script, never takes it for the script's own class.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

import evaluate
from evaluate.naming import camelcase_to_snakecase

from metrics.errors import ConfigError
from metrics.hf_evaluate.arguments import SUITE_ARGUMENTS, resolve_arguments
from metrics.hf_evaluate.networks import Networks

#: what ``evaluate.EvaluationModule.__init__`` takes itself (``evaluate.load`` passes its extra keywords on)
_EVALUATE_INIT_ARGUMENTS = frozenset(inspect.signature(evaluate.EvaluationModule.__init__).parameters) - {
    "self", "kwargs"}


class SuiteMetric(evaluate.Metric, metaclass=abc.ABCMeta):
    """An ``evaluate.Metric`` whose numbers come from the nextgpt-bench metric library (see the module docstring).
    """

    #: this module's ``compute`` arguments and their defaults; every name is one of ``SUITE_ARGUMENTS``
    ARGUMENTS: ClassVar[Mapping[str, object]] = {}
    #: set metrics: the ``compute`` keyword of the reference set (also one of ``ARGUMENTS``); None when
    #: ``references`` is a column aligned with ``predictions``
    REFERENCE_SET: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """evaluate's own arguments, plus any of this module's ``compute`` arguments as its new defaults
        (``evaluate.load(path, feature_network="toy")``; ``seed`` stays evaluate's own); any other keyword is
        refused, not ignored."""
        defaults = {name: kwargs.pop(name) for name in list(kwargs)
                    if name in self.ARGUMENTS and name not in _EVALUATE_INIT_ARGUMENTS}
        unknown = [name for name in kwargs if name not in _EVALUATE_INIT_ARGUMENTS]
        if unknown:
            module = camelcase_to_snakecase(type(self).__name__)  # evaluate's name for the module
            raise ConfigError(f"{module}: unknown argument(s) {', '.join(map(repr, unknown))} for evaluate.load; "
                              f"it takes evaluate's own ({', '.join(sorted(_EVALUATE_INIT_ARGUMENTS))}) and, as "
                              f"defaults for compute(), {', '.join(self.ARGUMENTS) or 'nothing'}")
        super().__init__(*args, **kwargs)
        self.defaults: dict[str, object] = {**self.ARGUMENTS, **defaults}
        self.networks = Networks(self.name)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        strange = [name for name in cls.ARGUMENTS if name not in SUITE_ARGUMENTS]
        if strange:
            raise TypeError(f"{cls.__name__}: arguments {strange} are missing from "
                            "metrics.hf_evaluate.arguments.SUITE_ARGUMENTS (evaluate.combine relies on it)")
        if cls.REFERENCE_SET is not None and cls.REFERENCE_SET not in cls.ARGUMENTS:
            raise TypeError(f"{cls.__name__}: REFERENCE_SET {cls.REFERENCE_SET!r} is not one of its ARGUMENTS")

    # -- what a module script defines ---------------------------------------------------------------------------
    @abc.abstractmethod
    def _info(self) -> evaluate.MetricInfo:
        """The module's ``MetricInfo``."""

    @abc.abstractmethod
    def _compute(self, **inputs_and_arguments: Any) -> dict[str, Any]:
        """The stored columns and this module's arguments -> :func:`metrics.hf_evaluate.results.module_result`."""

    def _stored_column(self, column: str, values: Any) -> list[Any]:
        """What evaluate stores for a batch of input column ``column`` (default: the values unchanged)."""
        return list(values)

    # -- evaluate's entry points ----------------------------------------------------------------------------------
    def _converted(self, columns: dict[str, Any], call: str) -> dict[str, list[Any]]:
        """The input columns as evaluate will store them; anything wrong is a ConfigError naming it."""
        names = self._feature_names()
        takes = f"{self.name}: {call} takes {' and '.join(names)}"
        if self.REFERENCE_SET is not None and columns.get("references") is not None:
            raise ConfigError(f"{takes} (the generated set); give the reference set to compute(references=...) or "
                              f"compute({self.REFERENCE_SET}=...)")
        unexpected = [name for name, values in columns.items() if values is not None and name not in names]
        if unexpected:
            raise ConfigError(f"{takes}, not {' and '.join(unexpected)} (arguments go to compute())")
        missing = [name for name in names if columns.get(name) is None]
        if missing:
            raise ConfigError(f"{takes}; {' and '.join(missing)} missing")
        converted = {name: self._stored_column(name, columns[name]) for name in names}
        sizes = {name: len(values) for name, values in converted.items()}
        if len(set(sizes.values())) > 1:
            raise ConfigError(f"{self.name}: {' and '.join(names)} must have the same length, got "
                              f"{' and '.join(f'{size} {name}' for name, size in sizes.items())}")
        return converted

    def add_batch(self, *, predictions: Any = None, references: Any = None, **kwargs: Any) -> None:
        """Add a batch of inputs, converted by the nextgpt-bench readers first (docs/evaluate.md)."""
        columns = self._converted({"predictions": predictions, "references": references, **kwargs}, "add_batch")
        evaluate.Metric.add_batch(self, **columns)

    def add(self, *, prediction: Any = None, reference: Any = None, **kwargs: Any) -> None:
        """Add one input, converted by the nextgpt-bench readers first (docs/evaluate.md)."""
        batch = {"predictions": prediction, "references": reference, **kwargs}
        columns = self._converted({name: None if value is None else [value] for name, value in batch.items()}, "add")
        one = {name: values[0] for name, values in columns.items()}
        evaluate.Metric.add(self, prediction=one.pop("predictions"), reference=one.pop("references", None), **one)

    def compute(self, *, predictions: Any = None, references: Any = None, **kwargs: Any) -> dict[str, Any] | None:
        """Compute the module on what was added and on ``predictions``/``references`` (and any other input column of
        the module); the other keywords are this module's arguments (docs/evaluate.md)."""
        names = self._feature_names()
        columns = {name: kwargs.pop(name) for name in names if name in kwargs}
        arguments = resolve_arguments(self.name, self.defaults, kwargs)
        if self.REFERENCE_SET is not None:
            if arguments[self.REFERENCE_SET] is None:
                arguments[self.REFERENCE_SET] = references
            if arguments[self.REFERENCE_SET] is None:
                raise ConfigError(f"{self.name}: no reference set; pass compute(references=...) or, in "
                                  f"evaluate.combine, compute({self.REFERENCE_SET}=...) (any number of items)")
        if "references" not in names:
            references = None  # the reference set above, or a sibling's input in evaluate.combine
        inputs = {"predictions": predictions, "references": references, **columns}
        if predictions is not None:
            missing = [name for name in names if inputs.get(name) is None]
            if missing:
                raise ConfigError(f"{self.name}: compute(predictions=...) needs {' and '.join(missing)} too")
        elif len(self) == 0:
            raise ConfigError(f"{self.name}: nothing to score; pass compute(predictions=...) or add inputs with "
                              "add_batch() first")
        return evaluate.Metric.compute(self, predictions=predictions, references=references, **columns, **arguments)
