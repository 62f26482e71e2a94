"""scikit-learn estimators that run a search in fit(): AutoMLClassifier and AutoMLRegressor.

With `text="name"` they fine-tune a pretrained transformer (a text search): X is then a
sequence of texts (as scikit-learn's text vectorizers take) or a DataFrame holding that
column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from automl.config import estimator_settings
from automl.data._split import MIN_ROWS
from automl.storage import MEMORY

TARGET = "__target__"


class _AutoMLBase(BaseEstimator):
    """Shared fit/predict: arrays or DataFrames in, a search in fit, the refit model after.

    `storage` defaults to ':memory:' because estimators are often fit many times (in
    cross-validation or a grid search); pass a URL to keep the trials. `text` names the column
    of texts (a text search, on `base_model`).
    """

    _task: str | None = None

    def __init__(
        self,
        time_budget: float | None = 60.0,
        n_trials: int | None = None,
        metric: str | None = None,
        strategy: str = "auto",
        space: Any = None,
        storage: str | None = MEMORY,
        study_name: str | None = None,
        seed: int | None = 0,
        evaluation: str | int = "auto",
        executor: str = "auto",
        n_parallel: int | None = None,
        text: str | None = None,
        base_model: str | None = None,
        cross_share: float = 0.0,
        warm_start: bool | Sequence[str] = True,
        portfolio: str = "learned",
        final_model: str = "refit",
        supernet_share: float = 0.0,
    ) -> None:
        self.time_budget = time_budget
        self.n_trials = n_trials
        self.metric = metric
        self.strategy = strategy
        self.space = space
        self.storage = storage
        self.study_name = study_name
        self.seed = seed
        self.evaluation = evaluation
        self.executor = executor
        self.n_parallel = n_parallel
        self.text = text
        self.base_model = base_model
        self.cross_share = cross_share
        self.warm_start = warm_start
        self.portfolio = portfolio
        self.final_model = final_model
        self.supernet_share = supernet_share

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _frame(self, X: Any, reset: bool) -> pd.DataFrame:
        if self.text is not None:
            return self._text_frame(X)
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            return X
        array = validate_data(self, X, reset=reset, ensure_all_finite="allow-nan", dtype=None)
        if array.dtype == object:
            kinds = {
                type(v).__name__
                for v in array.ravel()
                if not isinstance(v, (str, int, float, bool))
            }
            if kinds - {"NoneType"}:
                raise TypeError(
                    f"argument must be a string or a number, got {', '.join(sorted(kinds))}"
                )
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])

    def _text_frame(self, X: Any) -> pd.DataFrame:
        """A text search's X as a frame: the DataFrame itself, or one column of texts."""
        if isinstance(X, pd.DataFrame):
            if self.text not in X.columns:
                raise ValueError(f"X has no column {self.text!r} (text={self.text!r})")
            return X
        texts = np.asarray(X, dtype=object)
        if texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        if texts.ndim != 1:
            raise ValueError(
                f"with text={self.text!r}, X is a sequence of texts or a DataFrame holding"
                f" that column; got an array of shape {texts.shape}"
            )
        return pd.DataFrame({self.text: texts})

    def _search(self, X: Any, y: np.ndarray, task: str) -> Any:
        from automl.api import search

        if len(y) < MIN_ROWS:
            raise ValueError(
                f"n_samples={len(y)} is too few to search on: need at least {MIN_ROWS}"
            )
        frame = self._frame(X, reset=True).reset_index(drop=True).copy()
        frame[TARGET] = y
        evaluation = self.evaluation
        if evaluation == "auto" and len(frame) < 50:
            evaluation = "holdout"
        settings = {name: getattr(self, name) for name in estimator_settings()}
        self.result_ = search(
            frame, target=TARGET, task=task, **{**settings, "evaluation": evaluation}
        )
        self.model_ = self.result_._require_model()
        self.best_score_ = self.result_.best_score
        self.best_config_ = self.result_.best_config
        return self

    def _checked_target(self, X: Any, y: Any, numeric: bool) -> np.ndarray:
        """scikit-learn's validation of X and y (shapes, NaN allowed in X, a 1-d y); for a
        text search, a 1-d y as long as X."""
        if self.text is not None:
            y = column_or_1d(y, warn=True)
            check_consistent_length(self._text_frame(X), y)
            return y if not numeric else np.asarray(y, dtype=float)
        _, y = validate_data(
            self,
            X,
            y,
            ensure_all_finite="allow-nan",
            dtype=None,
            y_numeric=numeric,
            skip_check_array=isinstance(X, pd.DataFrame),
        )
        return np.asarray(y)

    def _features(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "model_")
        return self._frame(X, reset=False)

    def predict(self, X: Any) -> np.ndarray:
        features = self._features(X)
        return self.model_.predict(features)


class AutoMLClassifier(ClassifierMixin, _AutoMLBase):
    """Searches models and preprocessing for classification in `fit`; `predict_proba` after."""

    def fit(self, X: Any, y: Any) -> AutoMLClassifier:
        y = self._checked_target(X, y, numeric=False)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"Classifier can't train when only one class is present: {self.classes_[0]!r}"
            )
        task = "binary" if len(self.classes_) == 2 else "multiclass"
        self._search(X, np.asarray(y), task)
        return self

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        features = self._features(X)
        proba = self.model_.predict_proba(features)
        order = [list(proba.columns).index(c) for c in self.classes_]
        return proba.to_numpy()[:, order]


class AutoMLRegressor(RegressorMixin, _AutoMLBase):
    """Searches models and preprocessing for regression in `fit`."""

    def fit(self, X: Any, y: Any) -> AutoMLRegressor:
        y = self._checked_target(X, y, numeric=True)
        self._search(X, np.asarray(y, dtype=float), "regression")
        return self
