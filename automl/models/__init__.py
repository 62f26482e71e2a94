"""Model families the search can choose from.

Every module in this package registers its family when imported (see `_registry`); a family
defined elsewhere (a plug-in, a test) registers the same way with `register_family`.
"""

from automl._registry import import_modules
from automl.models._registry import (
    ALL_TASKS,
    FAMILIES,
    IterationProbe,
    ModelFamily,
    Validation,
    default_families,
    family_libraries,
    family_names,
    fit_estimator,
    get_family,
    register_family,
)

import_modules(__name__, __path__)

__all__ = [
    "ALL_TASKS",
    "FAMILIES",
    "IterationProbe",
    "ModelFamily",
    "Validation",
    "default_families",
    "family_libraries",
    "family_names",
    "fit_estimator",
    "get_family",
    "register_family",
]
