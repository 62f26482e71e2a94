"""Errors raised for user mistakes: each carries a one-line message that says what to fix."""

from __future__ import annotations


class AutoMLError(Exception):
    """Base class of every error this package raises on purpose."""


class DataError(AutoMLError, ValueError):
    """The data cannot be searched on as given (missing target, empty file, one class, ...)."""


class SpaceError(AutoMLError, ValueError):
    """A search space is malformed (unknown type, low > high, unknown model or parameter)."""


class ConfigError(AutoMLError, ValueError):
    """An argument to search() or the CLI is invalid (unknown strategy, metric, budget)."""


class ModelFileError(AutoMLError):
    """A saved model cannot be loaded (missing, corrupt, or written by an incompatible version)."""
