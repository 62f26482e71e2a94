"""Random forests and extremely randomised trees (scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from automl.data import Task
from automl.models._growing import grow_until
from automl.models._registry import ModelFamily, Validation, register_family

FOREST_PARAMS = frozenset(
    {"n_estimators", "max_features", "min_samples_leaf", "max_depth", "bootstrap"}
)


class _Forest(ModelFamily):
    """A scikit-learn forest named `kind` ("RandomForest" or "ExtraTrees"); in a search it
    grows its trees in chunks and stops at the trial's deadline with the trees it has."""

    kind: str
    params = FOREST_PARAMS
    iterations_param = "n_estimators"  # set only when a deadline cut the forest short
    stops_at_deadline = True

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        from sklearn import ensemble

        suffix = "Classifier" if task.is_classification else "Regressor"
        return getattr(ensemble, self.kind + suffix)(random_state=seed, n_jobs=-1, **params)

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        target = int(estimator.get_params()["n_estimators"])
        validation.cut_short = grow_until(
            estimator, "n_estimators", target, validation.deadline, lambda: estimator.fit(X, y)
        )
        grown = int(estimator.get_params()["n_estimators"])
        return grown if validation.cut_short else None  # the refit grows what the trial had


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
