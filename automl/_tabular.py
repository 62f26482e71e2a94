"""The tabular search: dataset -> joint model/preprocessing space -> Search -> refit of the best."""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from automl._study import is_memory, open_study, storage_url
from automl.budget import Budget
from automl.data import Dataset, EvaluationPlan, choose_evaluation, meta_features
from automl.evaluation import TabularObjective, TrialResult
from automl.exceptions import ConfigError
from automl.executors import ExecutorSettings, make_executor
from automl.fidelity import FidelityPlan, data_fraction_plan
from automl.metrics import Metric, get_metric
from automl.model import FittedModel
from automl.models import get_family
from automl.models._mlp import SCHEDULE_PARAMS
from automl.pbt import MLPSegment, PBTSettings, PopulationSearch
from automl.record import StudyMeta
from automl.refit import RefitReserve, ensemble_weights, refit_members
from automl.result import SearchResult
from automl.search import OnTrial, Search
from automl.space import TabularSpace, tabular_space
from automl.storage import PredictionStore
from automl.strategies import Strategy, make_strategy, strategy_info

logger = logging.getLogger(__name__)
SECONDARY_OBJECTIVES = ("latency", "size")
MAX_GENERATIONS = 10_000
"""PBT rounds when only a time budget bounds them."""


@dataclass
class TabularSettings:
    """Everything `automl.search` accepts for a tabular search, validated in one place."""

    target: str
    task: str | None = None
    metric: str | None = None
    strategy: str = "auto"
    space: Any = None
    storage: str | None = None
    study_name: str | None = None
    seed: int | None = None
    evaluation: str | int = "auto"
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    secondary_objective: str = "latency"
    ensemble: bool = True
    budget: Budget = field(default_factory=Budget)


def run_tabular_search(
    data: str | Path | pd.DataFrame, s: TabularSettings, on_trial: OnTrial | None
) -> SearchResult:
    if s.secondary_objective not in SECONDARY_OBJECTIVES:
        raise ConfigError(
            f"secondary_objective must be one of {SECONDARY_OBJECTIVES}, got {s.secondary_objective!r}"
        )
    dataset = Dataset.from_source(data, s.target, s.task)
    logger.info("data: %s", dataset.describe())
    metric = get_metric(s.metric, dataset.task)
    plan = choose_evaluation(dataset.y, dataset.task, s.evaluation)
    if strategy_info(s.strategy).population:
        return _run_population(dataset, metric, plan, s, on_trial)
    space = tabular_space(s.space)
    splits = plan.splits(dataset.y, dataset.task, s.seed or 0)
    fidelity = choose_fidelity(s.strategy, len(splits[0][0]), space)
    strategy = make_strategy(s.strategy, space.space, s.seed, fidelity, metric.bounds)
    logger.info("strategy %s; trials report on %s", strategy.name, fidelity.describe())
    study = _open_study(dataset, metric, plan, space, strategy, s)
    measure_size = strategy.multi_objective and s.secondary_objective == "size"
    objective = TabularObjective(dataset, splits, metric, s.seed or 0, measure_size, fidelity)
    store = PredictionStore.for_study(study.study_name, is_memory(s.storage))
    reserve = RefitReserve(plan, metric.greater_is_better) if s.budget.time_budget else None

    def keep(number: int, result: TrialResult) -> None:
        store.save(number, result.indices, result.predictions)
        if reserve is not None:
            reserve.update(result)

    executor = make_executor(s.executor, objective)
    values_of = _values_of(strategy.multi_objective, s.secondary_objective)
    search = Search(
        study,
        space.space,
        strategy,
        executor,
        s.budget,
        values_of,
        _summary,
        keep,
        on_trial,
        reserve or (lambda: 0.0),
        storage_url(s.storage),
    )
    try:
        search.run()
    finally:
        executor.close()
    result = SearchResult(study, metric.name, predictions=store)
    if search.interrupted:
        result.notes.append("the search was interrupted; the model uses the trials that finished")
    use_ensemble = s.ensemble and not strategy.multi_objective
    best_only = {result.best_trial.number: 1.0}
    weights = ensemble_weights(result, store, dataset, metric) if use_ensemble else best_only
    result.model, notes = refit_members(
        result, weights, dataset, metric, plan, s.budget, s.executor.local, s.seed or 0
    )
    result.notes.extend(notes)
    result.elapsed = s.budget.elapsed
    return result


