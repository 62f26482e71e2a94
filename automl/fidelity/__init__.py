"""Evaluating trials below full fidelity: nested data subsamples, boosting rounds and epochs,
learning-curve extrapolation, and pruners that stop trials early."""

from automl.fidelity.curves import CurveForecast, forecast
from automl.fidelity.plan import FidelityPlan, data_fraction_plan
from automl.fidelity.pruners import FORECAST_ATTR, LearningCurvePruner
from automl.fidelity.schedulers import AshaPruner, geometric_rungs
from automl.fidelity.subsample import NestedSubsamples

__all__ = [
    "FORECAST_ATTR",
    "AshaPruner",
    "CurveForecast",
    "FidelityPlan",
    "LearningCurvePruner",
    "NestedSubsamples",
    "data_fraction_plan",
    "forecast",
    "geometric_rungs",
]
