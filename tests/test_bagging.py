"""Bagged final models: the chosen trials' split models averaged instead of a refit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import automl
from automl import refit
from automl.bagging import FoldModels
from automl.evaluation import TrialResult
from automl.exceptions import ConfigError
from automl.executors import Outcome
from automl.problems import tabular
from automl.refit import ensemble_candidates


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


def test_without_time_to_refit_the_ensembles_split_models_are_the_model(
    adult: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what a short search's finish meets: the budget ends before any member is refit
    monkeypatch.setattr(tabular, "refit_members", lambda *args: (None, ["the time budget ran out"]))
    result = automl.search(
        adult, target="income", n_trials=8, time_budget=300, evaluation=3, n_parallel=1,
        space={"models": ["lightgbm", "linear"]}, storage=":memory:", seed=0,
    )  # fmt: skip
    model = result.model
    assert model is not None and model.info["final_model"] == "bagged"
    members = model.info["ensemble"]
    assert len(members) > 1  # the ensemble, not its best trial alone
    assert len(model.pipelines) == 3 * len(members)
    assert any(f"the ensemble's {len(members)} members" in note for note in result.notes)
    proba = result.predict_proba(adult.tail(300))
    assert roc_auc_score(adult.tail(300)["income"] == ">50K", proba[">50K"]) > 0.85


def test_members_the_refit_cannot_reach_keep_their_split_models(
    adult: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the budget runs out after the heaviest member's refit: the others stay in the ensemble
    # as the split models the search fitted, rather than being dropped
    real_run = refit.run_within
    calls: list[int] = []

    def first_only(executor: Any, config: dict[str, Any], timeout: float | None) -> Outcome:
        calls.append(1)
        if len(calls) > 1:
            return Outcome("timeout", error="trial ran past its time limit of 0.1s")
        return real_run(executor, config, timeout)

    monkeypatch.setattr(refit, "run_within", first_only)
    result = automl.search(
        adult, target="income", n_trials=8, time_budget=300, evaluation=3, n_parallel=1,
        space={"models": ["lightgbm", "linear"]}, storage=":memory:", seed=0,
    )  # fmt: skip
    model = result.model
    assert model is not None and "final_model" not in model.info
    members = model.info["ensemble"]
    assert len(members) > 1 and len(calls) == len(members)
    assert len(model.pipelines) == 1 + 3 * (len(members) - 1)  # one refit, the rest 3 splits
    assert sum(members.values()) == pytest.approx(1.0, abs=1e-3)
    assert any("kept as their split models" in note for note in result.notes)
    proba = result.predict_proba(adult.tail(300))
    assert roc_auc_score(adult.tail(300)["income"] == ">50K", proba[">50K"]) > 0.85


def test_bagging_needs_cross_validation(adult: pd.DataFrame) -> None:
    result = automl.search(
        adult, target="income", n_trials=2, evaluation="holdout", final_model="bagged",
        space={"models": ["linear"]}, storage=":memory:", seed=0,
    )  # fmt: skip
    assert result.model is not None and "final_model" not in result.model.info
    assert any("bagging needs cross-validation" in note for note in result.notes)


def test_only_the_best_trials_split_models_are_kept_and_each_familys_best() -> None:
    kept = FoldModels(maximize=True, keep=3)
    trials = [(0.5, "knn"), (0.9, "lightgbm"), (0.7, "lightgbm"), (0.6, "lightgbm")]
    for number, (score, family) in enumerate(trials):
        result = TrialResult(
            score, [score], np.arange(2), np.zeros(2), fold_models=b"models", family=family
        )
        kept.update(number, result)
    # the two best, and k-NN's best in place of the third (the ensemble may pick it to mix
    # families)
    assert sorted(kept.kept) == [0, 1, 2]
    assert sorted(p.name for p in kept.folder.iterdir()) == ["0.pkl", "1.pkl", "2.pkl"]
    kept.close()
    assert not kept.folder.exists()


def test_each_familys_best_is_an_ensemble_candidate_even_below_the_top() -> None:
    ranked = list(range(30))  # trial numbers, best first
    families = {n: "lightgbm" for n in ranked} | {25: "linear", 28: "knn", 29: "linear"}
    chosen = ensemble_candidates(ranked, families, limit=20)
    assert chosen == [*range(18), 25, 28]  # best first; linear's second best is not needed
    assert ensemble_candidates(ranked[:5], families, limit=20) == ranked[:5]


def test_an_unknown_final_model_is_refused(adult: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="final_model must be one of refit, bagged"):
        automl.search(adult, target="income", n_trials=1, final_model="stacked")
