"""A model family added from outside the package: one class and a decorator, no edit to automl.

`SGDLinear` is an iterative family (stochastic gradient descent, one pass over the data per
epoch) with its own learning curve, so the multi-fidelity strategies prune on its epochs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from optuna.trial import TrialState
from sklearn.base import BaseEstimator, is_classifier
from sklearn.linear_model import SGDClassifier, SGDRegressor

import automl
from automl.data import Task
from automl.models import ModelFamily, Validation, register_family
from automl.record import TrialRecord

PATIENCE = 3


@register_family
class SGDLinear(ModelFamily):
    name = "sgd_linear"
    params = frozenset({"alpha", "epochs"})
    iterations_param = "epochs"
    default_iterations = 20
    curve_unit = "epochs"
    needs_scaling = True

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        settings = {"alpha": params.get("alpha", 1e-4), "max_iter": params.get("epochs", 20)}
        if task.is_classification:
            return SGDClassifier(loss="log_loss", random_state=seed, **settings)
        return SGDRegressor(random_state=seed, **settings)

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        X_val, y_val, probe = validation.X, validation.y, validation.probe
        classes = np.unique(y) if is_classifier(estimator) else None
        best, best_epoch = -np.inf, 1
        for epoch in range(1, int(estimator.max_iter) + 1):
            estimator.partial_fit(X, y, classes=classes) if classes is not None else (
                estimator.partial_fit(X, y)
            )
            score = estimator.score(X_val, y_val)
            if probe is not None and epoch < estimator.max_iter and probe.wants(epoch):
                predictions = (
                    estimator.predict_proba(X_val)
                    if classes is not None
                    else estimator.predict(X_val)
                )
                probe(epoch, predictions, estimator.classes_ if classes is not None else None)
            if score > best:
                best, best_epoch = score, epoch
            elif epoch - best_epoch >= PATIENCE:
                break
        return best_epoch


SPACE = {
    "models": {
        "sgd_linear": {
            "alpha": {"type": "float", "low": 1e-6, "high": 1e-1, "log": True},
            "epochs": 9,
        }
    }
}


def test_a_family_registered_in_a_test_file_is_searched_in_worker_processes(
    adult: pd.DataFrame, tmp_path: Path
) -> None:
    # The process executor: the worker learns the family from the work it is sent.
    result = automl.search(
        adult,
        target="income",
        space=SPACE,
        strategy="asha",
        n_trials=8,
        seed=0,
        storage=":memory:",
        evaluation="holdout",
        executor="process",
    )
    records = [TrialRecord.of(t) for t in result.study.trials]
    assert all(r.config["model"] == "sgd_linear" for r in records)
    assert all(r.curve and r.curve[0].step == 1 for r in records)  # it reports every epoch
    assert any(t.state == TrialState.PRUNED for t in result.study.trials)
    assert result.best_score > 0.8
    path = result.save(tmp_path / "sgd.automl")
    again = automl.load(path)
    assert (again.predict(adult.head(50)) == result.predict(adult.head(50))).all()
