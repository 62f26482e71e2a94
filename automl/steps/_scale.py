"""Scale numeric columns: standardise, robust (median and IQR), or a normal quantile map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.preprocessing import QuantileTransformer, RobustScaler, StandardScaler

from automl.data import ColumnRoles
from automl.models import ModelFamily
from automl.steps._registry import PipelineStep, register_step

QUANTILES = 200


class FallbackRobustScaler(RobustScaler):
    """Median and interquartile range, except that a column whose IQR is zero (mostly one value,
    as capital gains are) is divided by its standard deviation instead of left unscaled: a raw
    99,999 among scaled inputs wrecks a network's training."""

    scale_: np.ndarray

    def fit(self, X: Any, y: Any = None) -> FallbackRobustScaler:
        super().fit(X, y)
        values = np.asarray(X, dtype=float)
        low, high = np.nanpercentile(values, self.quantile_range, axis=0)
        spread = np.nanstd(values, axis=0)
        self.scale_ = np.where((high == low) & (spread > 0), spread, self.scale_)
        return self


@register_step
class Scale(PipelineStep):
    """Searched for families that need scaled inputs (linear models, k-NN, networks), whose
    default is standardising; other families are left unscaled."""

    name = "scale"
    order = 20
    legacy_names: ClassVar[Mapping[str, str]] = {"scaler": "method"}

    def searched_for(self, param: str, family: ModelFamily) -> bool:
        return family.needs_scaling

    def transformers(
        self, params: Mapping[str, Any], family: ModelFamily, roles: ColumnRoles, seed: int
    ) -> dict[str, BaseEstimator | str]:
        method = params.get("method", "standard" if family.needs_scaling else "none")
        if method == "quantile":
            return {
                "numeric": QuantileTransformer(
                    n_quantiles=QUANTILES, output_distribution="normal", random_state=seed
                )
            }
        if method == "standard":
            return {"numeric": StandardScaler()}
        if method == "robust":
            return {"numeric": FallbackRobustScaler()}
        return {}
