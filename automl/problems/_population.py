"""Population-based training of the torch MLP on a tabular problem's first split (see
automl.pbt). The model is the best member as trained: PBT's schedule of settings cannot be
replayed on all rows, so there is no refit."""

from __future__ import annotations

import pickle
from dataclasses import replace
from typing import TYPE_CHECKING

from automl._study import open_study
from automl.budget import Budget
from automl.exceptions import ConfigError
from automl.executors import make_executor
from automl.model import FittedModel
from automl.models._mlp import SCHEDULE_PARAMS
from automl.pbt import MLPSegment, PBTSettings, PopulationSearch
from automl.result import SearchResult
from automl.search import OnTrial
from automl.space import tabular_space
from automl.strategies import make_strategy

if TYPE_CHECKING:
    from automl.problems.tabular import TabularProblem

MAX_GENERATIONS = 10_000
"""PBT rounds when only a time budget bounds them."""


def run_population(
    problem: TabularProblem, budget: Budget, on_trial: OnTrial | None
) -> SearchResult:
    s, dataset, metric = problem.settings, problem.dataset, problem.metric
    space = tabular_space(s.space if s.space is not None else {"models": ["mlp"]})
    if space.families != ("mlp",):
        raise ConfigError(
            "strategy 'pbt' trains torch MLPs: use space={'models': ['mlp']} (or leave space unset)"
        )
    problem._space = space
    strategy = make_strategy("pbt", space.space, s.seed)
    study, _ = open_study(s.storage, s.study_name, strategy, problem.study_meta(strategy))
    train, valid = problem.plan.splits(dataset.y, dataset.task, problem.seed)[0]
    work = MLPSegment(dataset, train, valid, metric, problem.seed)
    executor = make_executor(s.executor_settings(), work)
    settings = PBTSettings()
    if budget.n_trials is not None:
        settings = replace(settings, generations=max(1, budget.n_trials // settings.population))
    elif budget.time_budget is not None:
        settings = replace(settings, generations=MAX_GENERATIONS)
    explorable = {f"mlp.{name}" for name in SCHEDULE_PARAMS}
    search = PopulationSearch(
        study, space.space, executor, budget, explorable, settings, s.seed, on_trial
    )
    try:
        search.run()
    finally:
        executor.close()
    if search.interrupted and not any(m.score is not None for m in search.members):
        raise KeyboardInterrupt  # nothing finished: the caller reports the interruption
    result = SearchResult(study, metric.name, elapsed=budget.elapsed)
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
