"""The metrics' own fast paths (binary ROC AUC, log loss) give scikit-learn's values on real
predictions, and leave bad input to scikit-learn (its errors, its NaN for an undefined score)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.naive_bayes import GaussianNB

from automl.data import Task
from automl.metrics import get_metric


def test_binary_roc_auc_is_scikit_learns_with_tied_scores(adult: pd.DataFrame) -> None:
    y = (adult["income"] == ">50K").to_numpy().astype(int)
    age = adult["age"].to_numpy() / 100.0  # whole years: many tied scores
    proba = np.column_stack([1 - age, age])
    auc = get_metric("roc_auc", Task.BINARY)
    assert auc.score(y, proba) == pytest.approx(skm.roc_auc_score(y, age), abs=1e-12)
    as_float32 = proba.astype(np.float32)
    assert auc.score(y, as_float32) == pytest.approx(skm.roc_auc_score(y, as_float32[:, 1]))


def test_log_loss_is_scikit_learns_with_clipped_probabilities(letter: pd.DataFrame) -> None:
    codes, _ = pd.factorize(letter["Letter"], sort=True)
    features = letter.drop(columns="Letter").to_numpy(dtype=float)
    model = GaussianNB().fit(features[:1000], codes[:1000])
    rounded = np.round(model.predict_proba(features[1000:]), 3)
    proba = rounded / rounded.sum(axis=1, keepdims=True)
    y = codes[1000:]
    assert (proba[np.arange(len(y)), y] == 0).any()  # the log of 0 needs the clip to eps
    expected = skm.log_loss(y, proba, labels=np.arange(proba.shape[1]))
    assert get_metric("log_loss", Task.MULTICLASS).score(y, proba) == pytest.approx(expected)


def test_bad_predictions_get_scikit_learns_answers() -> None:
    auc = get_metric("roc_auc", Task.BINARY)
    with pytest.warns(UndefinedMetricWarning, match="Only one class"):
        assert np.isnan(auc.score(np.ones(4, dtype=int), np.full((4, 2), 0.5)))
    with pytest.raises(ValueError, match="NaN"):
        auc.score(np.array([0, 1, 0, 1]), np.array([[0.5, 0.5], [0.4, np.nan]] * 2))
    with pytest.raises(ValueError, match="greater than 1"):
        get_metric("log_loss", Task.BINARY).score(np.array([0, 1]), np.array([[2.0, 0.1]] * 2))
