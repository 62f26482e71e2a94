"""Single-fidelity strategies: one Optuna sampler each, no pruning."""

from __future__ import annotations

import optuna
from optuna.pruners import NopPruner

from automl.exceptions import ConfigError
from automl.strategies._registry import Strategy, StrategyContext, register_strategy
from automl.strategies.grid import ConditionalGridSampler

GRID_POINTS = 3
"""Values per numeric parameter in the `grid` strategy."""


@register_strategy("tpe")
def tpe(context: StrategyContext) -> Strategy:
    """Optuna's TPE sampler."""
    return Strategy("tpe", optuna.samplers.TPESampler(seed=context.seed), NopPruner())


@register_strategy("gp")
def gp(context: StrategyContext) -> Strategy:
    """Gaussian-process Bayesian optimisation (needs torch)."""
    try:
        import torch  # noqa: F401  (GPSampler needs it)
    except ImportError:
        raise ConfigError(
            "strategy 'gp' needs PyTorch: pip install torch==2.13.0 (or pip install 'automl[deep]')"
        ) from None
    sampler = optuna.samplers.GPSampler(seed=context.seed, warn_independent_sampling=False)
    return Strategy("gp", sampler, NopPruner())


@register_strategy("cmaes")
def cmaes(context: StrategyContext) -> Strategy:
    """CMA-ES on the numeric parameters."""
    sampler = optuna.samplers.CmaEsSampler(
        seed=context.seed, warn_independent_sampling=False, restart_strategy=None
    )
    return Strategy("cmaes", sampler, NopPruner())


@register_strategy("random", several_objectives=True)
def random(context: StrategyContext) -> Strategy:
    """Uniform random sampling."""
    return Strategy("random", optuna.samplers.RandomSampler(seed=context.seed), NopPruner())


@register_strategy("qmc")
def qmc(context: StrategyContext) -> Strategy:
    """Scrambled Sobol quasi-random sampling."""
    sampler = optuna.samplers.QMCSampler(
        seed=context.seed, scramble=True, warn_independent_sampling=False
    )
    return Strategy("qmc", sampler, NopPruner())


@register_strategy("grid")
def grid(context: StrategyContext) -> Strategy:
    """Every combination of the categorical choices and 3 values per number, among the
    parameters active together (per model family)."""
    sampler = ConditionalGridSampler(context.space, GRID_POINTS, seed=context.seed)
    return Strategy("grid", sampler, NopPruner())


@register_strategy("nsga2", several_objectives=True)
def nsga2(context: StrategyContext) -> Strategy:
    """NSGA-II over the metric and a secondary objective (latency or size)."""
    sampler = optuna.samplers.NSGAIISampler(seed=context.seed)
    return Strategy("nsga2", sampler, NopPruner(), multi_objective=True)


@register_strategy("pbt", population=True)
def pbt(context: StrategyContext) -> Strategy:
    """Population-based training of torch MLPs (a random first population)."""
    return Strategy("pbt", optuna.samplers.RandomSampler(seed=context.seed), NopPruner())
