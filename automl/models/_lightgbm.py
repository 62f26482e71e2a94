"""LightGBM: gradient-boosted trees with native categoricals; reports on boosting rounds."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, is_classifier

from automl.data import Task
from automl.models._registry import (
    EARLY_STOPPING_ROUNDS,
    IterationProbe,
    ModelFamily,
    Validation,
    class_columns,
    register_family,
)


@register_family
class LightGBM(ModelFamily):
    """LightGBM; early-stops its rounds on validation data and stops adding rounds at the
    trial's deadline, so a slow configuration yields a shorter model instead of none."""

    name = "lightgbm"
    params = frozenset(
        {
            "n_estimators",
            "learning_rate",
            "num_leaves",
            "max_depth",
            "min_child_samples",
            "subsample",
            "colsample_bytree",
            "reg_alpha",
            "reg_lambda",
            "min_split_gain",
            "max_bin",
            "min_child_weight",
            "path_smooth",
            "cat_smooth",
            "cat_l2",
        }
    )
    iterations_param = "n_estimators"
    default_iterations = 2000
    curve_unit = "rounds"
    stops_at_deadline = True
    sparse_curve = True
    native_categorical = True
    handles_missing = True
    default_rank = 0
    libraries = ("lightgbm",)

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        import lightgbm

        # deterministic + force_row_wise: the same seed gives the same model on the same
        # machine (multi-threaded histograms otherwise differ in the last bits and steer the
        # search).
        settings = {
            "verbose": -1,
            "random_state": seed,
            "subsample_freq": 1,
            "deterministic": True,
            "force_row_wise": True,
            **params,
        }
        if task.is_classification:
            return lightgbm.LGBMClassifier(**settings)
        return lightgbm.LGBMRegressor(**settings)

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        import lightgbm

        steps: list[Any] = [lightgbm.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)]
        if validation.deadline is not None:
            steps.append(_StopAt(validation.deadline))
        if validation.probe is not None:
            classes = np.unique(y) if is_classifier(estimator) else None
            steps.append(_RoundsProbe(validation.probe, validation.X, classes))
        estimator.fit(X, y, eval_X=(validation.X,), eval_y=(validation.y,), callbacks=steps)
        return int(estimator.best_iteration_ or estimator.n_estimators)


class _StopAt:
    """A LightGBM callback that ends training (keeping the rounds so far) at `deadline`."""

    order = 40  # after early_stopping (30), which records the best iteration

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, env: Any) -> None:
        import lightgbm

        if time.monotonic() > self.deadline:
            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list)


class _RoundsProbe:
    """A LightGBM callback: the validation predictions at the probe's rounds."""

    order = 35  # after early stopping (30) has seen the round

    def __init__(self, probe: IterationProbe, X_val: Any, classes: np.ndarray | None) -> None:
        self.probe = probe
        self.X_val = X_val
        self.classes = classes  # LightGBM's class k is the k-th of the training classes

    def __call__(self, env: Any) -> None:
        done = env.iteration + 1
        if not self.probe.wants(done):
            return
        raw = np.asarray(env.model.predict(self.X_val, num_iteration=done), dtype=float)
        self.probe(done, class_columns(raw, self.classes), self.classes)
