"""Successive halving on explicit rungs, asynchronous (ASHA, Li et al. 2020).

A trial that reaches a rung continues only if its score there is in the top 1/eta of all
trials that have reached that rung so far. Until `min_competitors` trials have reached a rung,
every trial is promoted: Optuna's SuccessiveHalvingPruner instead promotes only a new best
among its first eta trials, which in a one-trial-at-a-time search stops good configurations on
noise. Rungs are steps on any fidelity (data-fraction units, boosting rounds, epochs).
"""

from __future__ import annotations

from collections.abc import Sequence

import optuna
from optuna.pruners import BasePruner
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial


class AshaPruner(BasePruner):
    """Prune at `rungs` (ascending steps) unless the trial is in the top 1/`eta` there."""

    def __init__(
        self, rungs: Sequence[int], eta: int = 3, min_competitors: int | None = None
    ) -> None:
        if eta < 2:
            raise ValueError(f"eta must be at least 2, got {eta}")
        self.rungs = sorted(set(int(r) for r in rungs))
        self.eta = eta
        self.min_competitors = eta if min_competitors is None else min_competitors

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        steps = sorted(trial.intermediate_values)
        if not steps:
            return False
        step = steps[-1]
        crossed = [r for r in self.rungs if rung_step(steps, r) == step]
        if not crossed:
            return False
        others = [t for t in study.get_trials(deepcopy=False) if t.number != trial.number]
        maximize = study.direction == StudyDirection.MAXIMIZE
        value = trial.intermediate_values[step]
        return any(not self._promotable(value, rung, others, maximize) for rung in crossed)

    def _promotable(
        self, value: float, rung: int, others: list[FrozenTrial], maximize: bool
    ) -> bool:
        competing = [value]
        for other in others:
            at = rung_step(sorted(other.intermediate_values), rung)
            if at is not None:
                competing.append(other.intermediate_values[at])
        if len(competing) < self.min_competitors:
            return True
        keep = max(1, len(competing) // self.eta)
        ranked = sorted(competing, reverse=maximize)
        return (value >= ranked[keep - 1]) if maximize else (value <= ranked[keep - 1])


def rung_step(steps: Sequence[int], rung: int) -> int | None:
    """The first reported step at or past `rung` (where a trial's rung score is read)."""
    return next((s for s in steps if s >= rung), None)


def geometric_rungs(low: int, high: int, eta: int) -> list[int]:
    """low, low*eta, low*eta^2, ... below `high` (full fidelity is never a rung)."""
    rungs, value = [], max(1, low)
    while value < high:
        rungs.append(value)
        value *= eta
    return rungs
