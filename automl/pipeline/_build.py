"""Turn a flat configuration into a scikit-learn Pipeline: prepare -> encode -> model."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from automl.data import ColumnRoles, Task
from automl.models import ModelFamily, get_family
from automl.pipeline._prepare import CategoryEncoder, FramePreparer, safe_name
from automl.space import MODEL_PARAM

SCALERS = {"standard": StandardScaler, "robust": RobustScaler}
TARGET_ENCODER_FOLDS = 5
"""Out-of-fold target encoding: each row is encoded by the other folds' statistics."""


def model_params(config: dict[str, Any]) -> tuple[ModelFamily, dict[str, Any]]:
    """The chosen family and its parameters with the family prefix stripped."""
    family = get_family(config[MODEL_PARAM])
    prefix = f"{family.name}."
    return family, {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def build_pipeline(config: dict[str, Any], roles: ColumnRoles, task: Task, seed: int) -> Pipeline:
    """The full pipeline for one configuration; the last step is the (unfitted) model."""
    family, params = model_params(config)
    preparer = FramePreparer(roles)
    encoder = _encoder(config, family, preparer, roles, seed)
    return Pipeline(
        [("prepare", preparer), ("encode", encoder), ("model", family.build(params, task, seed))]
    )


def _encoder(
    config: dict[str, Any],
    family: ModelFamily,
    preparer: FramePreparer,
    roles: ColumnRoles,
    seed: int,
) -> ColumnTransformer:
    """Preprocessing per column kind; `seed` fixes the randomised steps (the out-of-fold target
    encoder's shuffled folds, the quantile transformer's subsample)."""
    parts: list[tuple[str, Any, list[str]]] = []
    numeric = preparer.numeric_columns()
    if numeric:
        parts.append(("numeric", _numeric_steps(config, family, seed), numeric))
    low = [safe_name(c) for c in roles.categorical]
    if low:
        choice = config.get(
            "boosting_categorical_encoder" if family.native_categorical else "categorical_encoder"
        )
        parts.append(("categorical", _categorical_encoder(choice or "onehot", family, seed), low))
    high = [safe_name(c) for c in roles.high_cardinality]
    high_choice = config.get("high_cardinality_encoder", "target")
    if high and high_choice != "drop":
        parts.append(("high_cardinality", _categorical_encoder(high_choice, family, seed), high))
    transformer = ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)
    return transformer.set_output(transform="pandas")


def _numeric_steps(config: dict[str, Any], family: ModelFamily, seed: int) -> BaseEstimator | str:
    steps: list[BaseEstimator] = []
    if "numeric_imputer" in config or family.needs_scaling:
        steps.append(
            SimpleImputer(
                strategy=config.get("numeric_imputer", "median"),
                add_indicator=bool(config.get("missing_indicator", False)),
                keep_empty_features=True,
            )
        )
    scaler = config.get("scaler", "standard" if family.needs_scaling else "none")
    if scaler == "quantile":
        steps.append(
            QuantileTransformer(n_quantiles=200, output_distribution="normal", random_state=seed)
        )
    elif scaler in SCALERS:
        steps.append(SCALERS[scaler]())
    return make_pipeline(*steps) if steps else "passthrough"


def _categorical_encoder(choice: str, family: ModelFamily, seed: int) -> BaseEstimator:
    if choice == "native" and family.native_categorical:
        return CategoryEncoder()
    if choice == "onehot":
        return OneHotEncoder(
            handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False, dtype=float
        )
    if choice == "target":
        return TargetEncoder(cv=KFold(TARGET_ENCODER_FOLDS, shuffle=True, random_state=seed))
    return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, dtype=float)
