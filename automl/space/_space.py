"""SearchSpace: an ordered set of parameters with conditions, sampled through an Optuna trial."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import optuna
import yaml

from automl.exceptions import SpaceError
from automl.space._params import Param, parse_param


class SearchSpace:
    """Parameters in dependency order; `sample` suggests the active ones and returns a config dict."""

    def __init__(self, params: Iterable[Param]) -> None:
        ordered = list(params)
        if not ordered:
            raise SpaceError("the search space has no parameters")
        self.params: tuple[Param, ...] = tuple(_check_conditions(ordered))

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> SearchSpace:
        """Build from `{name: spec}` (optionally wrapped as `{"params": {...}}`)."""
        if not isinstance(spec, Mapping):
            raise SpaceError(
                f"a search space must be a mapping of parameters, got {type(spec).__name__}"
            )
        if set(spec) == {"params"}:
            spec = spec["params"]
            if not isinstance(spec, Mapping):
                raise SpaceError("'params' must be a mapping of parameter name to spec")
        return cls(parse_param(name, value) for name, value in spec.items())

    @classmethod
    def from_yaml(cls, path: str | Path) -> SearchSpace:
        return cls.from_dict(load_yaml(path))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def sample(self, trial: optuna.Trial) -> dict[str, Any]:
        """Suggest every active parameter, parents first; inactive ones are left out."""
        config: dict[str, Any] = {}
        for param in self.params:
            if param.condition is None or param.condition.holds(config):
                config[param.name] = param.suggest(trial)
        return config

    def largest(self, name: str, default: int) -> int:
        """The largest value a numeric parameter may take (`default` when the space has no
        such parameter): full fidelity for iterations, the widest network for a supernet."""
        for param in self.params:
            if param.name == name:
                if param.high is not None:
                    return int(param.high)
                numbers = [float(c) for c in param.choices if isinstance(c, int | float)]
                if numbers:
                    return int(max(numbers))
        return default

    def active(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Keep only the parameters of `config` whose conditions hold (e.g. an enqueued config)."""
        kept: dict[str, Any] = {}
        for param in self.params:
            active = param.condition is None or param.condition.holds(kept)
            if active and param.name in config:
                kept[param.name] = config[param.name]
        return kept

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, accepted back by from_dict (for the API, the dashboard and storage)."""
        return {p.name: p.to_dict() for p in self.params}

    def __len__(self) -> int:
        return len(self.params)

    def __repr__(self) -> str:
        return f"SearchSpace({', '.join(self.names)})"


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file safely (data only: no tags that construct objects)."""
    path = Path(path)
    if not path.is_file():
        raise SpaceError(f"search space file not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpaceError(f"cannot parse {path} as YAML: {exc}") from None


def _check_conditions(params: list[Param]) -> list[Param]:
    """Reject duplicates and unknown parents; order so each parent comes before its children."""
    by_name: dict[str, Param] = {}
    for param in params:
        if param.name in by_name:
            raise SpaceError(f"parameter '{param.name}' is defined twice")
        by_name[param.name] = param
    for param in params:
        cond = param.condition
        if cond is None:
            continue
        parent = by_name.get(cond.parent)
        if parent is None:
            raise SpaceError(
                f"parameter '{param.name}': condition refers to unknown parameter '{cond.parent}'"
            )
        if parent.type in ("categorical", "bool", "fixed"):
            allowed = parent.choices if parent.type != "bool" else (False, True)
            missing = [v for v in cond.values if v not in allowed]
            if missing:
                raise SpaceError(
                    f"parameter '{param.name}': condition value {missing[0]!r} is not a choice of"
                    f" '{parent.name}' ({list(allowed)})"
                )
    ordered: list[Param] = []
    placed: set[str] = set()
    pending = list(params)
    while pending:
        ready = [p for p in pending if p.condition is None or p.condition.parent in placed]
        if not ready:
            raise SpaceError(f"conditions form a cycle among: {', '.join(p.name for p in pending)}")
        for param in ready:
            ordered.append(param)
            placed.add(param.name)
        pending = [p for p in pending if p.name not in placed]
    return ordered
