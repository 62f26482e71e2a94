"""What a job asks for (`JobSpec`) and its validation against the uploaded dataset's columns.

Shared by the REST API and the worker, so a bad request is refused at submit time with the same
message the search itself would give, instead of failing later on a worker.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass
from typing import Any

import yaml

from automl.exceptions import ConfigError, SpaceError
from automl.metrics import METRICS
from automl.models import family_names
from automl.space import tabular_space
from automl.strategies import strategy_info

TASKS = ("binary", "multiclass", "regression")
MAX_TIME_BUDGET = 7 * 24 * 3600.0
MAX_TRIALS = 1_000_000
DEFAULT_SPACE = "default"


@dataclass(frozen=True)
class JobSpec:
    """The settings of one search job; the same meaning as the arguments of `automl.search`.

    `space` is a name (`default`, a model family such as `lightgbm`, or several joined by
    commas) or an inline space (a mapping, or YAML/JSON text) with `models` and `preprocessing`.
    """

    target: str
    time_budget: float | None = None
    n_trials: int | None = None
    task: str | None = None
    metric: str | None = None
    strategy: str = "auto"
    space: str | dict[str, Any] | None = None
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSpec:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def validate_spec(spec: JobSpec, columns: list[str]) -> JobSpec:
    """Check `spec` against the dataset's `columns`; return it with the space resolved to data.

    Raises ConfigError or SpaceError with a message that says what to fix.
    """
    if spec.target not in columns:
        close = difflib.get_close_matches(spec.target, columns, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
        raise ConfigError(f"target '{spec.target}' is not a column{hint}; columns: {shown}")
    if spec.time_budget is None and spec.n_trials is None:
        raise ConfigError("give a time_budget (seconds) and/or n_trials")
    if spec.time_budget is not None and not 1 <= spec.time_budget <= MAX_TIME_BUDGET:
        raise ConfigError(f"time_budget must be between 1 and {MAX_TIME_BUDGET:.0f} seconds")
    if spec.n_trials is not None and not 1 <= spec.n_trials <= MAX_TRIALS:
        raise ConfigError(f"n_trials must be between 1 and {MAX_TRIALS}")
    if spec.task is not None and spec.task not in TASKS:
        raise ConfigError(f"task must be one of {', '.join(TASKS)}, got '{spec.task}'")
    if spec.metric is not None and spec.metric not in METRICS:
        close = difflib.get_close_matches(spec.metric, list(METRICS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(
            f"unknown metric '{spec.metric}'{hint}; choose one of: {', '.join(METRICS)}"
        )
    strategy_info(spec.strategy)  # raises ConfigError naming the closest strategy
    space = resolve_space(spec.space)
    tabular_space(space)  # raises SpaceError on a malformed space
    return JobSpec(**{**spec.to_dict(), "space": space})


def resolve_space(space: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """A space name or inline YAML/JSON text -> the space as data (None = the default space)."""
    if space is None or isinstance(space, dict):
        return space
    text = space.strip()
    if text in ("", DEFAULT_SPACE):
        return None
    names = [name.strip() for name in text.split(",")]
    if all(name in family_names() for name in names):
        return {"models": names}
    if text.startswith(("{", "models")) or "\n" in text:
        try:
            parsed = json.loads(text) if text.startswith("{") else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise SpaceError(f"the inline search space is not valid JSON or YAML: {exc}") from None
        if not isinstance(parsed, dict):
            raise SpaceError("an inline search space must be a mapping with 'models'")
        return parsed
    unknown = next(name for name in names if name not in family_names())
    close = difflib.get_close_matches(unknown, family_names(), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise SpaceError(
        f"unknown search space '{unknown}'{hint}; use '{DEFAULT_SPACE}', model families"
        f" ({', '.join(family_names())}) joined by commas, or an inline YAML/JSON space"
    )
