"""Grid search in an ask/tell loop: Optuna's GridSampler without its stop from `after_trial`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import optuna
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState


class AskTellGridSampler(optuna.samplers.GridSampler):
    """GridSampler for an ask/tell loop: Optuna's stops the study from `after_trial`, which is
    only allowed inside `study.optimize`; the Search loop checks `is_exhausted` itself."""

    def __init__(self, search_space: Mapping[str, Sequence[Any]], seed: int | None = None) -> None:
        super().__init__(search_space, seed=seed)
        self.grid_size = math.prod(len(values) for values in search_space.values())

    def is_exhausted(self, study: optuna.Study) -> bool:
        """Every grid point has been started. Optuna's own answer stays False while the last
        point runs, and with parallel slots another slot would run it a second time."""
        started = {
            t.system_attrs["grid_id"]
            for t in study.get_trials(deepcopy=False)
            if "grid_id" in t.system_attrs and t.state != TrialState.WAITING
        }
        return len(started) >= self.grid_size

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Any
    ) -> None:
        return None


def grid_exhausted(sampler: BaseSampler, study: optuna.Study) -> bool:
    return isinstance(sampler, optuna.samplers.GridSampler) and sampler.is_exhausted(study)
