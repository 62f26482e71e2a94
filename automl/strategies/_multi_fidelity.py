"""Multi-fidelity strategies: bandits and learning-curve extrapolation on a fidelity plan.

They prune on the steps of a FidelityPlan (data-fraction rungs, boosting rounds, epochs); for a
custom objective the steps are whatever it reports and the bandits size their rungs from the
first finished trial, as Optuna does.
"""

from __future__ import annotations

import warnings

import optuna
from optuna.pruners import BasePruner, HyperbandPruner, MedianPruner, SuccessiveHalvingPruner

from automl.family_bandit import FamilyBandit
from automl.fidelity import AshaPruner, FidelityPlan, LearningCurvePruner, geometric_rungs
from automl.space import MODEL_PARAM
from automl.strategies._registry import Bounds, Strategy, StrategyContext, register_strategy


@register_strategy("auto", multi_fidelity=True)
def auto(context: StrategyContext) -> Strategy:
    """Multivariate TPE from known-good starting points, a family bandit, halving + curve rule.

    On a tabular search it prunes with successive halving on data-fraction rungs plus
    learning-curve extrapolation (see `_auto_pruner`), on a custom objective with the median
    rule.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=context.seed, multivariate=True, group=True, n_startup_trials=5
        )
    model = next(
        (p for p in context.space.params if p.name == MODEL_PARAM and p.type == "categorical"),
        None,
    )
    bandit = (
        FamilyBandit([str(c) for c in model.choices], context.seed)
        if model and len(model.choices) > 1
        else None
    )
    pruner = _auto_pruner(context.fidelity, context.bounds)
    return Strategy("auto", sampler, pruner, use_starting_points=True, family_bandit=bandit)


@register_strategy("asha", multi_fidelity=True)
def asha(context: StrategyContext) -> Strategy:
    """Random sampling, asynchronous successive halving."""
    sampler = optuna.samplers.RandomSampler(seed=context.seed)
    return Strategy("asha", sampler, _bandit("asha", context.fidelity))


@register_strategy("hyperband", multi_fidelity=True)
def hyperband(context: StrategyContext) -> Strategy:
    """Random sampling, Hyperband brackets of successive halving."""
    sampler = optuna.samplers.RandomSampler(seed=context.seed)
    return Strategy("hyperband", sampler, _bandit("hyperband", context.fidelity))


@register_strategy("bohb", multi_fidelity=True)
def bohb(context: StrategyContext) -> Strategy:
    """TPE per Hyperband bracket (Optuna's TPESampler reads the bracket)."""
    tpe = optuna.samplers.TPESampler(
        seed=context.seed, multivariate=True, warn_independent_sampling=False
    )
    return Strategy("bohb", tpe, _bandit("hyperband", context.fidelity))


@register_strategy("lc", multi_fidelity=True)
def lc(context: StrategyContext) -> Strategy:
    """TPE, learning-curve extrapolation stops trials unlikely to beat the best."""
    sampler = optuna.samplers.TPESampler(seed=context.seed)
    return Strategy("lc", sampler, _curve_pruner(context.fidelity, context.bounds))


def _bandit(name: str, fidelity: FidelityPlan | None) -> BasePruner:
    """ASHA (ours, on the plan's rungs) or Optuna's Hyperband over the plan's steps; on a custom
    objective Optuna's pruners, which size rungs from the first finished trial."""
    if fidelity is None or fidelity.kind == "folds":
        if name == "asha":
            return SuccessiveHalvingPruner(reduction_factor=3)
        return HyperbandPruner(reduction_factor=3)
    low = fidelity.first_step
    if name == "asha":
        return AshaPruner(geometric_rungs(low, fidelity.full_step, fidelity.eta), fidelity.eta)
    return HyperbandPruner(
        min_resource=low, max_resource=fidelity.full_step, reduction_factor=fidelity.eta
    )


def _curve_pruner(
    fidelity: FidelityPlan | None, bounds: Bounds, fallback: BasePruner | None = None
) -> LearningCurvePruner:
    """Learning-curve extrapolation on the plan's steps (on a custom objective's steps, full
    fidelity is taken to be the longest finished trial's last step)."""
    if fidelity is not None and fidelity.kind == "data_fraction":  # at most 2 rungs below full
        return LearningCurvePruner(fidelity.fidelity_of, fallback, min_points=2, bounds=bounds)
    fidelity_of = None if fidelity is None or fidelity.kind == "folds" else fidelity.fidelity_of
    return LearningCurvePruner(fidelity_of, fallback, bounds=bounds)


def _auto_pruner(fidelity: FidelityPlan | None, bounds: Bounds) -> BasePruner:
    """Data fractions: ASHA decides at 1/9 of the rows, the calibrated forecast at 1/3.
    Iterations (boosting rounds, epochs): extrapolation alone (a bandit rule would stop slow
    learners that end up best). Cross-validation folds or a custom objective: the median rule."""
    if fidelity is None or fidelity.kind == "folds":
        return MedianPruner(n_startup_trials=5)
    if fidelity.kind == "data_fraction":
        return _curve_pruner(fidelity, bounds, _bandit("asha", fidelity))
    return _curve_pruner(fidelity, bounds)
