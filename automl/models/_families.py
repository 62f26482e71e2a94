"""Model families: how a flat parameter dict becomes an estimator, and how it is fitted with early stopping."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from automl.data import Task

Builder = Callable[[dict[str, Any], Task, int], BaseEstimator]
EARLY_STOPPING_ROUNDS = 50


@dataclass(frozen=True)
class ModelFamily:
    """A named model: the tasks it solves, the parameters it accepts and how to build it.

    `rounds_param` names the iteration count that is early-stopped on validation data during
    the search and fixed to the found value (scaled to the larger data) when refitting.
    """

    name: str
    tasks: frozenset[Task]
    params: frozenset[str]
    build: Builder
    rounds_param: str | None = None
    native_categorical: bool = False
    needs_scaling: bool = False


def _lightgbm(params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
    import lightgbm

    # deterministic + force_row_wise: the same seed gives the same model on the same machine
    # (multi-threaded histograms otherwise differ in the last bits and steer the search).
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


def _hist_gradient_boosting(params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = (
        HistGradientBoostingClassifier if task.is_classification else HistGradientBoostingRegressor
    )
    return cls(random_state=seed, **params)


def _forest(extra: bool) -> Builder:
    def build(params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        from sklearn import ensemble

        kind = "ExtraTrees" if extra else "RandomForest"
        suffix = "Classifier" if task.is_classification else "Regressor"
        return getattr(ensemble, kind + suffix)(random_state=seed, n_jobs=-1, **params)

    return build


def _linear(params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
    from sklearn.linear_model import LogisticRegression, Ridge

    strength = float(params.get("regularization", 1.0))
    if task.is_classification:
        return LogisticRegression(C=1.0 / strength, max_iter=500, random_state=seed)
    return Ridge(alpha=strength)


def _knn(params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsClassifier if task.is_classification else KNeighborsRegressor
    return cls(n_jobs=-1, **params)


def _mlp(params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
    from automl.models._mlp import TorchMLP

    return TorchMLP(task=task.value, random_state=seed, **params)


ALL_TASKS = frozenset(Task)
FOREST_PARAMS = frozenset(
    {"n_estimators", "max_features", "min_samples_leaf", "max_depth", "bootstrap"}
)

FAMILIES: dict[str, ModelFamily] = {
    f.name: f
    for f in [
        ModelFamily(
            "lightgbm",
            ALL_TASKS,
            frozenset(
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
            ),
            _lightgbm,
            rounds_param="n_estimators",
            native_categorical=True,
        ),
        ModelFamily(
            "hist_gradient_boosting",
            ALL_TASKS,
            frozenset(
                {
                    "max_iter",
                    "learning_rate",
                    "max_leaf_nodes",
                    "max_depth",
                    "min_samples_leaf",
                    "l2_regularization",
                    "max_features",
                    "max_bins",
                }
            ),
            _hist_gradient_boosting,
            rounds_param="max_iter",
            native_categorical=True,
        ),
        ModelFamily("random_forest", ALL_TASKS, FOREST_PARAMS, _forest(extra=False)),
        ModelFamily("extra_trees", ALL_TASKS, FOREST_PARAMS, _forest(extra=True)),
        ModelFamily(
            "linear", ALL_TASKS, frozenset({"regularization"}), _linear, needs_scaling=True
        ),
        ModelFamily(
            "knn", ALL_TASKS, frozenset({"n_neighbors", "weights", "p"}), _knn, needs_scaling=True
        ),
        ModelFamily(
            "mlp",
            ALL_TASKS,
            frozenset(
                {
                    "epochs",
                    "hidden_layers",
                    "width",
                    "dropout",
                    "learning_rate",
                    "weight_decay",
                    "batch_size",
                }
            ),
            _mlp,
            rounds_param="epochs",
            needs_scaling=True,
        ),
    ]
}


def fit_estimator(
    family: ModelFamily,
    estimator: Any,
    X: Any,
    y: np.ndarray,
    X_val: Any = None,
    y_val: np.ndarray | None = None,
    deadline: float | None = None,
    callbacks: Sequence[Any] = (),
) -> int | None:
    """Fit in place; with validation data, early-stop the rounds and return how many were kept.

    LightGBM also stops adding rounds at `deadline` (time.monotonic()), so a slow configuration
    yields a usable, shorter model instead of being killed at the trial's time limit; extra
    `callbacks` (learning-curve reporters) run after each LightGBM round or MLP epoch.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        if family.name == "lightgbm" and X_val is not None:
            import lightgbm

            steps: list[Any] = [lightgbm.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)]
            if deadline is not None:
                steps.append(_StopAt(deadline))
            steps.extend(callbacks)
            estimator.fit(X, y, eval_X=(X_val,), eval_y=(y_val,), callbacks=steps)
            return int(estimator.best_iteration_ or estimator.n_estimators)
        if family.name == "mlp" and X_val is not None:
            estimator.fit(X, y, X_val, y_val, deadline, _each(callbacks))
            return int(estimator.best_epoch_ or estimator.epochs)
        if family.name == "hist_gradient_boosting" and X_val is not None:
            estimator.set_params(early_stopping=True, n_iter_no_change=EARLY_STOPPING_ROUNDS // 2)
            estimator.fit(X, y, X_val=X_val, y_val=y_val)
            return int(estimator.n_iter_)
        if family.name == "hist_gradient_boosting":
            estimator.set_params(early_stopping=False)
        estimator.fit(X, y)
    return None


class _StopAt:
    """A LightGBM callback that ends training (keeping the rounds so far) at `deadline`."""

    order = 40  # after early_stopping (30), which records the best iteration

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, env: Any) -> None:
        import lightgbm

        if time.monotonic() > self.deadline:
            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list)


def get_family(name: str) -> ModelFamily:
    return FAMILIES[name]


def _each(callbacks: Sequence[Any]) -> Any:
    """One `on_epoch(epoch, loss)` callable that calls every callback, or None."""
    if not callbacks:
        return None

    def on_epoch(epoch: int, loss: float) -> None:
        for callback in callbacks:
            callback(epoch, loss)

    return on_epoch
