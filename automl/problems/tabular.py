"""Tabular data: a joint model/preprocessing space, cross-validated or holdout scores, a
Caruana ensemble of the best trials refit on all rows."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna

from automl._study import is_memory
from automl.bagging import FoldModels
from automl.budget import Budget
from automl.config import SearchSettings
from automl.data import Dataset, choose_evaluation, meta_features
from automl.evaluation import TabularObjective, TrialResult
from automl.exceptions import ConfigError
from automl.executors import ExecutorSettings, Work, usable_cpus
from automl.fidelity import FidelityPlan, data_fraction_plan
from automl.metrics import get_metric
from automl.models import default_families, get_family
from automl.pipeline._prepare import FramePreparer, safe_name
from automl.problems.base import ScoredProblem, register_problem
from automl.record import StudyMeta
from automl.reevaluation import ReevaluationReserve, reevaluate
from automl.refit import (
    RefitReserve,
    ensemble_weights,
    refit_members,
    validation_score,
)
from automl.result import SearchResult
from automl.space import (
    MODEL_PARAM,
    SearchSpace,
    TabularSpace,
    load_portfolio,
    tabular_space,
)
from automl.steps._cross import CrossStep
from automl.steps.cross_search import CrossSearchReport, search_crosses
from automl.storage import PredictionStore
from automl.strategies import Strategy, strategy_info

if TYPE_CHECKING:
    from automl.fidelity.supernet import ScreenReport

logger = logging.getLogger(__name__)


class TabularData(ScoredProblem):
    """What every tabular search shares: the validated dataset, its metric and evaluation
    splits, the joint model/preprocessing space and the study's metadata."""

    kind = "tabular"
    screen: ScreenReport | None = None

    def __init__(
        self,
        dataset: Dataset,
        settings: SearchSettings,
        crosses: CrossSearchReport | None = None,
    ) -> None:
        super().__init__(settings)
        self.dataset = dataset
        self.metric = get_metric(settings.metric, dataset.task)
        self.plan = choose_evaluation(dataset.y, dataset.task, settings.evaluation)
        self.seed = settings.seed or 0
        self.crosses = crosses

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
        portfolio = load_portfolio(self.dataset.task, self.settings.portfolio)
        many_valued = bool(self.dataset.roles.high_cardinality)
        return self.offered(tabular_space(self.settings.space, rows, portfolio, many_valued))

    def offered(self, space: TabularSpace) -> TabularSpace:
        """The space without the cross step's choice when no crosses were kept."""
        return space if self.dataset.roles.crosses else space.without_step(CrossStep.name)

    @cached_property
    def splits(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(train rows, validation rows) of each evaluation split."""
        return self.plan.splits(self.dataset.y, self.dataset.task, self.seed)

    def space(self) -> SearchSpace:
        return self.tabular.space

    def starting_points(self) -> Sequence[dict[str, Any]]:
        return (*self.screened_networks(), *self.tabular.starting_points)

    def screened_networks(self) -> list[dict[str, Any]]:
        """With `supernet_share`: the MLP shapes a weight-sharing supernet judges best, trained
        on the first split within that share of the budget (counted against it)."""
        share = self.settings.supernet_share
        if share <= 0 or "mlp" not in self.tabular.families:
            return []
        starts = [p for p in self.tabular.starting_points if p.get(MODEL_PARAM) == "mlp"]
        from automl.fidelity.supernet import screen_shapes

        seconds = share * (self.settings.time_budget or UNBUDGETED_SECONDS)
        self.screen = screen_shapes(
            self.dataset, self.splits[0], starts[0] if starts else {MODEL_PARAM: "mlp"},
            self.space(), self.metric, self.seed,
            time.monotonic() + seconds,
        )  # fmt: skip
        if self.screen is None:
            logger.info("no supernet: the space does not search MLP shapes it can share")
            return []
        logger.info("%s", self.screen.describe())
        return self.screen.configurations()

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
            crosses=self.crosses.to_dict() if self.crosses is not None else None,
        )


@register_problem
class TabularProblem(TabularData):
    """Predict `settings.target` from the other columns of a CSV/Parquet file or DataFrame:
    cross-validated or holdout scores, the predictions kept, the best trials refit."""

    _fidelity: FidelityPlan | None = None
    store: PredictionStore | None = None
    refit_reserve: RefitReserve | None = None
    rescore_reserve: ReevaluationReserve | None = None
    fold_models: FoldModels | None = None
    objective: TabularObjective | None = None

    @classmethod
    def matches(cls, data: Any, objective: Any, settings: SearchSettings) -> bool:
        return data is not None

    @classmethod
    def build(cls, data: Any, objective: Any, settings: SearchSettings) -> TabularData:
        if not settings.target:
            raise ConfigError("target= is required: the name of the column to predict")
        dataset = Dataset.from_source(data, settings.target, settings.task)
        logger.info("data: %s", dataset.describe())
        dataset, crosses = choose_crosses(dataset, settings)
        if strategy_info(settings.strategy).population:
            from automl.problems._population import Population

            return Population(dataset, settings, crosses)
        return cls(dataset, settings, crosses)

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
        bagging = self.bags(strategy)
        if s.time_budget and not bagging:
            self.refit_reserve = RefitReserve(
                self.plan, self.metric.greater_is_better, s.time_budget
            )
        if self.rescores(strategy) and s.time_budget:
            slots = s.n_parallel or usable_cpus()
            self.rescore_reserve = ReevaluationReserve(
                self.plan, self.metric.greater_is_better, s.time_budget, slots
            )
        if (s.time_budget or bagging) and not strategy.multi_objective:
            self.fold_models = FoldModels(self.metric.greater_is_better)
        self.objective = TabularObjective(
            self.dataset,
            self.splits,
            self.metric,
            self.seed,
            measure_size,
            self.fidelity(),
            tuple(self.tabular.families),
            keep_fold_models=self.fold_models is not None,
            plan=self.plan,
        )
        return self.objective

    def rescores(self, strategy: Strategy) -> bool:
        """Whether the best trials are scored on every fold after the search: random-fold
        evaluation (a multi-objective search keeps its one-fold Pareto front)."""
        return self.plan.random_fold and not strategy.multi_objective

    def bags(self, strategy: Strategy) -> bool:
        """Whether the final model averages the chosen trials' split models instead of
        refitting them on all rows: `final_model` 'bagged' with cross-validation."""
        return (
            self.settings.final_model == "bagged"
            and self.plan.n_folds > 1
            and not strategy.multi_objective
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
            "folds": result.folds,
        }

    def keep(self, number: int, result: TrialResult) -> None:
        assert self.store is not None
        self.store.save(number, result.indices, result.predictions)
        if self.refit_reserve is not None:
            self.refit_reserve.update(result)
        if self.fold_models is not None:
            self.fold_models.update(number, result)
        if self.rescore_reserve is not None:
            self.rescore_reserve.update(result)

    def reserve(self) -> float:
        refit = self.refit_reserve() if self.refit_reserve is not None else 0.0
        return refit + (self.rescore_reserve() if self.rescore_reserve is not None else 0.0)

    def result(self, study: optuna.Study) -> SearchResult:
        result = SearchResult(study, self.metric.name, predictions=self.store)
        if self.crosses is not None:
            result.notes.append(self.crosses.describe())
        if self.screen is not None:
            result.notes.append(self.screen.describe())
        return result

    def finalise(
        self, result: SearchResult, strategy: Strategy, budget: Budget, executors: ExecutorSettings
    ) -> None:
        """A Caruana ensemble of the best trials (the best alone for a multi-objective search),
        its members' split models averaged (bagging) or refit on all rows within what is left
        of the budget."""
        assert self.store is not None
        notes: list[str] = []
        ranked = self.rescore(result, strategy, budget, executors, notes)
        weights = {(ranked[0] if ranked else result.best_trial).number: 1.0}
        if self.settings.ensemble and not strategy.multi_objective:
            weights = ensemble_weights(result, self.store, self.dataset, self.metric, ranked)
        if self.bags(strategy) and self.fold_models is not None:
            result.model = self.fold_models.bagged(
                weights, result, self.dataset, self.metric, self.plan
            )
            if result.model is not None:
                notes.append(
                    f"final model: the {self.plan.n_folds} split models of each of its"
                    f" {len(weights)} member(s) averaged (bagging), no refit"
                )
        elif self.settings.final_model == "bagged":
            notes.append("final model refit on all rows: bagging needs cross-validation")
        if result.model is None:
            result.model, refit_notes = refit_members(
                result,
                weights,
                self.dataset,
                self.metric,
                self.plan,
                budget,
                executors.local,
                self.seed,
                self.split_models,
            )
            notes += refit_notes
        if result.model is None and self.fold_models is not None:
            result.model, note = self.fold_models.fallback(
                weights, result, self.dataset, self.metric, self.plan
            )
            notes = notes if note is None else [*notes, note]
        if self.fold_models is not None:
            self.fold_models.close()
        result.notes.extend(notes)
        if result.model is not None:
            members = result.model.info["ensemble"]
            score = validation_score(members, self.store, self.dataset, self.metric)
            result.model.info["validation_score"] = None if score is None else round(score, 6)

    def split_models(self, number: int) -> list[Any] | None:
        """A trial's split models from the search, for a member the refit could not reach."""
        return (
            None if self.fold_models is None else self.fold_models.pipelines(number, self.dataset)
        )

    def rescore(
        self,
        result: SearchResult,
        strategy: Strategy,
        budget: Budget,
        executors: ExecutorSettings,
        notes: list[str],
    ) -> list[optuna.trial.FrozenTrial] | None:
        """With random-fold evaluation: the best trials scored on every fold, best first (the
        final model's candidates); None: every trial's score is the one to choose by."""
        if not self.rescores(strategy) or self.objective is None or self.store is None:
            return None
        refit = self.refit_reserve if not self.bags(strategy) else None
        rescored = reevaluate(
            result, self.objective, self.store, self.fold_models, budget, executors.local,
            self.metric, refit() if refit is not None else 0.0,
        )  # fmt: skip
        notes.append(rescored.describe(result))
        logger.info("%s", notes[-1])
        return rescored.ranked(result) or None


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
        max_steps=space.space.largest(name, family.default_iterations),
        sparse=family.sparse_curve,
        label=f"{family.name} {family.curve_unit}",
    )


