"""A custom objective: tune `objective(config, report) -> value(s)` over the user's space."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import optuna

from automl.config import SearchSettings
from automl.exceptions import ConfigError
from automl.executors import Work
from automl.problems.base import Problem, register_problem
from automl.record import StudyMeta
from automl.space import SearchSpace, load_yaml
from automl.strategies import Strategy, strategy_info


@register_problem
class ObjectiveProblem(Problem):
    kind = "objective"
    priority = 100

    def __init__(self, objective: Work, settings: SearchSettings) -> None:
        super().__init__(settings)
        self.objective = objective
        self._space = _objective_space(settings.space)

    @classmethod
    def matches(cls, data: Any, objective: Any, settings: SearchSettings) -> bool:
        return objective is not None

    @classmethod
    def build(cls, data: Any, objective: Any, settings: SearchSettings) -> ObjectiveProblem:
        if not callable(objective):
            raise ConfigError("objective must be a callable objective(config, report) -> float")
        if len(settings.directions) > 1 and not strategy_info(settings.strategy).several_objectives:
            raise ConfigError(
                "several directions need a multi-objective strategy: use strategy='nsga2'"
            )
        return cls(objective, settings)

    def space(self) -> SearchSpace:
        return self._space

    def study_meta(self, strategy: Strategy) -> StudyMeta:
        return StudyMeta("objective", tuple(self.settings.directions), space=self._space.to_dict())

    def work(self, strategy: Strategy, study: optuna.Study) -> Work:
        return self.objective

    def values_of(self, strategy: Strategy) -> Callable[[Any], Sequence[float]]:
        return _as_values


def _objective_space(space: Any) -> SearchSpace:
    if isinstance(space, SearchSpace):
        return space
    if space is None:
        raise ConfigError(
            "a custom objective needs space=... (a dict of parameters or a YAML file)"
        )
    if isinstance(space, (str, Path)):
        space = load_yaml(space)
    return SearchSpace.from_dict(space)


def _as_values(value: Any) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [float(v) for v in value]
    return [float(value)]
