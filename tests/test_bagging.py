"""Bagged final models: the chosen trials' split models averaged instead of a refit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import automl
from automl.bagging import FoldModels
from automl.evaluation import TrialResult
from automl.exceptions import ConfigError


def test_a_cross_validated_search_bags_its_members(adult: pd.DataFrame) -> None:
    result = automl.search(
        adult, target="income", n_trials=6, evaluation=3, final_model="bagged",
        space={"models": ["lightgbm", "linear"]}, storage=":memory:", seed=0,
    )  # fmt: skip
    model = result.model
    assert model is not None
    assert model.info["final_model"] == "bagged" and model.info["fold_models"] == 3
    members = model.info["ensemble"]
    assert len(model.pipelines) == 3 * len(members)  # no refit: every member's 3 split models
    assert sum(model.weights) == pytest.approx(1.0)
    assert sum(members.values()) == pytest.approx(1.0, abs=1e-3)
    assert any("averaged (bagging), no refit" in note for note in result.notes)
    proba = result.predict_proba(adult.tail(300))
    assert roc_auc_score(adult.tail(300)["income"] == ">50K", proba[">50K"]) > 0.85


def test_bagging_needs_cross_validation(adult: pd.DataFrame) -> None:
    result = automl.search(
        adult, target="income", n_trials=2, evaluation="holdout", final_model="bagged",
        space={"models": ["linear"]}, storage=":memory:", seed=0,
    )  # fmt: skip
    assert result.model is not None and "final_model" not in result.model.info
    assert any("bagging needs cross-validation" in note for note in result.notes)


def test_only_the_best_trials_split_models_are_kept() -> None:
    kept = FoldModels(maximize=True, keep=2)
    for number, score in enumerate([0.5, 0.9, 0.7, 0.6]):
        result = TrialResult(score, [score], np.arange(2), np.zeros(2), fold_models=b"models")
        kept.update(number, result)
    assert sorted(kept.kept) == [1, 2]
    assert sorted(p.name for p in kept.folder.iterdir()) == ["1.pkl", "2.pkl"]
    kept.close()
    assert not kept.folder.exists()


def test_an_unknown_final_model_is_refused(adult: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="final_model must be one of refit, bagged"):
        automl.search(adult, target="income", n_trials=1, final_model="stacked")
