"""Feature crosses: Cartesian products of categorical columns and bucketed numeric ones (age
band x occupation), so a simple model can learn interactions. Which crosses exist is decided
once per search by `automl.steps.cross_search` and carried in the column roles; this step
builds them from the prepared columns and encodes them (out-of-fold target encoding, or
counts), searched for every family as `cross.encoding` (none: no crosses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline

from automl.data import ColumnRoles, Cross
from automl.models import ModelFamily
from automl.steps._encode import encoder as categorical_encoder
from automl.steps._registry import PipelineStep, register_step

NUMERIC_BINS = 16
"""A numeric field of a cross is cut into this many quantile buckets (fitted on training rows)."""


def bucket_edges(values: pd.Series, bins: int = NUMERIC_BINS) -> np.ndarray:
    """Inner quantile edges of a numeric column (fewer for a column with few values)."""
    seen = values.to_numpy(dtype=float)
    seen = seen[~np.isnan(seen)]
    if seen.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(seen, np.linspace(0, 1, bins + 1)[1:-1]))


class CrossColumns(TransformerMixin, BaseEstimator):
    """The prepared columns a set of crosses uses -> one integer column per cross, each
    distinct combination of its fields' values one number. Integer arithmetic, not joined
    strings: a prediction pays little for its crosses (a missing value and a value not seen
    in training are values of their own)."""

    def __init__(self, crosses: Sequence[Cross] = ()) -> None:
        self.crosses = crosses

    def fit(self, X: pd.DataFrame, y: Any = None) -> CrossColumns:
        numeric = {field for cross in self.crosses for field in cross.numeric}
        fields = {field for cross in self.crosses for field in cross.fields}
        self.edges_ = {field: bucket_edges(X[field]) for field in sorted(numeric)}
        self.categories_ = {
            field: pd.Index(X[field].dropna().unique()) for field in sorted(fields - numeric)
        }
        self.n_features_in_ = X.shape[1]
        return self

    def _codes(self, column: pd.Series) -> tuple[np.ndarray, int]:
        """A field's codes and how many there can be: its values (bucketed if numeric), then
        missing, then unseen."""
        name = str(column.name)
        if name in self.edges_:
            values = column.to_numpy(dtype=float)
            edges = self.edges_[name]
            codes = np.searchsorted(edges, values, side="right")
            return np.where(np.isnan(values), len(edges) + 1, codes), len(edges) + 2
        categories = self.categories_[name]
        codes = categories.get_indexer(column)
        missing = column.isna().to_numpy()
        codes = np.where(missing, len(categories), np.where(codes < 0, len(categories) + 1, codes))
        return codes, len(categories) + 2

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        columns: dict[str, np.ndarray] = {}
        for cross in self.crosses:
            key = np.zeros(len(X), dtype=np.int64)
            for field in cross.fields:
                codes, radix = self._codes(X[field])
                key = key * radix + codes
            columns[cross.name] = key
        return pd.DataFrame(columns, index=X.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray([cross.name for cross in self.crosses], dtype=object)


class CountEncoder(TransformerMixin, BaseEstimator):
    """Each value as log(1 + its count in the training rows); unseen values as 0."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> CountEncoder:
        self.counts_ = {c: X[c].value_counts() for c in X.columns}
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {c: np.log1p(X[c].map(self.counts_[c]).fillna(0).to_numpy(float)) for c in X.columns},
            index=X.index,
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.feature_names_in_


@register_step
class CrossStep(PipelineStep):
    """`encoding`: none (no crosses), target (out-of-fold target encoding) or count."""

    name = "cross"
    order = 40

    def transformers(
        self, params: Mapping[str, Any], family: ModelFamily, roles: ColumnRoles, seed: int
    ) -> dict[str, BaseEstimator | str]:
        encoding = params.get("encoding", "none")
        if encoding == "none" or not roles.crosses:
            return {"crosses": "drop"}
        encoder = (
            CountEncoder() if encoding == "count" else categorical_encoder("target", family, seed)
        )
        return {"crosses": make_pipeline(CrossColumns(roles.crosses), encoder)}
