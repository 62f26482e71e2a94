"""The contract every registered pipeline step meets, for every model family: it names only
known branches, and the full pipeline built from the bundled starting point transforms real
data into finite numbers for the families that cannot take missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl.data import Dataset
from automl.models import family_names, get_family
from automl.pipeline import build_pipeline
from automl.space import tabular_space
from automl.steps import BRANCHES, pipeline_steps, step_params
from tests.conftest import dataset_path

FAMILIES = [name for name in family_names() if get_family(name).__module__.startswith("automl.")]


@pytest.fixture(scope="module")
def adult() -> Dataset:
    return Dataset.from_frame(pd.read_csv(dataset_path("adult.csv.gz"), nrows=300), "income", None)


@pytest.mark.parametrize("name", FAMILIES)
def test_steps_build_for_every_family(name: str, adult: Dataset) -> None:
    config = tabular_space({"models": [name]}).starting_points[0]
    family = get_family(name)
    for step in pipeline_steps():
        made = step.transformers(step_params(config, step), family, adult.roles, 0)
        assert set(made) <= set(BRANCHES), step
    pipeline = build_pipeline(config, adult.roles, adult.task, 0)
    X = pipeline[:-1].fit_transform(adult.features, adult.y)
    assert len(X) == adult.n_rows
    if not family.handles_missing:
        assert np.isfinite(X.to_numpy(dtype=float)).all()


@pytest.mark.parametrize("method", ["standard", "robust", "quantile"])
def test_every_scaling_keeps_numeric_columns_on_a_small_scale(method: str, adult: Dataset) -> None:
    # capital_gain is zero in most rows (interquartile range 0) and reaches 99,999: robust
    # scaling used to leave it raw, which wrecked networks trained on it
    config = {"model": "linear", "scale.method": method}
    pipeline = build_pipeline(config, adult.roles, adult.task, 0)
    X = pipeline[:-1].fit_transform(adult.features, adult.y)
    numeric = X[list(adult.roles.numeric)].to_numpy(dtype=float)
    assert np.abs(numeric).max() < 50, method


def test_knn_with_more_neighbours_than_rows_uses_every_row(adult: Dataset) -> None:
    # a low data-fraction rung may hold fewer rows than the sampled n_neighbors (283 of 240 seen)
    config = {"model": "knn", "knn.n_neighbors": 283}
    pipeline = build_pipeline(config, adult.roles, adult.task, 0)
    rows = np.arange(240)
    X = pipeline[:-1].fit_transform(adult.features.iloc[rows], adult.y[rows])
    get_family("knn").fit(pipeline[-1], X, adult.y[rows])
    assert pipeline[-1].n_neighbors == 240
    assert pipeline[-1].predict_proba(X[:5]).shape == (5, 2)
