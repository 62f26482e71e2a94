"""XGBoost: gradient-boosted trees (histogram method, native categoricals); reports on
boosting rounds. Needs the `xgboost` extra; not in the default space (see its YAML)."""

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
class XGBoost(ModelFamily):
    """XGBoost; early-stops its rounds on validation data and stops adding rounds at the
    trial's deadline, as LightGBM does."""

    name = "xgboost"
    params = frozenset(
        {
            "n_estimators",
            "learning_rate",
            "max_depth",
            "max_leaves",
            "min_child_weight",
            "subsample",
            "colsample_bytree",
            "reg_alpha",
            "reg_lambda",
            "gamma",
            "max_bin",
            "grow_policy",
        }
    )
    iterations_param = "n_estimators"
    default_iterations = 2000
    curve_unit = "rounds"
    stops_at_deadline = True
    sparse_curve = True
    native_categorical = True
    handles_missing = True
    libraries = ("xgboost",)
    install_hint = "pip install 'automl[xgboost]'"

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        import xgboost

        settings = {
            "tree_method": "hist",
            "enable_categorical": True,
            "random_state": seed,
            "verbosity": 0,
            **params,
        }
        if task.is_classification:
            return xgboost.XGBClassifier(**settings)
        return xgboost.XGBRegressor(**settings)

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        callbacks: list[Any] = []
        if validation.deadline is not None:
            callbacks.append(_stop_at(validation))
        if validation.probe is not None:
            classes = np.unique(y) if is_classifier(estimator) else None
            callbacks.append(_rounds_probe(validation.probe, validation.X, classes))
        estimator.set_params(early_stopping_rounds=EARLY_STOPPING_ROUNDS, callbacks=callbacks)
        estimator.fit(X, y, eval_set=[(validation.X, validation.y)], verbose=False)
        estimator.set_params(early_stopping_rounds=None, callbacks=None)  # picklable, refit-ready
        return int(estimator.best_iteration + 1)


def _stop_at(validation: Validation) -> Any:
    """An XGBoost callback that ends training (keeping the rounds so far) at the deadline."""
    import xgboost

    class StopAt(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if time.monotonic() > (validation.deadline or float("inf")):
                validation.cut_short = True
                return True
            return False

    return StopAt()


def _rounds_probe(probe: IterationProbe, X_val: Any, classes: np.ndarray | None) -> Any:
    """An XGBoost callback: the validation predictions at the probe's rounds."""
    import xgboost

    class RoundsProbe(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            done = epoch + 1
            if not probe.wants(done):
                return False
            raw = np.asarray(model.inplace_predict(X_val, iteration_range=(0, done)), dtype=float)
            probe(done, class_columns(raw, classes), classes)
            return False

    return RoundsProbe()
