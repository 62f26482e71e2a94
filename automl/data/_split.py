"""How trials are scored: holdout, k-fold cross-validation (chosen by data size), or one
randomly drawn fold of k per trial."""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from automl.data._task import Task
from automl.exceptions import ConfigError, DataError

CV_MAX_ROWS = 10_000
DEFAULT_FOLDS = 5
HOLDOUT_FRACTION = 0.2
MIN_ROWS = 10

Split = tuple[np.ndarray, np.ndarray]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationPlan:
    """`n_folds` > 1 means k-fold cross-validation; 1 means a single stratified holdout.

    `random_fold`: the rows are split as for k-fold, but each configuration is scored on one
    fold drawn for it (a holdout that differs from configuration to configuration, so none is
    tuned to one split: Nagler et al., NeurIPS 2024); the best are then scored on every fold
    (see `automl.reevaluation`)."""

    n_folds: int
    holdout_fraction: float = HOLDOUT_FRACTION
    random_fold: bool = False

    @property
    def name(self) -> str:
        if self.random_fold:
            return f"1 random fold of {self.n_folds}"
        return (
            f"{self.n_folds}-fold CV"
            if self.n_folds > 1
            else f"{self.holdout_fraction:.0%} holdout"
        )

    @property
    def train_fraction(self) -> float:
        """Share of the rows each split trains on (to scale boosting rounds and times to all rows)."""
        return (self.n_folds - 1) / self.n_folds if self.n_folds > 1 else 1 - self.holdout_fraction

    @property
    def folds_per_trial(self) -> int:
        """How many splits a trial fits."""
        return 1 if self.random_fold else self.n_folds

    def folds_for(self, config: Mapping[str, Any], seed: int) -> list[int]:
        """The splits a configuration is scored on: all, or its one drawn fold (the same for
        the same configuration and seed, so a repeated configuration is scored alike)."""
        if not self.random_fold:
            return list(range(self.n_folds))
        key = json.dumps(dict(config), sort_keys=True, default=str) + f"/{seed}"
        return [zlib.crc32(key.encode()) % self.n_folds]

    def splits(self, y: np.ndarray, task: Task, seed: int) -> list[Split]:
        rows = np.zeros((len(y), 1))
        if self.n_folds > 1:
            kfold_cls = StratifiedKFold if task.is_classification else KFold
            kfold = kfold_cls(n_splits=self.n_folds, shuffle=True, random_state=seed)
            return [(tr, va) for tr, va in kfold.split(rows, y)]
        split_cls = StratifiedShuffleSplit if task.is_classification else ShuffleSplit
        splitter = split_cls(n_splits=1, test_size=self.holdout_fraction, random_state=seed)
        return [next(splitter.split(rows, y))]


def choose_evaluation(y: np.ndarray, task: Task, evaluation: str | int = "auto") -> EvaluationPlan:
    """Resolve 'auto' | 'holdout' | 'cv' | k and check the data has enough rows for it.
    'auto' cross-validates with fewer folds (at least 2) when the rarest class has fewer rows
    than the usual 5 folds need (stratified folds need a row of each class in each fold)."""
    plan = _parse(evaluation, len(y))
    if len(y) < MIN_ROWS:
        raise DataError(f"too few rows: {len(y)}; need at least {MIN_ROWS} to search")
    if task.is_classification:
        _, counts = np.unique(y, return_counts=True)
        smallest = int(counts.min())
        if evaluation == "auto" and 2 <= smallest < plan.n_folds:
            logger.info(
                "%d-fold CV instead of %d: the rarest class has %d rows",
                smallest, plan.n_folds, smallest,
            )  # fmt: skip
            plan = EvaluationPlan(smallest)
        needed = plan.n_folds if plan.n_folds > 1 else 2
        if smallest < needed:
            raise DataError(
                f"too few rows for {plan.name}: the smallest class has {smallest} row(s),"
                f" need at least {needed}; add data, drop that class, or choose another evaluation"
            )
    return plan


def _parse(evaluation: str | int, n_rows: int) -> EvaluationPlan:
    if evaluation == "auto":
        return EvaluationPlan(DEFAULT_FOLDS if n_rows <= CV_MAX_ROWS else 1)
    if evaluation == "holdout":
        return EvaluationPlan(1)
    if evaluation == "cv":
        return EvaluationPlan(DEFAULT_FOLDS)
    if evaluation in ("random_fold", "random-fold"):
        return EvaluationPlan(DEFAULT_FOLDS, random_fold=True)
    if isinstance(evaluation, int) and not isinstance(evaluation, bool) and evaluation >= 2:
        return EvaluationPlan(evaluation)
    raise ConfigError(
        f"unknown evaluation {evaluation!r}; use 'auto', 'holdout', 'cv', 'random_fold'"
        " or a number of folds >= 2"
    )
