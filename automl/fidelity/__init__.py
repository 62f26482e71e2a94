"""Evaluating trials below full fidelity: nested data subsamples, boosting rounds and epochs,
learning-curve extrapolation, and pruners that stop trials early."""

from automl.fidelity.curves import CurveForecast, forecast
from automl.fidelity.plan import FidelityPlan, data_fraction_plan
from automl.fidelity.pruners import LearningCurvePruner, ask_pruner
from automl.fidelity.reasons import BUDGET_ENDED, budget_reason, slow_family_reason, time_reason
from automl.fidelity.schedulers import AshaPruner, geometric_rungs
from automl.fidelity.subsample import NestedSubsamples

__all__ = [
    "BUDGET_ENDED",
    "AshaPruner",
    "CurveForecast",
    "FidelityPlan",
    "LearningCurvePruner",
    "NestedSubsamples",
    "ask_pruner",
    "budget_reason",
    "data_fraction_plan",
    "forecast",
    "geometric_rungs",
    "slow_family_reason",
    "time_reason",
]
