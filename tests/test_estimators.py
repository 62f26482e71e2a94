"""scikit-learn compatibility: parametrize_with_checks on both estimators, and use in a Pipeline."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl import AutoMLClassifier, AutoMLRegressor

SMALL = {"time_budget": None, "n_trials": 2, "executor": "inprocess", "seed": 0}

# No check is skipped: every scikit-learn estimator check passes.
EXPECTED_FAILED: dict[str, str] = {}


@parametrize_with_checks(
    [AutoMLClassifier(**SMALL), AutoMLRegressor(**SMALL)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


def test_classifier_on_a_dataframe_inside_cross_validation(adult: pd.DataFrame) -> None:
    X, y = adult.drop(columns=["income"]).head(800), adult["income"].head(800)
    scores = cross_val_score(AutoMLClassifier(**SMALL), X, y, cv=2, scoring="roc_auc")
    assert scores.mean() > 0.8
    fitted = AutoMLClassifier(**SMALL).fit(X, y)
    assert list(fitted.classes_) == ["<=50K", ">50K"]
    assert fitted.predict_proba(X.head(3)).shape == (3, 2)