UNBUDGETED_SECONDS = 400.0
"""What a search without a time budget counts as when sizing its cross search (a share of
0.15: 60 s)."""
MIN_CROSS_SECONDS = 2.0


def choose_crosses(
    dataset: Dataset, settings: SearchSettings
) -> tuple[Dataset, CrossSearchReport | None]:
    """With `cross_share` > 0: the dataset with the crosses a cross search kept in its column
    roles (the trials then search `cross.encoding`), and the search's report."""
    share = settings.cross_share
    if share <= 0:
        return dataset, None
    seconds = share * (settings.time_budget or UNBUDGETED_SECONDS)
    if seconds < MIN_CROSS_SECONDS:
        logger.info("no cross search: %.0f%% of the budget is %.1fs", 100 * share, seconds)
        return dataset, None
    roles = dataset.roles
    preparer = FramePreparer(roles)
    categorical = [safe_name(c) for c in roles.categorical + roles.high_cardinality]
    report = search_crosses(
        preparer.fit_transform(dataset.features),
        dataset.y,
        dataset.task,
        preparer.numeric_columns(),
        categorical,
        settings.seed or 0,
        time.monotonic() + seconds,
    )
    logger.info("%s", report.describe())
    return replace(dataset, roles=replace(roles, crosses=report.crosses)), report
