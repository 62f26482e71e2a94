"""Dataset: a validated, immutable table with its task, encoded target and column roles."""

from __future__ import annotations

import difflib
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.data._read import read_table
from automl.data._roles import ColumnRoles, infer_roles
from automl.data._task import Task, infer_task
from automl.exceptions import DataError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features (raw values, missing markers as NaN), the encoded target, the task and column roles.

    For classification `y` holds integer codes into `classes`; for regression it holds floats.
    """

    features: pd.DataFrame
    y: np.ndarray
    target: str
    task: Task
    roles: ColumnRoles
    classes: tuple[Any, ...] | None = None

    @classmethod
    def from_source(
        cls, source: str | Path | pd.DataFrame, target: str, task: str | Task | None = None
    ) -> Dataset:
        """Load and validate; raises DataError with a one-line reason for unusable input."""
        frame = read_table(source)
        if not isinstance(target, str) or target not in frame.columns:
            raise DataError(missing_column_message(target, list(frame.columns)))
        return cls.from_frame(frame, target, task)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, target: str, task: str | Task | None) -> Dataset:
        kept, target_values = labelled_rows(frame, target, task)
        features = kept.drop(columns=[target])
        if features.shape[1] == 0:
            raise DataError(f"no feature columns: the data holds only the target '{target}'")
        roles = infer_roles(features)
        if not roles.features:
            raise DataError(
                "no usable feature columns: "
                + ", ".join(f"{c} ({why})" for c, why in roles.dropped.items())
            )
        y, resolved, classes = target_values
        return cls(features, y, target, resolved, roles, classes)

    @property
    def n_rows(self) -> int:
        return len(self.y)

    def labels(self, codes: np.ndarray) -> np.ndarray:
        """Map integer class codes back to the original labels."""
        assert self.classes is not None
        return np.asarray(self.classes, dtype=object)[codes]

    def fingerprint(self) -> str:
        """A short hash of shape, columns and values, to notice a resumed study on other data."""
        digest = hashlib.sha1()
        digest.update(
            repr((self.features.shape, list(self.features.columns), self.target)).encode()
        )
        digest.update(pd.util.hash_pandas_object(self.features, index=False).to_numpy().tobytes())
        digest.update(np.ascontiguousarray(self.y).tobytes())
        return digest.hexdigest()[:16]

    def describe(self) -> str:
        r = self.roles
        return (
            f"{self.n_rows} rows, task {self.task.value}, {len(r.numeric)} numeric, "
            f"{len(r.categorical)} categorical, {len(r.high_cardinality)} high-cardinality, "
            f"{len(r.datetime)} datetime columns; dropped: {dict(r.dropped) or 'none'}"
        )


TargetValues = tuple[np.ndarray, Task, tuple[Any, ...] | None]
"""The encoded target (class codes or floats), its task and, for classification, its classes."""


def labelled_rows(
    frame: pd.DataFrame, target: str, task: str | Task | None
) -> tuple[pd.DataFrame, TargetValues]:
    """The rows whose target is known (others dropped with a warning) and the checked, encoded
    target; DataError for a target with no values, one value only, or the wrong task."""
    y_raw = frame[target]
    if y_raw.isna().all():
        raise DataError(f"target column '{target}' has no values (all missing)")
    keep = y_raw.notna().to_numpy()
    if not keep.all():
        logger.warning("dropping %d rows whose target '%s' is missing", (~keep).sum(), target)
    kept = frame.loc[keep].reset_index(drop=True)
    y_raw = kept[target]
    if y_raw.nunique() < 2:
        raise DataError(
            f"target column '{target}' is constant (only value: {y_raw.tolist()[0]!r});"
            " there is nothing to learn"
        )
    resolved = _resolve_task(task, y_raw, target)
    if resolved.is_classification:
        codes, uniques = pd.factorize(y_raw, sort=True)
        return kept, (codes.astype(np.int64), resolved, tuple(uniques))
    values = y_raw.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise DataError(f"target column '{target}' holds infinite values; remove or cap them")
    return kept, (values, resolved, None)


def _resolve_task(task: str | Task | None, y: pd.Series, target: str) -> Task:
    if task is None:
        return infer_task(y)
    try:
        resolved = Task(task)
    except ValueError:
        choices = ", ".join(t.value for t in Task)
        raise DataError(f"unknown task '{task}'; choose one of: {choices}") from None
    if resolved is Task.REGRESSION and not pd.api.types.is_numeric_dtype(y):
        raise DataError(
            f"regression needs a numeric target but '{target}' holds text"
            f" (e.g. {y.iloc[0]!r}); use task='binary' or task='multiclass'"
        )
    if resolved is Task.BINARY and y.nunique() > 2:
        raise DataError(
            f"task 'binary' needs two classes but '{target}' has {y.nunique()};"
            " use task='multiclass'"
        )
    return resolved


def missing_column_message(target: object, columns: list[str], role: str = "target") -> str:
    """'<role> column X not found', with the closest column name or the columns there are."""
    message = f"{role} column '{target}' not found"
    close = difflib.get_close_matches(str(target), columns, n=1, cutoff=0.5)
    lowered = {c.lower(): c for c in columns}
    if str(target).lower() in lowered:
        close = [lowered[str(target).lower()]]
    if close:
        return f"{message}; did you mean '{close[0]}'?"
    shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
    return f"{message}; columns are: {shown}"
