"""CatBoost: gradient-boosted oblivious trees with ordered target statistics for categorical
columns (AutoGluon's strongest single model on categorical data). Needs the `catboost` extra;
not in the default space (see its YAML)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from automl.data import Task
from automl.models._registry import EARLY_STOPPING_ROUNDS, ModelFamily, Validation, register_family


class CatBoostModel(BaseEstimator):
    """A CatBoost classifier or regressor that takes the pipeline's pandas categories: they
    reach CatBoost as integer codes (-1: unseen or missing), declared as categorical features,
    so its target statistics are computed on the training rows only, in its ordered way."""

    def __init__(
        self, task: str = "binary", params: dict[str, Any] | None = None, random_state: int = 0
    ) -> None:
        self.task = task
        self.params = params
        self.random_state = random_state

    def fit(
        self,
        X: Any,
        y: Any,
        eval_set: tuple[Any, Any] | None = None,
        deadline: float | None = None,
    ) -> CatBoostModel:
        """Fit; with `eval_set`, early-stop on it and end at `deadline` (time.monotonic())
        with the rounds so far (then `cut_short_` is set)."""
        import catboost

        from automl.executors._process import thread_cap

        kind = (
            catboost.CatBoostRegressor if self.task == "regression" else catboost.CatBoostClassifier
        )
        self.model_ = kind(
            random_seed=int(self.random_state),
            thread_count=thread_cap(),
            allow_writing_files=False,
            verbose=False,
            **(self.params or {}),
        )
        frame, categorical = _codes(X)
        self.cut_short_ = False
        options: dict[str, Any] = {"cat_features": categorical}
        if eval_set is not None:
            options["eval_set"] = (_codes(eval_set[0])[0], eval_set[1])
            options["early_stopping_rounds"] = EARLY_STOPPING_ROUNDS
            if deadline is not None:
                options["callbacks"] = [_StopAt(deadline, self)]
        self.model_.fit(frame, y, **options)
        if self.task != "regression":
            self.classes_ = np.asarray(self.model_.classes_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.model_.predict(_codes(X)[0])).ravel()

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self.model_.predict_proba(_codes(X)[0]))

    @property
    def best_iteration_(self) -> int:
        best = self.model_.get_best_iteration()
        return int(self.model_.tree_count_ if best is None else best + 1)


class _StopAt:
    """A CatBoost callback that ends training (keeping the trees so far) at the deadline."""

    def __init__(self, deadline: float, owner: CatBoostModel) -> None:
        self.deadline, self.owner = deadline, owner

    def after_iteration(self, info: Any) -> bool:
        if time.monotonic() > self.deadline:
            self.owner.cut_short_ = True
            return False
        return True


def _codes(X: Any) -> tuple[Any, list[int]]:
    """The frame with its category columns as integer codes, and their positions."""
    if not isinstance(X, pd.DataFrame):
        return X, []
    categorical = [i for i, dtype in enumerate(X.dtypes) if isinstance(dtype, pd.CategoricalDtype)]
    if not categorical:
        return X, []
    frame = X.copy()
    for i in categorical:
        frame.isetitem(i, X.iloc[:, i].cat.codes.to_numpy(np.int64))
    return frame, categorical


@register_family
class CatBoost(ModelFamily):
    """CatBoost; early-stops its rounds on validation data and stops adding trees at the
    trial's deadline. No learning curve: CatBoost does not hand its model to a callback."""

    name = "catboost"
    params = frozenset(
        {
            "iterations",
            "learning_rate",
            "depth",
            "l2_leaf_reg",
            "random_strength",
            "bagging_temperature",
            "border_count",
            "one_hot_max_size",
        }
    )
    iterations_param = "iterations"
    default_iterations = 2000
    stops_at_deadline = True
    native_categorical = True
    handles_missing = True
    libraries = ("catboost",)
    install_hint = "pip install 'automl[catboost]'"

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        return CatBoostModel(task.value, dict(params), seed)

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        estimator.fit(X, y, (validation.X, validation.y), validation.deadline)
        validation.cut_short = estimator.cut_short_
        return estimator.best_iteration_
