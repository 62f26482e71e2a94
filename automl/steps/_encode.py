"""Encode categorical columns as numbers: one-hot, ordinal, out-of-fold target encoding, or
(for families that split on categories themselves) native integer codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder

from automl.data import ColumnRoles, MetaFeatures
from automl.models import ModelFamily
from automl.steps._registry import PipelineStep, register_step

TARGET_ENCODER_FOLDS = 5
"""Out-of-fold target encoding: each row is encoded by the other folds' statistics."""
ONE_HOT_MIN_FREQUENCY = 5


class TaskTargetEncoder(TargetEncoder):
    """scikit-learn's out-of-fold target encoder, told that a float target is continuous.

    A search's regression targets are floats and its class labels integer codes; left to
    guess, scikit-learn calls a float target whose values are all whole numbers (race times
    in seconds) "multiclass" and encodes one column per distinct value: minutes per fit on
    3,000 values, where a continuous encoding takes milliseconds."""

    def fit(self, X: Any, y: Any) -> TaskTargetEncoder:
        self._settle_target_type(y)
        return super().fit(X, y)

    def fit_transform(self, X: Any, y: Any) -> Any:
        self._settle_target_type(y)
        return super().fit_transform(X, y)

    def _settle_target_type(self, y: Any) -> None:
        if self.get_params()["target_type"] == "auto" and np.asarray(y).dtype.kind == "f":
            self.set_params(target_type="continuous")


def one_hot_name(feature: str, category: Any) -> str:
    """A one-hot column's name that every model accepts (LightGBM refuses JSON's special
    characters, which category values may hold: '"MS+"', 'a,b')."""
    from automl.pipeline._prepare import safe_name  # the pipeline imports the steps

    return safe_name(f"{feature}_{category}")


@register_step
class Encode(PipelineStep):
    """`categorical`: low-cardinality columns, for families without native categoricals;
    `native`: the same choice for families with them; `high_cardinality`: columns with more
    than 50 values ("drop" leaves them out), for families without native categoricals;
    `high_cardinality_native`: the same choices and `native`, for families with them (IDs as
    categories: LightGBM's category splits, the MLP's learned vectors)."""

    name = "encode"
    order = 30
    legacy_names: ClassVar[Mapping[str, str]] = {
        "categorical_encoder": "categorical",
        "boosting_categorical_encoder": "native",
        "high_cardinality_encoder": "high_cardinality",
        "encode.high_cardinality_embedded": "high_cardinality_native",  # the MLP-only name
    }

    def searched_for(self, param: str, family: ModelFamily) -> bool:
        if param == "categorical":
            return not family.native_categorical
        if param == "native":
            return family.native_categorical
        if param == "high_cardinality_native":
            return family.native_categorical
        return not family.native_categorical

    def inert_params(self, meta: MetaFeatures) -> frozenset[str]:
        inert: set[str] = set()
        if meta.categorical == 0:
            inert |= {"categorical", "native"}
        if meta.high_cardinality == 0:
            inert |= {"high_cardinality", "high_cardinality_native"}
        return frozenset(inert)

    def upgrade(self, config: dict[str, Any], family: ModelFamily) -> None:
        """A family with native categoricals read `high_cardinality` before it could take
        many-valued columns natively (the learned portfolio's points, past studies)."""
        old, new = f"{self.name}.high_cardinality", f"{self.name}.high_cardinality_native"
        if family.native_categorical and old in config:
            config.setdefault(new, config.pop(old))

    def transformers(
        self, params: Mapping[str, Any], family: ModelFamily, roles: ColumnRoles, seed: int
    ) -> dict[str, BaseEstimator | str]:
        low = params.get("native" if family.native_categorical else "categorical")
        high = params.get(
            "high_cardinality_native" if family.native_categorical else "high_cardinality",
            "target",
        )
        return {
            "categorical": encoder(low or "onehot", family, seed),
            "high_cardinality": "drop" if high == "drop" else encoder(high, family, seed),
        }


def encoder(choice: str, family: ModelFamily, seed: int) -> BaseEstimator:
    """The encoder named `choice`; `native` needs a family with native categoricals."""
    if choice == "native" and family.native_categorical:
        from automl.pipeline._prepare import CategoryEncoder  # the pipeline imports the steps

        return CategoryEncoder(max_categories=family.max_native_categories)
    if choice == "onehot":
        return OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=ONE_HOT_MIN_FREQUENCY,
            sparse_output=False,
            dtype=float,
            feature_name_combiner=one_hot_name,
        )
    if choice == "target":
        return TaskTargetEncoder(cv=KFold(TARGET_ENCODER_FOLDS, shuffle=True, random_state=seed))
    return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, dtype=float)
