"""FamilyBandit: choose the model family of the next trial from how each family has done so far.

TPE alone keeps spending trials on families that are clearly worse (a slow random forest on
data where boosting wins), because with few trials its model for the `model` choice is mostly
prior. After the starting points, the `auto` strategy fixes the family of each new trial (TPE
then samples that family's parameters): the best family so far with probability 0.6, the
runner-up with 0.25, and the others share the remaining 0.15, so no family is ever ruled out.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.trial import TrialState

SHARES = (0.6, 0.25)


class FamilyBandit:
    """Proposes `{param: family}` for the next trial, or None while queued trials remain."""

    def __init__(self, families: Sequence[str], seed: int | None, param: str = "model") -> None:
        self.families = list(families)
        self.param = param
        self.rng = random.Random(seed)

    def propose(self, study: optuna.Study) -> dict[str, Any] | None:
        trials = study.get_trials(deepcopy=False)
        if any(t.state == TrialState.WAITING for t in trials):
            return None
        ranked = self.rank(study, trials)
        return {self.param: self.rng.choices(ranked, weights=rank_weights(len(ranked)))[0]}

    def rank(self, study: optuna.Study, trials: list[optuna.trial.FrozenTrial]) -> list[str]:
        """Families best first by their best completed score; families with none come last."""
        sign = 1.0 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1.0
        best: dict[str, float] = {}
        for t in trials:
            family = t.params.get(self.param)
            if t.state == TrialState.COMPLETE and family in self.families and t.values:
                best[family] = max(best.get(family, -float("inf")), sign * t.values[0])
        return sorted(self.families, key=lambda f: best.get(f, -float("inf")), reverse=True)


def rank_weights(n: int) -> list[float]:
    """Sampling weights by rank: SHARES for the first ranks, the rest split evenly."""
    if n == 1:
        return [1.0]
    if n == 2:
        return [SHARES[0] + (1 - sum(SHARES)), SHARES[1]]
    rest = (1 - sum(SHARES)) / (n - 2)
    return [*SHARES, *[rest] * (n - 2)]
