"""Model families the search can choose from.

Every module in this package registers its family when imported (see `_registry`); a family
defined elsewhere (a plug-in, a test) registers the same way with `register_family`.
"""

import importlib
import pkgutil

from automl.models._registry import (
    ALL_TASKS,
    FAMILIES,
    IterationProbe,
    ModelFamily,
    Validation,
    default_families,
    family_names,
    fit_estimator,
    get_family,
    register_family,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "ALL_TASKS",
    "FAMILIES",
    "IterationProbe",
    "ModelFamily",
    "Validation",
    "default_families",
    "family_names",
    "fit_estimator",
    "get_family",
    "register_family",
]
