"""Random forests and extremely randomised trees (scikit-learn)."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from automl.data import Task
from automl.models._registry import ModelFamily, register_family

FOREST_PARAMS = frozenset(
    {"n_estimators", "max_features", "min_samples_leaf", "max_depth", "bootstrap"}
)


class _Forest(ModelFamily):
    """A scikit-learn forest named `kind` ("RandomForest" or "ExtraTrees")."""

    kind: str
    params = FOREST_PARAMS

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        from sklearn import ensemble

        suffix = "Classifier" if task.is_classification else "Regressor"
        return getattr(ensemble, self.kind + suffix)(random_state=seed, n_jobs=-1, **params)


@register_family
class RandomForest(_Forest):
    name = "random_forest"
    kind = "RandomForest"
    default_rank = 3


@register_family
class ExtraTrees(_Forest):
    name = "extra_trees"
    kind = "ExtraTrees"
    default_rank = 2
