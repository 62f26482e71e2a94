"""Preprocessing steps of the tabular pipeline (impute, scale, encode).

Every module in this package registers its step when imported (see `_registry`); a step
defined elsewhere registers the same way with `register_step`.
"""

import importlib
import pkgutil

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

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

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
