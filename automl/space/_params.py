"""Typed search parameters parsed from plain data (YAML or dict) and turned into Optuna suggestions."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna

from automl.exceptions import SpaceError

Scalar = bool | int | float | str | None
PARAM_TYPES = ("float", "int", "categorical", "bool", "fixed")
_KEYS = {
    "float": {"type", "low", "high", "log", "step", "condition"},
    "int": {"type", "low", "high", "log", "step", "condition"},
    "categorical": {"type", "choices", "condition"},
    "bool": {"type", "condition"},
    "fixed": {"type", "value", "condition"},
}


@dataclass(frozen=True)
class Condition:
    """The parameter is active only when `parent` took one of `values`."""

    parent: str
    values: tuple[Scalar, ...]

    def holds(self, config: Mapping[str, Any]) -> bool:
        return self.parent in config and config[self.parent] in self.values


@dataclass(frozen=True)
class Param:
    """One parameter: a type, its range or choices, and an optional activation condition."""

    name: str
    type: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Scalar, ...] = ()
    condition: Condition | None = None

    def suggest(self, trial: optuna.Trial) -> Any:
        if self.type == "float":
            assert self.low is not None and self.high is not None
            return trial.suggest_float(self.name, self.low, self.high, log=self.log, step=self.step)
        if self.type == "int":
            assert self.low is not None and self.high is not None
            step = int(self.step or 1)
            return trial.suggest_int(
                self.name, int(self.low), int(self.high), log=self.log, step=step
            )
        if self.type == "bool":
            return trial.suggest_categorical(self.name, [False, True])
        if self.type == "fixed":
            return self.choices[0]
        return trial.suggest_categorical(self.name, list(self.choices))

    def contains(self, value: Any) -> bool:
        """Whether `value` is a legal value of this parameter (used to vet starting points)."""
        if self.type in ("categorical", "fixed"):
            return value in self.choices
        if self.type == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        assert self.low is not None and self.high is not None
        return self.low <= value <= self.high

    def grid(self, points: int) -> list[Any]:
        """A few representative values for grid search (log-spaced where the range is)."""
        if self.type in ("categorical", "fixed"):
            return list(self.choices)
        if self.type == "bool":
            return [False, True]
        assert self.low is not None and self.high is not None
        if self.log:
            values = np.geomspace(self.low, self.high, points)
        else:
            values = np.linspace(self.low, self.high, points)
        if self.step:
            values = self.low + np.round((values - self.low) / self.step) * self.step
        if self.type == "int":
            return sorted({round(float(v)) for v in values})
        return sorted({float(v) for v in values})

    def to_dict(self) -> dict[str, Any]:
        """The JSON/YAML form this parameter was parsed from (round-trips through parse_param)."""
        spec: dict[str, Any] = {"type": self.type}
        if self.type in ("float", "int"):
            spec.update(low=self.low, high=self.high, log=self.log)
            if self.step is not None:
                spec["step"] = self.step
        elif self.type == "categorical":
            spec["choices"] = list(self.choices)
        elif self.type == "fixed":
            spec["value"] = self.choices[0]
        if self.condition:
            spec["condition"] = {self.condition.parent: list(self.condition.values)}
        return spec


def parse_param(name: str, spec: Any) -> Param:
    """Validate one parameter spec; a bare scalar or list means a fixed value or a choice."""
    if not isinstance(name, str) or not name:
        raise SpaceError(f"parameter names must be non-empty strings, got {name!r}")
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        spec = {"type": "categorical", "choices": list(spec)}
    elif not isinstance(spec, Mapping):
        spec = {"type": "fixed", "value": spec}
    kind = spec.get("type")
    if kind not in PARAM_TYPES:
        hint = _suggestion(str(kind), PARAM_TYPES)
        raise SpaceError(
            f"parameter '{name}': unknown type {kind!r}{hint}; use one of {PARAM_TYPES}"
        )
    unknown = set(spec) - _KEYS[kind]
    if unknown:
        key = sorted(unknown)[0]
        raise SpaceError(
            f"parameter '{name}': unknown key '{key}'{_suggestion(key, _KEYS[kind])} for type {kind}"
        )
    condition = _parse_condition(name, spec.get("condition"))
    if kind in ("float", "int"):
        return _parse_numeric(name, kind, spec, condition)
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, Sequence) or isinstance(choices, str) or not choices:
            raise SpaceError(f"parameter '{name}': 'choices' must be a non-empty list")
        for choice in choices:
            if not isinstance(choice, (bool, int, float, str)) and choice is not None:
                raise SpaceError(
                    f"parameter '{name}': choices must be numbers, strings, booleans or null,"
                    f" got {choice!r}"
                )
        if len(set(map(repr, choices))) != len(choices):
            raise SpaceError(f"parameter '{name}': 'choices' has duplicates")
        return Param(name, kind, choices=tuple(choices), condition=condition)
    if kind == "fixed":
        if "value" not in spec:
            raise SpaceError(f"parameter '{name}': type fixed needs a 'value'")
        return Param(name, kind, choices=(spec["value"],), condition=condition)
    return Param(name, kind, condition=condition)


def _parse_numeric(name: str, kind: str, spec: Mapping[str, Any], cond: Condition | None) -> Param:
    for key in ("low", "high"):
        if key not in spec:
            raise SpaceError(f"parameter '{name}': type {kind} needs '{key}'")
        value = spec[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise SpaceError(f"parameter '{name}': '{key}' must be a finite number, got {value!r}")
        if kind == "int" and float(value) != int(value):
            raise SpaceError(f"parameter '{name}': '{key}' must be an integer, got {value!r}")
    low, high = float(spec["low"]), float(spec["high"])
    log = spec.get("log", False)
    step = spec.get("step")
    if not isinstance(log, bool):
        raise SpaceError(f"parameter '{name}': 'log' must be true or false, got {log!r}")
    if low > high:
        raise SpaceError(f"parameter '{name}': low ({low:g}) is greater than high ({high:g})")
    if log and low <= 0:
        raise SpaceError(f"parameter '{name}': a log scale needs low > 0, got {low:g}")
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, (int, float)) or step <= 0:
            raise SpaceError(f"parameter '{name}': 'step' must be a positive number, got {step!r}")
        if log:
            raise SpaceError(f"parameter '{name}': 'step' and 'log' cannot be combined")
    return Param(name, kind, low=low, high=high, log=log, step=step, condition=cond)


def _parse_condition(name: str, spec: Any) -> Condition | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise SpaceError(
            f"parameter '{name}': 'condition' must map one parent to its values,"
            " e.g. {model: [linear, knn]}"
        )
    ((parent, values),) = spec.items()
    if isinstance(values, str) or not isinstance(values, Sequence):
        values = [values]
    return Condition(str(parent), tuple(values))


def _suggestion(word: str, options: Sequence[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
