"""Registry: the named plug-ins of one kind (model families, pipeline steps, strategies,
search problems), each added by the module that defines it."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from automl.exceptions import AutoMLError, ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries by name, in the order they were added. `kind` names them in error messages;
    an unknown name raises `error` with the closest known one."""

    def __init__(self, kind: str, error: type[AutoMLError] = ConfigError) -> None:
        self.kind = kind
        self.error = error
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> None:
        self._entries[name] = entry

    def remove(self, name: str) -> None:
        self._entries.pop(name, None)

    def get(self, name: str, listed: Iterable[str] | None = None) -> T:
        """The entry, or `error` naming the closest entry and the `listed` (default: all) names."""
        if name not in self._entries:
            names = list(listed if listed is not None else self._entries)
            close = difflib.get_close_matches(str(name), names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise self.error(
                f"unknown {self.kind} '{name}'{hint}; choose one of: {', '.join(names)}"
            )
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def values(self) -> tuple[T, ...]:
        return tuple(self._entries.values())

    def plugins(self) -> tuple[T, ...]:
        """Entries defined outside automl (a user's module, a test): work sent to another
        process carries them, because importing automl there adds only automl's own."""
        return tuple(e for e in self._entries.values() if not _inside_automl(e))

    def ensure(self, entries: Iterable[T], name_of: Callable[[T], str]) -> None:
        """Add carried entries this process does not know yet."""
        for entry in entries:
            self._entries.setdefault(name_of(entry), entry)


def import_modules(package: str, path: Iterable[str]) -> None:
    """Import every module of a package so that each registers what it defines: a new family,
    step, strategy or problem is a new module, with no list to edit."""
    for module in pkgutil.iter_modules(path):
        importlib.import_module(f"{package}.{module.name}")


def _inside_automl(entry: object) -> bool:
    return type(entry).__module__.split(".")[0] == "automl"
