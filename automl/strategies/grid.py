"""Grid search in an ask/tell loop: Optuna's GridSampler without its stop from `after_trial`."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState


class AskTellGridSampler(optuna.samplers.GridSampler):
    """GridSampler for an ask/tell loop: Optuna's stops the study from `after_trial`, which is
    only allowed inside `study.optimize`; the Search loop checks `is_exhausted` itself."""

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Any
    ) -> None:
        return None


def grid_exhausted(sampler: BaseSampler, study: optuna.Study) -> bool:
    return isinstance(sampler, optuna.samplers.GridSampler) and sampler.is_exhausted(study)
