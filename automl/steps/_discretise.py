"""Multi-granularity discretisation of numeric columns: each column's value also as one-hot
bins at one or several granularities (4Paradigm's linear fractal classifier, AutoCross), so a
linear model, k-NN or a network can learn a column's non-linear effect. Emitted as a sparse
matrix beside the (scaled) values; searched for the families that need scaled inputs (trees
split on raw values and gain nothing from bins)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from automl.data import ColumnRoles
from automl.models import ModelFamily
from automl.steps._registry import PipelineStep, register_step

GRANULARITIES = (4, 8, 16, 32, 64)
"""The bin counts `granularity: all` emits together (and the choices for one alone)."""


class MultiGranularityBins(TransformerMixin, BaseEstimator):
    """Values, then per column and granularity one-hot bins (quantile or equal-width edges
    fitted on the training rows; values outside them fall in the end bins, NaN in none)."""

    def __init__(self, granularities: Sequence[int] = GRANULARITIES, strategy: str = "quantile"):
        self.granularities = granularities
        self.strategy = strategy

    def fit(self, X: Any, y: Any = None) -> MultiGranularityBins:
        values = np.asarray(X, dtype=float)
        self.n_features_in_ = values.shape[1]
        self.edges_: list[np.ndarray] = []  # inner edges, per (column, granularity)
        for column in values.T:
            seen = column[~np.isnan(column)]
            for bins in self.granularities:
                self.edges_.append(self._inner_edges(seen, bins))
        return self

    def _inner_edges(self, seen: np.ndarray, bins: int) -> np.ndarray:
        if seen.size == 0:
            return np.empty(0)
        if self.strategy == "uniform":
            edges = np.linspace(seen.min(), seen.max(), bins + 1)[1:-1]
        else:
            edges = np.quantile(seen, np.linspace(0, 1, bins + 1)[1:-1])
        edges = np.unique(edges)
        # a bin no training value falls in is merged into the next: a column with few values
        # has few bins
        occupied = np.unique(np.searchsorted(edges, seen, side="right"))
        return edges[occupied[1:] - 1]

    def transform(self, X: Any) -> sparse.csr_matrix:
        values = np.asarray(X, dtype=float)
        n_rows = values.shape[0]
        blocks: list[sparse.csr_matrix] = [sparse.csr_matrix(np.nan_to_num(values))]
        per_column = len(self.granularities)
        for index, edges in enumerate(self.edges_):
            column = values[:, index // per_column]
            present = ~np.isnan(column)
            codes = np.searchsorted(edges, column[present], side="right")
            rows = np.flatnonzero(present)
            blocks.append(
                sparse.csr_matrix(
                    (np.ones(rows.size, dtype=np.float32), (rows, codes)),
                    shape=(n_rows, edges.size + 1),
                )
            )
        return sparse.hstack(blocks, format="csr", dtype=np.float32)


@register_step
class Discretise(PipelineStep):
    """`granularity`: none, one bin count, or `all` of GRANULARITIES together; `strategy`:
    quantile or equal-width edges. The model's inputs become sparse when bins are emitted."""

    name = "discretise"
    order = 25  # after scaling (bins on scaled values are the raw values' bins), before encoding

    def searched_for(self, param: str, family: ModelFamily) -> bool:
        # a family that takes categories as they are needs a frame, not a sparse matrix
        return family.needs_scaling and not family.native_categorical

    def transformers(
        self, params: Mapping[str, Any], family: ModelFamily, roles: ColumnRoles, seed: int
    ) -> dict[str, BaseEstimator | str]:
        granularity = params.get("granularity", "none")
        if granularity == "none":
            return {}
        bins = GRANULARITIES if granularity == "all" else (int(granularity),)
        strategy = params.get("strategy", "quantile")
        return {"numeric": MultiGranularityBins(bins, strategy)}

    def sparse(self, params: Mapping[str, Any], family: ModelFamily) -> bool:
        return params.get("granularity", "none") != "none"
