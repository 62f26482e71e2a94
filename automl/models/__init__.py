"""Model families the search can choose from."""

from automl.models._families import FAMILIES, ModelFamily, fit_estimator, get_family

__all__ = ["FAMILIES", "ModelFamily", "fit_estimator", "get_family"]
