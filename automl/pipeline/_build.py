"""Turn a flat configuration into a scikit-learn Pipeline: prepare -> registered steps -> model."""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline, make_pipeline

from automl.data import ColumnRoles, Task
from automl.models import ModelFamily, get_family
from automl.pipeline._prepare import FramePreparer, safe_name
from automl.space import MODEL_PARAM
from automl.steps import BRANCHES, pipeline_steps, step_params, upgrade_config


def model_params(config: dict[str, Any]) -> tuple[ModelFamily, dict[str, Any]]:
    """The chosen family and its parameters with the family prefix stripped."""
    family = get_family(config[MODEL_PARAM])
    prefix = f"{family.name}."
    return family, {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def build_pipeline(config: dict[str, Any], roles: ColumnRoles, task: Task, seed: int) -> Pipeline:
    """The full pipeline for one configuration; the last step is the (unfitted) model.
    `seed` fixes the randomised steps (the target encoder's folds, the quantile subsample)."""
    config = upgrade_config(config)
    family, params = model_params(config)
    preparer = FramePreparer(roles)
    encoder = _branches(config, family, preparer, roles, seed)
    return Pipeline(
        [("prepare", preparer), ("encode", encoder), ("model", family.build(params, task, seed))]
    )


def _branches(
    config: dict[str, Any],
    family: ModelFamily,
    preparer: FramePreparer,
    roles: ColumnRoles,
    seed: int,
) -> ColumnTransformer:
    """Each column group through the registered steps' transformers, in step order; numeric
    columns pass through when no step transforms them, a group a step drops is left out.
    A frame comes out, or a sparse matrix when a step's output is sparse (discretised bins)."""
    chains: dict[str, list[Any]] = {branch: [] for branch in BRANCHES}
    sparse = False
    for step in pipeline_steps():
        params = step_params(config, step)
        sparse = sparse or step.sparse(params, family)
        for branch, transformer in step.transformers(params, family, roles, seed).items():
            chains[branch].append(transformer)
    columns = {
        "numeric": preparer.numeric_columns(),
        "categorical": [safe_name(c) for c in roles.categorical],
        "high_cardinality": [safe_name(c) for c in roles.high_cardinality],
        "crosses": roles.cross_fields(),
    }
    parts: list[tuple[str, Any, list[str]]] = []
    for branch in BRANCHES:
        chain = chains[branch]
        if not columns[branch] or "drop" in chain:
            continue
        if not chain:
            parts.append((branch, "passthrough", columns[branch]))
        else:
            parts.append(
                (branch, chain[0] if len(chain) == 1 else make_pipeline(*chain), columns[branch])
            )
    if sparse:
        return ColumnTransformer(parts, remainder="drop", sparse_threshold=1.0)
    transformer = ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)
    return transformer.set_output(transform="pandas")
