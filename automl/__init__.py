"""automl: hyperparameter and architecture search on Optuna.

result = automl.search("train.csv", target="label", time_budget=60)
result.predict(new_rows)
"""

__version__ = "0.1.0"

from automl.api import search
from automl.data import Dataset, Task
from automl.estimators import AutoMLClassifier, AutoMLRegressor
from automl.exceptions import AutoMLError, ConfigError, DataError, ModelFileError, SpaceError
from automl.model import FittedModel, load
from automl.result import SearchResult
from automl.search import StopSearch
from automl.space import SearchSpace

__all__ = [
    "AutoMLClassifier",
    "AutoMLError",
    "AutoMLRegressor",
    "ConfigError",
    "DataError",
    "Dataset",
    "FittedModel",
    "ModelFileError",
    "SearchResult",
    "SearchSpace",
    "SpaceError",
    "StopSearch",
    "Task",
    "__version__",
    "load",
    "search",
]
