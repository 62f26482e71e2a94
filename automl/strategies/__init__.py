"""Strategies: registered recipes that build a search's sampler and pruner.

Each module in this package registers its strategies when imported (`register_strategy`);
a strategy defined elsewhere registers the same way and is then usable by name.
"""

from automl.strategies import _multi_fidelity, _samplers  # noqa: F401  (they register)
from automl.strategies._registry import (
    STRATEGIES,
    Bounds,
    Strategy,
    StrategyContext,
    StrategyInfo,
    make_strategy,
    register_strategy,
    strategy_info,
    strategy_names,
)
from automl.strategies._samplers import AskTellGridSampler, grid_exhausted

__all__ = [
    "STRATEGIES",
    "AskTellGridSampler",
    "Bounds",
    "Strategy",
    "StrategyContext",
    "StrategyInfo",
    "grid_exhausted",
    "make_strategy",
    "register_strategy",
    "strategy_info",
    "strategy_names",
]
