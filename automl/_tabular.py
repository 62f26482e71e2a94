"""The tabular search: dataset -> joint model/preprocessing space -> Search -> refit of the best."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from automl._study import is_memory, open_study
from automl.budget import Budget
from automl.data import Dataset, EvaluationPlan, choose_evaluation
from automl.evaluation import TabularObjective, TrialResult, fit_final, refit_config
from automl.exceptions import ConfigError
from automl.executors import make_executor
from automl.metrics import Metric, get_metric
from automl.model import FittedModel
from automl.result import SearchResult
from automl.search import OnTrial, Search
from automl.space import tabular_space
from automl.storage import PredictionStore
from automl.strategies import make_strategy

logger = logging.getLogger(__name__)
SECONDARY_OBJECTIVES = ("latency", "size")


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
    executor: str = "auto"
    secondary_objective: str = "latency"
    budget: Budget = field(default_factory=Budget)


class RefitReserve:
    """Seconds to hold back for refitting the current best trial on all rows."""

    def __init__(self, plan: EvaluationPlan, maximize: bool) -> None:
        self.train_fraction = (
            (plan.n_folds - 1) / plan.n_folds if plan.n_folds > 1 else 1 - plan.holdout_fraction
        )
        self.n_fits = plan.n_folds
        self.maximize = maximize
        self.best: float | None = None
        self.seconds = 0.0

    def update(self, result: TrialResult) -> None:
        better = self.best is None or (
            result.score > self.best if self.maximize else result.score < self.best
        )
        if better:
            self.best = result.score
            self.seconds = 1.5 * result.fit_seconds / self.n_fits / self.train_fraction + 1.0

    def __call__(self) -> float:
        return self.seconds


def run_tabular_search(
    data: str | Path | pd.DataFrame, s: TabularSettings, on_trial: OnTrial | None
) -> SearchResult:
    dataset = Dataset.from_source(data, s.target, s.task)
    logger.info("data: %s", dataset.describe())
    metric = get_metric(s.metric, dataset.task)
    plan = choose_evaluation(dataset.y, dataset.task, s.evaluation)
    space = tabular_space(s.space)
    strategy = make_strategy(s.strategy, space.space, s.seed)
    if s.secondary_objective not in SECONDARY_OBJECTIVES:
        raise ConfigError(
            f"secondary_objective must be one of {SECONDARY_OBJECTIVES}, got {s.secondary_objective!r}"
        )
    directions = [metric.direction] + (["minimize"] if strategy.multi_objective else [])
    meta = {
        "kind": "tabular",
        "target": s.target,
        "task": dataset.task.value,
        "metric": metric.name,
        "fingerprint": dataset.fingerprint(),
        "evaluation": plan.name,
        "space": space.space.to_dict(),
    }
    study, is_new = open_study(s.storage, s.study_name, strategy, directions, meta)
    if is_new and strategy.use_starting_points:
        for point in space.starting_points:
            study.enqueue_trial(point, skip_if_exists=True)
    objective = TabularObjective(
        dataset, plan.splits(dataset.y, dataset.task, s.seed or 0), metric, s.seed or 0
    )
    store = PredictionStore.for_study(study.study_name, is_memory(s.storage))
    reserve = RefitReserve(plan, metric.greater_is_better) if s.budget.time_budget else None

    def keep(number: int, result: TrialResult) -> None:
        store.save(number, result.indices, result.predictions)
        if reserve is not None:
            reserve.update(result)

    executor = make_executor(s.executor, objective)
    search = Search(
        study,
        space.space,
        strategy,
        executor,
        s.budget,
        values_of=_values_of(strategy.multi_objective, s.secondary_objective),
        summary_of=_summary,
        keep=keep,
        on_trial=on_trial,
        reserve=reserve or (lambda: 0.0),
    )
    s.budget.start()
    try:
        search.run()
    finally:
        executor.close()
    result = SearchResult(study, metric.name, predictions=store)
    result.model, notes = _refit(result, dataset, metric, plan, s)
    result.notes.extend(notes)
    result.elapsed = s.budget.elapsed
    return result


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
        "rounds": result.rounds,
        "predict_ms_per_1k_rows": round(result.predict_ms_per_1k_rows, 4),
        "model_bytes": result.model_bytes,
    }


class RefitWork:
    """Fit the final pipeline for a config on all rows (run in a worker so it can be stopped)."""

    def __init__(self, dataset: Dataset, seed: int) -> None:
        self.dataset = dataset
        self.seed = seed

    def __call__(self, config: dict[str, Any], report: Any) -> Any:
        return fit_final(config, self.dataset, self.seed)


def _refit(
    result: SearchResult, dataset: Dataset, metric: Metric, plan: EvaluationPlan, s: TabularSettings
) -> tuple[FittedModel | None, list[str]]:
    best = result.best_trial
    record = best.user_attrs.get("result", {})
    config = refit_config(result.best_config, record.get("rounds"), plan.n_folds)
    timeout = s.budget.hard_remaining
    if timeout <= 0:
        return None, ["the time budget ran out before the best configuration could be refit"]
    executor = make_executor(s.executor, RefitWork(dataset, s.seed or 0))
    try:
        outcome = executor.run(
            config, None if math.isinf(timeout) else timeout, lambda v, step: False
        )
    finally:
        executor.close()
    if outcome.status != "ok":
        note = f"refitting the best configuration did not finish: {outcome.error}"
        logger.warning(note)
        return None, [note]
    info = {
        "study": result.study_name,
        "trial": best.number,
        "score": result.best_score,
        "evaluation": plan.name,
        "n_rows": dataset.n_rows,
    }
    return FittedModel(
        outcome.value, dataset.task, dataset.target, dataset.classes, config, metric.name, info
    ), []
