"""The strategy registry: a name -> a recipe that builds the sampler and pruner of a search.

A strategy is one module that calls `register_strategy`; nothing else lists strategy names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from optuna.pruners import BasePruner
from optuna.samplers import BaseSampler

from automl._registry import Registry
from automl.family_bandit import FamilyBandit
from automl.fidelity import FidelityPlan
from automl.space import SearchSpace

Bounds = tuple[float | None, float | None]


@dataclass(frozen=True)
class StrategyContext:
    """What a recipe may look at: the space, the seed, the fidelity plan trials report on (None
    for a custom objective) and the metric's range (to clip extrapolated scores)."""

    space: SearchSpace
    seed: int | None
    fidelity: FidelityPlan | None = None
    bounds: Bounds = (None, None)


@dataclass(frozen=True)
class Strategy:
    """A sampler, a pruner, and whether to try the space's starting points first.

    `multi_objective`: the strategy optimises a secondary objective too (a tabular search then
    adds latency or size); `population`: trials are segments of a population (PBT).
    """

    name: str
    sampler: BaseSampler
    pruner: BasePruner
    use_starting_points: bool = False
    family_bandit: FamilyBandit | None = None
    multi_objective: bool = False


Recipe = Callable[[StrategyContext], Strategy]


@dataclass(frozen=True)
class StrategyInfo:
    """A registered strategy: its recipe and what the engine must know before building it."""

    name: str
    recipe: Recipe
    multi_fidelity: bool = False
    several_objectives: bool = False
    population: bool = False
    summary: str = ""


STRATEGIES: Registry[StrategyInfo] = Registry("strategy")


def register_strategy(
    name: str,
    *,
    multi_fidelity: bool = False,
    several_objectives: bool = False,
    population: bool = False,
) -> Callable[[Recipe], Recipe]:
    """Decorator: register `recipe` under `name`. `multi_fidelity`: trials report on a fidelity
    plan's steps; `several_objectives`: it accepts more than one direction; `population`: the
    search runs as a population (PBT). The recipe's docstring's first line is its summary."""

    def register(recipe: Recipe) -> Recipe:
        summary = (recipe.__doc__ or "").strip().splitlines()[0] if recipe.__doc__ else ""
        info = StrategyInfo(name, recipe, multi_fidelity, several_objectives, population, summary)
        STRATEGIES.add(name, info)
        return recipe

    return register


def strategy_names() -> tuple[str, ...]:
    return STRATEGIES.names()


def strategy_info(name: str) -> StrategyInfo:
    """The registered strategy, or a ConfigError that names the closest one."""
    return STRATEGIES.get(name)


def make_strategy(
    name: str,
    space: SearchSpace,
    seed: int | None,
    fidelity: FidelityPlan | None = None,
    bounds: Bounds = (None, None),
) -> Strategy:
    """Build the named strategy for a search over `space`."""
    return strategy_info(name).recipe(StrategyContext(space, seed, fidelity, bounds))
