"""What a job asks for (`JobSpec`) and its validation against the uploaded dataset's columns.

Shared by the REST API and the worker, so a bad request is refused at submit time with the same
message the search itself would give, instead of failing later on a worker.
"""

from __future__ import annotations

import difflib
from dataclasses import fields, replace

from automl.config import MAX_JOB_SECONDS, MAX_JOB_TRIALS, SearchSettings, job_settings
from automl.exceptions import ConfigError
from automl.space import resolve_space, tabular_space

JobSpec = SearchSettings
"""A service job's settings: a SearchSettings of which only the job settings are set (see
`automl.config.job_settings`); `space` may also be a name (`default`, model families joined by
commas) or inline YAML/JSON text."""


def validate_spec(spec: SearchSettings, columns: list[str]) -> SearchSettings:
    """Check `spec` against the dataset's `columns`; return it with the space resolved to data.

    Raises ConfigError or SpaceError with a message that says what to fix.
    """
    for f in fields(SearchSettings):
        if f.name not in job_settings() and getattr(spec, f.name) != f.default:
            raise ConfigError(f"a job cannot set {f.name}: the worker that runs it decides")
    if (spec.target or "") not in columns:
        raise ConfigError(_not_a_column("target", spec.target or "", columns))
    if spec.time_budget is None and spec.n_trials is None:
        raise ConfigError("give a time_budget (seconds) and/or n_trials")
    if spec.time_budget is not None and not 1 <= spec.time_budget <= MAX_JOB_SECONDS:
        raise ConfigError(f"time_budget must be between 1 and {MAX_JOB_SECONDS:.0f} seconds")
    if spec.n_trials is not None and not 1 <= spec.n_trials <= MAX_JOB_TRIALS:
        raise ConfigError(f"n_trials must be between 1 and {MAX_JOB_TRIALS}")
    spec.check()
    if spec.text is not None:
        return _checked_text_spec(spec, columns)
    space = resolve_space(spec.space)
    tabular_space(space)  # raises SpaceError on a malformed space
    return replace(spec, space=space)


def _checked_text_spec(spec: SearchSettings, columns: list[str]) -> SearchSettings:
    """A text job: its text column exists and its space is a LoRA space."""
    from automl.problems.text.space import lora_space, lora_spec

    if spec.text not in columns:
        raise ConfigError(_not_a_column("text column", spec.text or "", columns))
    space = lora_spec(spec.space)
    lora_space(space)  # raises ConfigError or SpaceError on a malformed space
    return replace(spec, space=space)


def _not_a_column(role: str, name: str, columns: list[str]) -> str:
    close = difflib.get_close_matches(name, columns, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
    return f"{role} '{name}' is not a column{hint}; columns: {shown}"
