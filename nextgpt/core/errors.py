"""Exceptions with messages meant for users: each names the file, field or value and what was expected."""


class NextGPTError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(NextGPTError, ValueError):
    """A configuration value is invalid."""


class MediaError(NextGPTError, ValueError):
    """A media file or tensor cannot be used (unreadable, wrong shape, wrong sample rate...)."""


class CheckpointError(NextGPTError, ValueError):
    """A checkpoint or weights file cannot be used: missing, damaged, changed since its manifest was written,
    unsafe to unpickle, or not fitting the model it is loaded into."""


class MissingWeightsError(NextGPTError, FileNotFoundError):
    """Frozen weights that must come from a local folder are not there."""


class DatasetError(NextGPTError, ValueError):
    """A dataset file, field or path is invalid or missing."""


class TaskError(NextGPTError, ValueError):
    """A task declaration or selection is invalid."""


class StoreError(NextGPTError, RuntimeError):
    """The results store cannot be used (wrong schema, unknown run...)."""
