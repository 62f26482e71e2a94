"""Population-based training on a tabular problem's first split, of the families that train in
checkpointed segments (`schedule_params`: the torch MLP): the tabular problem with a
`PopulationScheduler` (see automl.pbt) deciding what each trial trains. The model is the best
member as trained: PBT's schedule of settings cannot be replayed on all rows, so there is no
refit."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import optuna

from automl.budget import Budget
from automl.exceptions import ConfigError
from automl.executors import ExecutorSettings, Work
from automl.model import FittedModel
from automl.models import family_names, get_family
from automl.pbt import (
    PopulationScheduler,
    Segment,
    TrainingSegment,
    population_scheduler,
)
from automl.problems.tabular import TabularData
from automl.result import SearchResult
from automl.space import TabularSpace, tabular_space
from automl.strategies import Strategy


class Population(TabularData):
    """PBT: each trial is one round of one member of the population, on the first split."""

    scheduler_: PopulationScheduler | None = None

    @cached_property
    def tabular(self) -> TabularSpace:
        trainable = [f for f in family_names() if get_family(f).schedule_params]
        spec = self.settings.space if self.settings.space is not None else {"models": trainable}
        space = tabular_space(spec)
        if not set(space.families) <= set(trainable):
            raise ConfigError(
                f"strategy 'pbt' trains models in checkpointed segments: use space="
                f"{{'models': {trainable}}} (or leave space unset)"
            )
        return self.offered(space)

    def work(self, strategy: Strategy, study: optuna.Study) -> Work:
        train, valid = self.splits[0]
        return TrainingSegment(self.dataset, train, valid, self.metric, self.seed)

    def scheduler(self, strategy: Strategy, study: optuna.Study, budget: Budget) -> Any:
        explorable = {
            f"{name}.{param}"
            for name in self.tabular.families
            for param in get_family(name).schedule_params
        }
        self.scheduler_ = population_scheduler(
            self.space(), explorable, budget, self.metric.greater_is_better, self.settings.seed
        )
        return self.scheduler_

    def values_of(self, strategy: Strategy) -> Callable[[Any], Sequence[float]]:
        return _segment_score

    def finalise(
        self, result: SearchResult, strategy: Strategy, budget: Budget, executors: ExecutorSettings
    ) -> None:
        assert self.scheduler_ is not None
        taken = self.scheduler_.take_best(
            lambda path: pickle.loads(path.read_bytes()), result.notes
        )
        if taken is None:
            return
        best, pipeline = taken
        assert best.config is not None
        info = {"study": result.study_name, "evaluation": "pbt", "pbt_member": best.id}
        dataset = self.dataset
        result.model = FittedModel(
            [pipeline],
            [1.0],
            dataset.task,
            dataset.target,
            dataset.classes,
            best.config,
            self.metric.name,
            info,
            families=self.tabular.families,
        )
        result.notes.append(
            "PBT: the model is the best member as trained on the training split (no refit)"
        )


def _segment_score(segment: Segment) -> list[float]:
    return [segment.score]
