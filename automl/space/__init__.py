"""Search spaces as data: typed, conditional parameters from YAML or dicts."""

from automl.space._params import Condition, Param, parse_param
from automl.space._space import SearchSpace, load_yaml
from automl.space._tabular import MODEL_PARAM, TabularSpace, spaces_dir, tabular_space

__all__ = [
    "MODEL_PARAM",
    "Condition",
    "Param",
    "SearchSpace",
    "TabularSpace",
    "load_yaml",
    "parse_param",
    "spaces_dir",
    "tabular_space",
]
