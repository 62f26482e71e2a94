"""Tasks and how to infer one from the target column."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

MAX_INTEGER_CLASSES = 10


class Task(StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        return self is not Task.REGRESSION


def infer_task(target: pd.Series) -> Task:
    """Binary for two values, multiclass for text or few integers, regression for other numbers."""
    values = target.dropna()
    n_unique = values.nunique()
    if n_unique <= 2:
        return Task.BINARY
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return Task.MULTICLASS
    as_float = values.to_numpy(dtype=float)
    is_integral = bool(np.all(np.equal(np.mod(as_float, 1), 0)))
    if is_integral and n_unique <= MAX_INTEGER_CLASSES:
        return Task.MULTICLASS
    return Task.REGRESSION
