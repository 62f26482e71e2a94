"""k nearest neighbours (scikit-learn)."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from automl.data import Task
from automl.models._registry import ModelFamily, register_family


@register_family
class KNN(ModelFamily):
    name = "knn"
    params = frozenset({"n_neighbors", "weights", "p"})
    needs_scaling = True
    default_rank = 4

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        cls = KNeighborsClassifier if task.is_classification else KNeighborsRegressor
        return cls(n_jobs=-1, **params)
