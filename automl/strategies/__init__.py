"""Strategies: registered recipes that build a search's sampler and pruner.

Each module in this package registers its strategies when imported (`register_strategy`);
a strategy defined elsewhere registers the same way and is then usable by name.
"""

from automl._registry import import_modules
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
from automl.strategies.grid import ConditionalGridSampler, grid_exhausted

import_modules(__name__, __path__)

__all__ = [
    "STRATEGIES",
    "Bounds",
    "ConditionalGridSampler",
    "Strategy",
    "StrategyContext",
    "StrategyInfo",
    "grid_exhausted",
    "make_strategy",
    "register_strategy",
    "strategy_info",
    "strategy_names",
]
