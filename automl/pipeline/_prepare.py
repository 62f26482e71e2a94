"""FramePreparer: the first pipeline step, turning a raw frame into model-ready column types."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from automl.data import ColumnRoles
from automl.exceptions import DataError

MISSING_CATEGORY = "__missing__"
DATE_PARTS = ("year", "month", "day", "dayofweek", "dayofyear")
_UNSAFE = re.compile(r'[\[\]{}",:<>]')


def safe_name(name: str) -> str:
    """Column names LightGBM accepts (no JSON special characters)."""
    return _UNSAFE.sub("_", name)


class FramePreparer(TransformerMixin, BaseEstimator):
    """Select feature columns, expand datetimes into numeric parts, cast categoricals to text.

    Numeric columns come out as float (NaN for missing), categorical ones as strings with
    missing values as a category of their own, so every later step sees stable types.
    """

    def __init__(self, roles: ColumnRoles) -> None:
        self.roles = roles

    def fit(self, X: pd.DataFrame, y: Any = None) -> FramePreparer:
        self._check_columns(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X)
        r = self.roles
        parts: dict[str, pd.Series] = {}
        for col in r.numeric:
            values = pd.to_numeric(X[col], errors="coerce").astype(float)
            parts[safe_name(col)] = values.where(np.isfinite(values))  # +-inf count as missing
        for col in r.datetime:
            stamps = pd.to_datetime(X[col], errors="coerce", format="mixed")
            for part in DATE_PARTS:
                parts[safe_name(f"{col}__{part}")] = getattr(stamps.dt, part).astype(float)
        for col in r.categorical + r.high_cardinality:
            text = X[col].astype(object).where(X[col].notna(), MISSING_CATEGORY)
            parts[safe_name(col)] = text.map(str).astype(object)
        return pd.DataFrame(parts, index=X.index)

    def numeric_columns(self) -> list[str]:
        dates = [safe_name(f"{c}__{p}") for c in self.roles.datetime for p in DATE_PARTS]
        return [safe_name(c) for c in self.roles.numeric] + dates

    def _check_columns(self, X: pd.DataFrame) -> None:
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"expected a pandas DataFrame of features, got {type(X).__name__}")
        missing = [c for c in self.roles.features if c not in X.columns]
        if missing:
            raise DataError(
                f"the data lacks feature column(s) the model was trained on: {', '.join(missing)}"
            )


class CategoryEncoder(TransformerMixin, BaseEstimator):
    """Give text columns a pandas `category` dtype with the categories seen in fit.

    LightGBM and HistGradientBoosting then split on categories natively; unseen values become NaN,
    and so do all but the `max_categories` most frequent values of a column when it is set
    (HistGradientBoosting takes at most 255 categories per column).
    """

    def __init__(self, max_categories: int | None = None) -> None:
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame, y: Any = None) -> CategoryEncoder:
        self.categories_ = {c: self._kept(X[c]) for c in X.columns}
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                c: pd.Categorical.from_codes(cats.get_indexer(pd.Index(X[c])), categories=cats)
                for c, cats in self.categories_.items()
            },
            index=X.index,
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_in_, dtype=object)

    def _kept(self, column: pd.Series) -> pd.Index:
        """The column's categories: all its values, or the most frequent `max_categories`."""
        counts = column.value_counts(sort=True)  # most frequent first, missing left out
        return pd.Index(sorted(counts.index[: self.max_categories]))