def _run_population(
    dataset: Dataset,
    metric: Metric,
    plan: EvaluationPlan,
    s: TabularSettings,
    on_trial: OnTrial | None,
) -> SearchResult:
    """Population-based training of the torch MLP on the first split (see automl.pbt). The
    model is the best member as trained: PBT's schedule of settings cannot be replayed on all
    rows, so there is no refit."""
    space = tabular_space(s.space if s.space is not None else {"models": ["mlp"]})
    if space.families != ("mlp",):
        raise ConfigError(
            "strategy 'pbt' trains torch MLPs: use space={'models': ['mlp']} (or leave space unset)"
        )
    strategy = make_strategy("pbt", space.space, s.seed)
    study = _open_study(dataset, metric, plan, space, strategy, s)
    train, valid = plan.splits(dataset.y, dataset.task, s.seed or 0)[0]
    work = MLPSegment(dataset, train, valid, metric, s.seed or 0)
    executor = make_executor(s.executor, work)
    settings = PBTSettings()
    if s.budget.n_trials is not None:
        settings = replace(settings, generations=max(1, s.budget.n_trials // settings.population))
    elif s.budget.time_budget is not None:
        settings = replace(settings, generations=MAX_GENERATIONS)
    explorable = {f"mlp.{name}" for name in SCHEDULE_PARAMS}
    search = PopulationSearch(
        study, space.space, executor, s.budget, explorable, settings, s.seed, on_trial
    )
    try:
        search.run()
    finally:
        executor.close()
    if search.interrupted and not any(m.score is not None for m in search.members):
        raise KeyboardInterrupt  # nothing finished: the caller reports the interruption
    result = SearchResult(study, metric.name, elapsed=s.budget.elapsed)
    if search.interrupted:
        result.notes.append("the search was interrupted; the model is the best finished round")
    best = search.best_member()
    assert best.checkpoint is not None and best.config is not None
    info = {"study": study.study_name, "evaluation": "pbt", "pbt_member": best.id}
    result.model = FittedModel(
        [pickle.loads(best.checkpoint)],
        [1.0],
        dataset.task,
        dataset.target,
        dataset.classes,
        best.config,
        metric.name,
        info,
        families=space.families,
    )
    result.notes.append(
        "PBT: the model is the best member as trained on the training split (no refit)"
    )
    return result


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


def _open_study(
    dataset: Dataset,
    metric: Metric,
    plan: EvaluationPlan,
    space: TabularSpace,
    strategy: Strategy,
    s: TabularSettings,
) -> optuna.Study:
    """Open or resume the study; a new one gets the strategy's starting points queued."""
    directions = (metric.direction,) + (("minimize",) if strategy.multi_objective else ())
    meta = StudyMeta(
        kind="tabular",
        directions=directions,
        target=s.target,
        task=dataset.task.value,
        metric=metric.name,
        fingerprint=dataset.fingerprint(),
        evaluation=plan.name,
        space=space.space.to_dict(),
        meta_features=meta_features(dataset),
    )
    study, is_new = open_study(s.storage, s.study_name, strategy, meta)
    if is_new and strategy.use_starting_points:
        for point in space.starting_points:
            study.enqueue_trial(point, skip_if_exists=True)
    return study


def _values_of(multi_objective: bool, secondary: str) -> Any:
    def values(result: TrialResult) -> list[float]:
        if not multi_objective:
            return [result.score]
        second = (
            result.predict_ms_per_1k_rows if secondary == "latency" else float(result.model_bytes)
        )
        return [result.score, second]

    return values


def _summary(result: TrialResult) -> dict[str, Any]:
    return {
        "fold_scores": [round(v, 6) for v in result.fold_scores],
        "fit_seconds": round(result.fit_seconds, 4),
        "iterations": result.rounds,
        "predict_ms_per_1k_rows": round(result.predict_ms_per_1k_rows, 4),
        "model_bytes": result.model_bytes or None,
    }
