"""scikit-learn's HistGradientBoosting: histogram boosting with native categoricals."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from automl.data import Task
from automl.models._growing import grow_until
from automl.models._registry import (
    EARLY_STOPPING_ROUNDS,
    ModelFamily,
    Validation,
    register_family,
)


@register_family
class HistGradientBoosting(ModelFamily):
    """HistGradientBoosting; early-stops its iterations on the validation split and stops at
    the trial's deadline with the iterations it has."""

    name = "hist_gradient_boosting"
    params = frozenset(
        {
            "max_iter",
            "learning_rate",
            "max_leaf_nodes",
            "max_depth",
            "min_samples_leaf",
            "l2_regularization",
            "max_features",
            "max_bins",
        }
    )
    iterations_param = "max_iter"
    stops_at_deadline = True
    native_categorical = True
    max_native_categories = 255  # scikit-learn refuses more categories than max_bins (255)
    handles_missing = True
    default_rank = 1

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = (
            HistGradientBoostingClassifier
            if task.is_classification
            else HistGradientBoostingRegressor
        )
        return cls(random_state=seed, **params)

    def fit_all(self, estimator: Any, X: Any, y: np.ndarray) -> None:
        estimator.set_params(early_stopping=False)
        estimator.fit(X, y)

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        """Early-stopped on the validation rows, grown in chunks up to the trial's deadline."""
        estimator.set_params(early_stopping=True, n_iter_no_change=EARLY_STOPPING_ROUNDS // 2)
        validation.cut_short = grow_until(
            estimator,
            "max_iter",
            int(estimator.get_params()["max_iter"]),
            validation.deadline,
            lambda: estimator.fit(X, y, X_val=validation.X, y_val=validation.y),
            lambda size: int(estimator.n_iter_) < size,
        )
        return int(estimator.n_iter_)
