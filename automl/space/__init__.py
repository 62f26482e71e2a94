"""Search spaces as data: typed, conditional parameters from YAML or dicts."""

from automl.space._names import DEFAULT_SPACE, is_space_file, resolve_space
from automl.space._params import Condition, Param, parse_param
from automl.space._preprocessing import settle_inert_choices
from automl.space._space import SearchSpace, load_yaml
from automl.space._tabular import (
    MODEL_PARAM,
    Portfolio,
    TabularSpace,
    load_portfolio,
    portfolio_file,
    spaces_dir,
    tabular_space,
)

__all__ = [
    "DEFAULT_SPACE",
    "MODEL_PARAM",
    "Condition",
    "Param",
    "Portfolio",
    "SearchSpace",
    "TabularSpace",
    "is_space_file",
    "load_portfolio",
    "load_yaml",
    "parse_param",
    "portfolio_file",
    "resolve_space",
    "settle_inert_choices",
    "spaces_dir",
    "tabular_space",
]
