"""The contract every registered model family meets: build and fit on each task, early-stop
and report a learning curve on its own unit, refit on all rows, save and load again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from automl.data import Dataset, choose_evaluation
from automl.evaluation import fit_final, predict_scores, refit_config
from automl.model import FittedModel, load
from automl.models import Validation, family_names, fit_estimator, get_family
from automl.pipeline import build_pipeline
from automl.space import tabular_space
from tests.conftest import dataset_path

FAMILIES = [name for name in family_names() if get_family(name).__module__.startswith("automl.")]


@pytest.fixture(scope="module")
def datasets() -> dict[str, Dataset]:
    adult = pd.read_csv(dataset_path("adult.csv.gz"), nrows=400)
    housing = pd.read_csv(dataset_path("california_housing.csv.gz"), nrows=400)
    return {
        "binary": Dataset.from_frame(adult, "income", None),
        "regression": Dataset.from_frame(housing, "median_house_value", None),
    }


class Probe:
    """Keeps what a family reports."""

    def __init__(self) -> None:
        self.points: list[tuple[int, tuple[int, ...]]] = []

    def wants(self, iteration: int) -> bool:
        return iteration % 2 == 1

    def __call__(self, iteration: int, predictions: np.ndarray, classes: Any) -> None:
        self.points.append((iteration, np.asarray(predictions).shape))


def quick_config(name: str) -> dict[str, Any]:
    """The family's first bundled starting point, with few iterations."""
    space = tabular_space({"models": [name]})
    config = dict(space.starting_points[0]) if space.starting_points else {"model": name}
    family = get_family(name)
    if family.iterations_param:
        config[f"{name}.{family.iterations_param}"] = 12
    return config


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_a_family_fits_reports_and_refits(
    name: str, task: str, datasets: dict[str, Dataset], tmp_path: Path
) -> None:
    data = datasets[task]
    family = get_family(name)
    config = quick_config(name)
    pipeline = build_pipeline(config, data.roles, data.task, 0)
    train, valid = np.arange(300), np.arange(300, 400)
    X = pipeline[:-1].fit_transform(data.features.iloc[train], data.y[train])
    X_valid = pipeline[:-1].transform(data.features.iloc[valid])
    probe = Probe()
    kept = fit_estimator(
        family, pipeline[-1], X, data.y[train], Validation(X_valid, data.y[valid], None, probe)
    )
    if family.iterations_param is None:
        assert kept is None
    elif family.curve_unit is not None:
        assert kept is not None and 1 <= kept <= 12
    else:  # counted when early stopping or a deadline ended the fit (no deadline here)
        assert kept is None or 1 <= kept <= 12
    if family.curve_unit is None:
        assert probe.points == []
    else:  # only the iterations the probe wanted, with one prediction (row) per validation row
        assert probe.points and all(i % 2 == 1 for i, _ in probe.points)
        assert all(shape[0] == len(valid) for _, shape in probe.points)
    scores = predict_scores(pipeline[-1], X_valid, data)
    assert np.isfinite(scores).all()

    plan = choose_evaluation(data.y, data.task, "holdout")
    final = fit_final(refit_config(config, kept, plan), data, 0)
    model = FittedModel(
        [final], [1.0], data.task, data.target, data.classes, config, "m", families=(name,)
    )
    again = load(model.save(tmp_path / "model.automl"))
    rows = data.features.head(20)
    if task == "regression":
        assert np.allclose(again.predict(rows), model.predict(rows))
    else:
        assert (again.predict(rows) == model.predict(rows)).all()
