"""Public entry points: search() over tabular data or a custom objective, and load()."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from automl._study import open_study, storage_url
from automl._tabular import TabularSettings, run_tabular_search
from automl.budget import DEFAULT_TIME_BUDGET, Budget
from automl.exceptions import ConfigError
from automl.executors import ExecutorSettings, Resources, make_executor
from automl.model import load
from automl.record import StudyMeta
from automl.result import SearchResult
from automl.search import OnTrial, Search
from automl.space import SearchSpace, load_yaml
from automl.strategies import make_strategy, strategy_info

logger = logging.getLogger(__name__)
DEFAULT_OBJECTIVE_TRIALS = 100
Objective = Callable[[dict[str, Any], Callable[[float, int], None]], Any]


def search(
    data: str | Path | pd.DataFrame | None = None,
    target: str | None = None,
    task: str | None = None,
    metric: str | None = None,
    time_budget: float | None = None,
    n_trials: int | None = None,
    strategy: str = "auto",
    space: Mapping[str, Any] | str | Path | SearchSpace | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    seed: int | None = None,
    *,
    objective: Objective | None = None,
    direction: str | Sequence[str] = "maximize",
    evaluation: str | int = "auto",
    trial_time_limit: float | None = None,
    executor: str = "auto",
    n_parallel: int | None = None,
    trial_resources: Mapping[str, Any] | Resources | None = None,
    ray_address: str | None = None,
    secondary_objective: str = "latency",
    ensemble: bool = True,
    on_trial: OnTrial | None = None,
) -> SearchResult:
    """Search for the best model on `data` (CSV/Parquet path or DataFrame) predicting `target`,
    or tune `objective(config, report) -> float` over `space`.

    Budget: `time_budget` seconds (never overrun by more than 5%) and/or `n_trials` finished
    trials in the study (so re-running a study name resumes up to that count). With neither,
    a tabular search runs for 60 s and an objective for 100 trials. `storage` is an SQLAlchemy
    URL or .db path (default: an SQLite file in $AUTOML_HOME), or ':memory:'. With `ensemble`
    the final model is a Caruana ensemble of the best trials, refit on all rows.

    Trials run in a worker process by default (`executor="process"`; `"inprocess"` has the
    least overhead; `"ray"` runs them on a Ray cluster at `ray_address`, or a local one).
    `n_parallel` trials run at once (default one; on Ray, the cluster's CPUs divided by each
    trial's); `trial_resources` such as {"cpus": 1, "gpus": 0, "memory_mb": 4096} sets what each
    trial may use (threads, a hard memory limit in the process executor, placement on Ray).
    """
    if (data is None) == (objective is None):
        raise ConfigError("pass either data (with target=...) or objective=..., not both")
    if time_budget is None and n_trials is None:
        if objective is None:
            time_budget = DEFAULT_TIME_BUDGET
        else:
            n_trials = DEFAULT_OBJECTIVE_TRIALS
    if time_budget is not None and trial_time_limit is None and objective is None:
        trial_time_limit = max(10.0, time_budget / 4)
    budget = Budget(time_budget, n_trials, trial_time_limit)
    executors = ExecutorSettings.build(executor, n_parallel, trial_resources, ray_address)
    budget.start()  # loading and validating the data counts against the time budget too
    if objective is not None:
        return _search_objective(
            objective,
            space,
            direction,
            budget,
            strategy,
            storage,
            study_name,
            seed,
            executors,
            on_trial,
        )
    assert data is not None
    if not target:
        raise ConfigError("target= is required: the name of the column to predict")
    settings = TabularSettings(
        target=target,
        task=task,
        metric=metric,
        strategy=strategy,
        space=space,
        storage=storage,
        study_name=study_name,
        seed=seed,
        evaluation=evaluation,
        executor=executors,
        secondary_objective=secondary_objective,
        ensemble=ensemble,
        budget=budget,
    )
    return run_tabular_search(data, settings, on_trial)


def _search_objective(
    objective: Objective,
    space: Any,
    direction: str | Sequence[str],
    budget: Budget,
    strategy_name: str,
    storage: str | None,
    study_name: str | None,
    seed: int | None,
    executors: ExecutorSettings,
    on_trial: OnTrial | None,
) -> SearchResult:
    if not callable(objective):
        raise ConfigError("objective must be a callable objective(config, report) -> float")
    search_space = _objective_space(space)
    directions = [direction] if isinstance(direction, str) else list(direction)
    for d in directions:
        if d not in ("maximize", "minimize"):
            raise ConfigError(f"direction must be 'maximize' or 'minimize', got {d!r}")
    if len(directions) > 1 and not strategy_info(strategy_name).several_objectives:
        raise ConfigError(
            "several directions need a multi-objective strategy: use strategy='nsga2'"
        )
    strategy = make_strategy(strategy_name, search_space, seed)
    meta = StudyMeta("objective", tuple(directions), space=search_space.to_dict())
    study, _ = open_study(storage, study_name, strategy, meta)
    executor = make_executor(executors, objective)
    search = Search(
        study,
        search_space,
        strategy,
        executor,
        budget,
        values_of=_as_values,
        on_trial=on_trial,
        storage_url=storage_url(storage),
    )
    try:
        search.run()
    finally:
        executor.close()
    return SearchResult(study, "value", elapsed=budget.elapsed)


def _objective_space(space: Any) -> SearchSpace:
    if isinstance(space, SearchSpace):
        return space
    if space is None:
        raise ConfigError(
            "a custom objective needs space=... (a dict of parameters or a YAML file)"
        )
    if isinstance(space, (str, Path)):
        space = load_yaml(space)
    return SearchSpace.from_dict(space)


def _as_values(value: Any) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [float(v) for v in value]
    return [float(value)]


__all__ = ["load", "search"]
