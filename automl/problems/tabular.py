"""Tabular data: a joint model/preprocessing space, cross-validated or holdout scores, a
Caruana ensemble of the best trials refit on all rows."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import optuna

from automl._study import is_memory
from automl.budget import Budget
from automl.config import SearchSettings
from automl.data import Dataset, choose_evaluation, meta_features
from automl.evaluation import TabularObjective, TrialResult
from automl.exceptions import ConfigError
from automl.executors import ExecutorSettings, Work
from automl.fidelity import FidelityPlan, data_fraction_plan
from automl.metrics import get_metric
from automl.models import default_families, family_libraries, get_family
from automl.problems.base import ScoredProblem, register_problem
from automl.record import StudyMeta
from automl.refit import (
    FoldModelFallback,
    RefitReserve,
    ensemble_weights,
    refit_members,
    validation_score,
)
from automl.result import SearchResult
from automl.space import SearchSpace, TabularSpace, tabular_space
from automl.storage import PredictionStore
from automl.strategies import Strategy, strategy_info

logger = logging.getLogger(__name__)


class TabularData(ScoredProblem):
    """What every tabular search shares: the validated dataset, its metric and evaluation
    splits, the joint model/preprocessing space and the study's metadata."""

    kind = "tabular"

    def __init__(self, dataset: Dataset, settings: SearchSettings) -> None:
        super().__init__(settings)
        self.dataset = dataset
        self.metric = get_metric(settings.metric, dataset.task)
        self.plan = choose_evaluation(dataset.y, dataset.task, settings.evaluation)
        self.seed = settings.seed or 0

    @cached_property
    def tabular(self) -> TabularSpace:
        rows = len(self.dataset.y)
        left_out = set(default_families()) - set(default_families(rows))
        if left_out and self.settings.space in (None, "default"):
            logger.info(
                "%s left out of the default space for %d rows (name it in the space to search it)",
                ", ".join(sorted(left_out)),
                rows,
            )
        return tabular_space(self.settings.space, rows)

    @cached_property
    def splits(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(train rows, validation rows) of each evaluation split."""
        return self.plan.splits(self.dataset.y, self.dataset.task, self.seed)

    def space(self) -> SearchSpace:
        return self.tabular.space

    def starting_points(self) -> Sequence[dict[str, Any]]:
        return self.tabular.starting_points

    def study_meta(self, strategy: Strategy) -> StudyMeta:
        secondary = ("minimize",) if strategy.multi_objective else ()
        return StudyMeta(
            kind=self.kind,
            directions=(self.metric.direction, *secondary),
            target=self.settings.target,
            task=self.dataset.task.value,
            metric=self.metric.name,
            fingerprint=self.dataset.fingerprint(),
            evaluation=self.plan.name,
            space=self.space().to_dict(),
            meta_features=meta_features(self.dataset),
            fidelity=plan.axis() if (plan := self.fidelity()) is not None else None,
        )


@register_problem
class TabularProblem(TabularData):
    """Predict `settings.target` from the other columns of a CSV/Parquet file or DataFrame:
    cross-validated or holdout scores, the predictions kept, the best trials refit."""

    def __init__(self, dataset: Dataset, settings: SearchSettings) -> None:
        super().__init__(dataset, settings)
        self._fidelity: FidelityPlan | None = None
        self.store: PredictionStore | None = None
        self.refit_reserve: RefitReserve | None = None
        self.fallback: FoldModelFallback | None = None

    @classmethod
    def matches(cls, data: Any, objective: Any, settings: SearchSettings) -> bool:
        return data is not None

    @classmethod
    def build(cls, data: Any, objective: Any, settings: SearchSettings) -> TabularData:
        if not settings.target:
            raise ConfigError("target= is required: the name of the column to predict")
        dataset = Dataset.from_source(data, settings.target, settings.task)
        logger.info("data: %s", dataset.describe())
        if strategy_info(settings.strategy).population:
            from automl.problems._population import Population

            return Population(dataset, settings)
        return cls(dataset, settings)

    def fidelity(self) -> FidelityPlan:
        if self._fidelity is None:
            train_rows = len(self.splits[0][0])
            self._fidelity = choose_fidelity(self.settings.strategy, train_rows, self.tabular)
            logger.info("trials report on %s", self._fidelity.describe())
        return self._fidelity

    def work(self, strategy: Strategy, study: optuna.Study) -> Work:
        s = self.settings
        measure_size = strategy.multi_objective and s.secondary_objective == "size"
        self.store = PredictionStore.for_study(study.study_name, is_memory(s.storage))
        if s.time_budget:
            self.refit_reserve = RefitReserve(
                self.plan, self.metric.greater_is_better, s.time_budget
            )
            self.fallback = FoldModelFallback(self.metric.greater_is_better)
        return TabularObjective(
            self.dataset,
            self.splits,
            self.metric,
            self.seed,
            measure_size,
            self.fidelity(),
            family_libraries(self.tabular.families),
            keep_fold_models=self.fallback is not None and not strategy.multi_objective,
        )

    def values_of(self, strategy: Strategy) -> Callable[[Any], Sequence[float]]:
        if not strategy.multi_objective:
            return lambda result: [result.score]
        if self.settings.secondary_objective == "latency":
            return lambda result: [result.score, result.predict_ms_per_1k_rows]
        return lambda result: [result.score, float(result.model_bytes)]

    def summary_of(self, result: TrialResult) -> dict[str, Any]:
        return {
            "fold_scores": [round(v, 6) for v in result.fold_scores],
            "fit_seconds": round(result.fit_seconds, 4),
            "threads": result.threads,
            "iterations": result.rounds,
            "predict_ms_per_1k_rows": round(result.predict_ms_per_1k_rows, 4),
            "model_bytes": result.model_bytes or None,
            "cut_short": result.cut_short or None,
        }

    def keep(self, number: int, result: TrialResult) -> None:
        assert self.store is not None
        self.store.save(number, result.indices, result.predictions)
        if self.refit_reserve is not None:
            self.refit_reserve.update(result)
        if self.fallback is not None:
            self.fallback.update(number, result)

    def reserve(self) -> float:
        return self.refit_reserve() if self.refit_reserve is not None else 0.0

    def result(self, study: optuna.Study) -> SearchResult:
        return SearchResult(study, self.metric.name, predictions=self.store)

    def finalise(
        self, result: SearchResult, strategy: Strategy, budget: Budget, executors: ExecutorSettings
    ) -> None:
        """A Caruana ensemble of the best trials (the best alone for a multi-objective search),
        its members refit on all rows within what is left of the budget."""
        assert self.store is not None
        best_only = {result.best_trial.number: 1.0}
        weights = best_only
        if self.settings.ensemble and not strategy.multi_objective:
            weights = ensemble_weights(result, self.store, self.dataset, self.metric)
        result.model, notes = refit_members(
            result,
            weights,
            self.dataset,
            self.metric,
            self.plan,
            budget,
            executors.local,
            self.seed,
        )
        if result.model is None and self.fallback is not None:
            result.model, note = self.fallback.model(result, self.dataset, self.metric, self.plan)
            notes = notes if note is None else [*notes, note]
        result.notes.extend(notes)
        if result.model is not None:
            members = result.model.info["ensemble"]
            score = validation_score(members, self.store, self.dataset, self.metric)
            result.model.info["validation_score"] = None if score is None else round(score, 6)


def choose_fidelity(strategy: str, train_rows: int, space: TabularSpace) -> FidelityPlan:
    """What trials report on: data-fraction rungs when the first split's training rows allow at
    least one rung of MIN_RUNG_ROWS (multi-fidelity strategies), else iterations (see
    `iterations_plan`); the `lc` strategy always extrapolates iterations; other strategies
    report folds."""
    if not strategy_info(strategy).multi_fidelity:
        return FidelityPlan()
    iterations = iterations_plan(space)
    if strategy == "lc":
        return iterations
    return data_fraction_plan(train_rows) or iterations


def iterations_plan(space: TabularSpace) -> FidelityPlan:
    """The learning curve of the space's first family that reports one (LightGBM's boosting
    rounds in the default space); full fidelity is the largest iteration count the space
    allows. Families with another unit, or none, then report nothing but their final score."""
    family = next((f for f in map(get_family, space.families) if f.curve_unit), None)
    if family is None or family.iterations_param is None or family.curve_unit is None:
        return FidelityPlan("rounds", sparse=True)
    name = f"{family.name}.{family.iterations_param}"
    return FidelityPlan(
        family.curve_unit,
        max_steps=_largest(space, name, family.default_iterations),
        sparse=family.sparse_curve,
        label=f"{family.name} {family.curve_unit}",
    )


def _largest(space: TabularSpace, name: str, default: int) -> int:
    """The largest value of an int parameter in the space (full fidelity for iterations)."""
    for param in space.space.params:
        if param.name == name:
            if param.high is not None:
                return int(param.high)
            if param.choices:
                return int(max(float(c) for c in param.choices if c is not None))
    return default
