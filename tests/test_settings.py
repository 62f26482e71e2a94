"""The search settings are listed once (automl.config.SearchSettings); every surface shows
exactly them: the Python API, the estimators, the CLI, the REST job body and the worker."""

from __future__ import annotations

import inspect
from dataclasses import fields

import pytest
import typer

import automl
from automl.cli import app
from automl.config import SearchSettings, cli_settings, estimator_settings, job_settings
from automl.exceptions import ConfigError
from automl.jobs import JobSpec, validate_spec
from automl.service._schemas import JobCreate

SETTINGS = {f.name for f in fields(SearchSettings)}


def test_the_python_api_takes_every_setting_and_nothing_else() -> None:
    params = set(inspect.signature(automl.search).parameters)
    assert params - {"data", "objective", "on_trial"} == SETTINGS


@pytest.mark.parametrize("estimator", [automl.AutoMLClassifier, automl.AutoMLRegressor])
def test_the_estimators_take_the_estimator_settings(estimator: type) -> None:
    assert set(inspect.signature(estimator.__init__).parameters) - {"self"} == set(
        estimator_settings()
    )


def test_the_cli_offers_the_cli_settings() -> None:
    search = typer.main.get_command(app).commands["search"]  # type: ignore[attr-defined]
    flags = {flag for param in search.params for flag in getattr(param, "opts", [])}
    assert set(cli_settings().values()) <= flags


def test_a_rest_job_takes_the_job_settings() -> None:
    assert set(JobCreate.model_fields) == set(job_settings()) | {"dataset_id"}
    described = JobCreate.model_json_schema()["properties"]
    assert described["time_budget"]["description"] == "Time budget in seconds."


def test_a_job_cannot_set_what_its_worker_decides() -> None:
    with pytest.raises(ConfigError, match="a job cannot set storage"):
        validate_spec(JobSpec(target="y", n_trials=3, storage="x.db"), ["y", "x"])
    spec = validate_spec(JobSpec(target="y", n_trials=3, space="lightgbm"), ["y", "x"])
    assert spec.space == {"models": ["lightgbm"]}
    assert set(spec.job_fields()) == set(job_settings())
