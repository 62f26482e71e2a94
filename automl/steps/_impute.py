"""Impute missing numeric values, optionally adding a missing-value indicator per column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sklearn.base import BaseEstimator
from sklearn.impute import SimpleImputer

from automl.data import ColumnRoles
from automl.models import ModelFamily
from automl.steps._registry import PipelineStep, register_step


@register_step
class Impute(PipelineStep):
    """Searched for families that cannot take missing values themselves; a family that needs
    scaled inputs is always imputed (median, no indicator, unless searched)."""

    name = "impute"
    order = 10
    legacy_names: ClassVar[Mapping[str, str]] = {
        "numeric_imputer": "strategy",
        "missing_indicator": "indicator",
    }

    def searched_for(self, param: str, family: ModelFamily) -> bool:
        return not family.handles_missing

    def transformers(
        self, params: Mapping[str, Any], family: ModelFamily, roles: ColumnRoles, seed: int
    ) -> dict[str, BaseEstimator | str]:
        if "strategy" not in params and not family.needs_scaling:
            return {}
        imputer = SimpleImputer(
            strategy=params.get("strategy", "median"),
            add_indicator=bool(params.get("indicator", False)),
            keep_empty_features=True,
        )
        return {"numeric": imputer}
