"""run_problem: the one path from a Problem and its settings to a SearchResult."""

from __future__ import annotations

import optuna

from automl._study import open_study, storage_url
from automl.budget import Budget
from automl.executors import make_executor
from automl.problems.base import Problem
from automl.result import SearchResult
from automl.search import OnTrial, Search
from automl.strategies import make_strategy
from automl.warm_start import describe, enqueue_first_trials


def run_problem(problem: Problem, budget: Budget, on_trial: OnTrial | None) -> SearchResult:
    """Build the strategy, open (or resume) the study, run the search within `budget` (already
    started), then let the problem finalise the result (refit, ensemble)."""
    s = problem.settings
    executors = s.executor_settings()
    space = problem.space()
    strategy = make_strategy(s.strategy, space, s.seed, problem.fidelity(), problem.bounds())
    meta = problem.study_meta(strategy)
    study, is_new = open_study(s.storage, s.study_name, strategy, meta)
    warmed_from = []
    if is_new and strategy.use_starting_points:
        warmed_from = enqueue_first_trials(
            study, meta, space, problem.starting_points(), s.warm_start
        )
    executor = make_executor(executors, problem.work(strategy, study))
    search = Search(
        study,
        space,
        strategy,
        executor,
        budget,
        problem.values_of(strategy),
        problem.summary_of,
        problem.keep,
        on_trial,
        problem.reserve,
        storage_url(s.storage),
        problem.scheduler(strategy, study, budget),
    )
    try:
        search.run()
    finally:
        executor.close()
    interrupted = search.interrupted
    del search, executor  # frees the workers' pickled copy of the data before the refit
    if interrupted and not _any_complete(study):
        raise KeyboardInterrupt  # nothing finished: the caller reports the interruption
    result = problem.result(study)
    if warmed_from:
        result.notes.append(describe(warmed_from))
    if interrupted:
        result.notes.append("the search was interrupted; the model uses the trials that finished")
    problem.finalise(result, strategy, budget, executors)
    result.elapsed = budget.elapsed
    return result


def _any_complete(study: optuna.Study) -> bool:
    return bool(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
