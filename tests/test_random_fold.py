"""Random-fold evaluation: each configuration scored on one fold drawn for it, the best then
re-scored on every fold before the final model is chosen."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import automl
from automl.data import Task, choose_evaluation
from automl.exceptions import ConfigError
from automl.record import TrialRecord

LINEAR_AND_LIGHTGBM = {"models": ["lightgbm", "linear"]}


def test_each_configuration_draws_one_fold_and_keeps_it() -> None:
    plan = choose_evaluation(np.arange(100) % 2, Task.BINARY, "random_fold")
    assert plan.random_fold and plan.n_folds == 5 and plan.folds_per_trial == 1
    assert plan.name == "1 random fold of 5"
    drawn = [plan.folds_for({"model": "linear", "linear.C": c}, seed=0) for c in range(40)]
    assert all(len(folds) == 1 for folds in drawn)
    assert {f for (f,) in drawn} == set(range(5))  # configurations spread over the folds
    assert plan.folds_for({"model": "linear", "linear.C": 3}, seed=0) == drawn[3]
    assert choose_evaluation(np.arange(100) % 2, Task.BINARY, "cv").folds_for({}, 0) == [
        0, 1, 2, 3, 4,
    ]  # fmt: skip


def test_the_best_trials_are_rescored_on_every_fold_before_the_choice(
    adult: pd.DataFrame,
) -> None:
    result = automl.search(
        adult, target="income", n_trials=10, evaluation="random_fold",
        space=LINEAR_AND_LIGHTGBM, storage=":memory:", seed=0,
    )  # fmt: skip
    folds = [TrialRecord.of(t).folds for t in result.completed]
    assert all(f is not None and len(f) == 1 for f in folds)
    assert len({f[0] for f in folds if f}) > 1  # not one fixed split
    note = next(n for n in result.notes if n.startswith("random-fold evaluation"))
    assert "re-scored on all 5 folds" in note
    model = result.model
    assert model is not None and model.info["evaluation"] == "1 random fold of 5"
    members = {int(n): weight for n, weight in model.info["ensemble"].items()}
    stored = {n: result.predictions(n) for n in members}
    rows = np.arange(len(adult))
    blend = np.zeros(len(adult))
    for number, weight in members.items():
        indices, predictions = stored[number] or (None, None)
        assert indices is not None and sorted(indices) == list(rows)  # out of fold, every row
        blend[indices] += weight * predictions[:, 1]
    y = (adult["income"] == ">50K").to_numpy()
    assert model.info["validation_score"] == pytest.approx(roc_auc_score(y, blend), abs=2e-3)
    proba = result.predict_proba(adult.tail(300))
    assert roc_auc_score(adult.tail(300)["income"] == ">50K", proba[">50K"]) > 0.85


def test_rescored_trials_bring_every_fold_model_to_a_bagged_model(adult: pd.DataFrame) -> None:
    result = automl.search(
        adult, target="income", n_trials=6, evaluation="random_fold", final_model="bagged",
        space=LINEAR_AND_LIGHTGBM, storage=":memory:", seed=1,
    )  # fmt: skip
    model = result.model
    assert model is not None and model.info["final_model"] == "bagged"
    assert model.info["fold_models"] == 5
    assert len(model.pipelines) == 5 * len(model.info["ensemble"])


def test_a_budgeted_random_fold_search_ends_on_time(adult: pd.DataFrame) -> None:
    began = time.monotonic()
    result = automl.search(
        adult, target="income", time_budget=12, evaluation="random_fold",
        space=LINEAR_AND_LIGHTGBM, storage=":memory:", seed=0,
    )  # fmt: skip
    assert time.monotonic() - began < 12 * 1.05 + 3  # the budget's tolerance and start-up
    assert result.model is not None
    assert any(n.startswith("random-fold evaluation") for n in result.notes)


def test_an_unknown_evaluation_names_random_fold(adult: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="'random_fold'"):
        automl.search(adult, target="income", n_trials=1, evaluation="reshuffled")
