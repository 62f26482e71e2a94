"""Linear models: L2-regularised logistic regression, or ridge regression."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from automl.data import Task
from automl.models._registry import ModelFamily, register_family


@register_family
class Linear(ModelFamily):
    """`regularization` is the penalty's strength (C = 1 / strength for the classifier)."""

    name = "linear"
    params = frozenset({"regularization"})
    needs_scaling = True
    default_rank = 5

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        from sklearn.linear_model import LogisticRegression, Ridge

        strength = float(params.get("regularization", 1.0))
        if task.is_classification:
            return LogisticRegression(C=1.0 / strength, max_iter=500, random_state=seed)
        return Ridge(alpha=strength)
