"""Grid search over a conditional space, in an ask/tell loop.

Optuna's GridSampler takes the product of every parameter's values: on the default space, whose
~40 parameters are each active for one model family, that is 3^40 points, materialised in
memory (a 120 s search on flights was killed for running out of 24 GB). Here the grid is the
union of one product per branch of the space's root choice (the model family): only the
parameters active together multiply. Points are numbered, decoded on demand and visited in a
seeded order, so nothing the size of the grid is ever built.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from automl.space import SearchSpace

GRID_ID = "grid_id"
"""The system attribute holding a trial's position in the grid's visiting order."""


class GridBranch:
    """The product of the values of the parameters active together in one branch."""

    def __init__(self, values: dict[str, list[Any]]) -> None:
        self.names = list(values)
        self.values = [values[name] for name in self.names]
        self.size = math.prod(len(v) for v in self.values)

    def point(self, index: int) -> dict[str, Any]:
        """The `index`-th combination (mixed-radix: the last parameter varies fastest)."""
        point: dict[str, Any] = {}
        for name, values in zip(reversed(self.names), reversed(self.values), strict=True):
            index, digit = divmod(index, len(values))
            point[name] = values[digit]
        return point


def grid_branches(space: SearchSpace, points: int) -> list[GridBranch]:
    """One branch per value of the root categorical that other parameters depend on (the model
    family), holding the parameters active under it; one branch when nothing is conditional."""
    parents = {p.condition.parent for p in space.params if p.condition is not None}
    root = next((p for p in space.params if p.name in parents and p.condition is None), None)
    if root is None:
        return [GridBranch({p.name: p.grid(points) for p in space.params})]
    branches = []
    for choice in root.grid(points):
        chosen = {root.name: choice}
        values = {
            p.name: [choice] if p is root else p.grid(points)
            for p in space.params
            if p is root
            or p.condition is None
            or p.condition.parent != root.name
            or p.condition.holds(chosen)
        }
        branches.append(GridBranch(values))
    return branches


class ConditionalGridSampler(BaseSampler):
    """Visits every point of `grid_branches(space, points)` once, in an order shuffled by `seed`
    (an affine permutation of the point numbers, so no list of points is built); the Search
    loop stops when `is_exhausted`."""

    def __init__(self, space: SearchSpace, points: int, seed: int | None = None) -> None:
        self.branches = grid_branches(space, points)
        self.grid_size = sum(b.size for b in self.branches)
        rng = random.Random(seed)
        self._step = _coprime_step(self.grid_size, rng)
        self._offset = rng.randrange(self.grid_size)
        self._fallback = RandomSampler(seed=seed)

    def point(self, position: int) -> dict[str, Any]:
        """The grid point visited `position`-th."""
        index = (self._offset + position * self._step) % self.grid_size
        for branch in self.branches:
            if index < branch.size:
                return branch.point(index)
            index -= branch.size
        raise IndexError(position)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if GRID_ID not in trial.system_attrs:
            position = len(_started(study))
            study._storage.set_trial_system_attr(trial._trial_id, GRID_ID, position)

    def is_exhausted(self, study: Study) -> bool:
        """Every grid point has been started (running ones count: a parallel slot must not
        take the last point again)."""
        return len(_started(study)) >= self.grid_size

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        position = trial.system_attrs.get(GRID_ID)
        point = {} if position is None else self.point(int(position) % self.grid_size)
        if param_name in point:
            return point[param_name]
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)


def _started(study: Study) -> set[int]:
    return {
        int(t.system_attrs[GRID_ID])
        for t in study.get_trials(deepcopy=False)
        if GRID_ID in t.system_attrs and t.state != TrialState.WAITING
    }


def _coprime_step(size: int, rng: random.Random) -> int:
    """A step whose multiples visit every number below `size` once (gcd 1)."""
    if size <= 2:
        return 1
    while True:
        step = rng.randrange(1, size)
        if math.gcd(step, size) == 1:
            return step


def grid_exhausted(sampler: BaseSampler, study: optuna.Study) -> bool:
    return isinstance(sampler, ConditionalGridSampler) and sampler.is_exhausted(study)


__all__: Sequence[str] = ["ConditionalGridSampler", "grid_branches", "grid_exhausted"]
