"""k nearest neighbours (scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from automl.data import Task
from automl.models._registry import ModelFamily, Validation, register_family


@register_family
class KNN(ModelFamily):
    """k-NN; on fewer training rows than neighbours (a low data-fraction rung) it uses every
    row as a neighbour instead of failing."""

    name = "knn"
    params = frozenset({"n_neighbors", "weights", "p"})
    needs_scaling = True
    default_rank = 4
    default_max_rows = 100_000
    """Predicting compares every validation row with every training row: on flights (262,000
    rows) a k-NN trial on a ninth of them took 4-6 s to score 0.64 ROC AUC against boosting's
    0.72, and on a 1,000,000-row table one ran past its 45 s limit (`benchmarks/scale.py`)."""

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        cls = KNeighborsClassifier if task.is_classification else KNeighborsRegressor
        return cls(n_jobs=-1, **params)

    def fit(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation | None = None
    ) -> int | None:
        if int(estimator.get_params()["n_neighbors"]) > len(y):
            estimator.set_params(n_neighbors=len(y))
        estimator.fit(X, y)
        return None
