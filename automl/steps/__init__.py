"""Preprocessing steps of the tabular pipeline (impute, scale, discretise, encode).

Every module in this package registers its step when imported (see `_registry`); a step
defined elsewhere registers the same way with `register_step`.
"""

from automl._registry import import_modules
from automl.steps._registry import (
    BRANCHES,
    STEPS,
    PipelineStep,
    legacy_names,
    pipeline_steps,
    register_step,
    step_params,
    unregister_step,
    upgrade_config,
)

import_modules(__name__, __path__)

__all__ = [
    "BRANCHES",
    "STEPS",
    "PipelineStep",
    "legacy_names",
    "pipeline_steps",
    "register_step",
    "step_params",
    "unregister_step",
    "upgrade_config",
]
