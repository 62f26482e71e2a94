"""Metrics by task: name, direction, and how to score stored predictions (probabilities or values)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn import metrics as skm

from automl.data import Task
from automl.exceptions import ConfigError

ScoreFn = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Metric:
    """`score(y, predictions)`: classification predictions are class probabilities (n, k)."""

    name: str
    direction: str
    tasks: frozenset[Task]
    fn: ScoreFn
    bounds: tuple[float | None, float | None] = (None, None)
    """The range of possible scores (to clip extrapolated learning curves)."""
    scores_labels: bool = False
    """Whether it scores predicted labels (accuracy, F1): flat almost everywhere in the
    probabilities, so a greedy ensemble selection on it can follow ties and noise."""

    @property
    def greater_is_better(self) -> bool:
        return self.direction == "maximize"

    def score(self, y_true: np.ndarray, predictions: np.ndarray) -> float:
        return float(self.fn(y_true, predictions))


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.asarray(proba).argmax(axis=1)


def _checked(proba: np.ndarray) -> bool:
    """Whether probabilities are finite and within [0, 1]: what the fast paths below assume
    (anything else goes to scikit-learn, which says what is wrong)."""
    return bool(np.isfinite(proba).all() and proba.min() >= 0.0 and proba.max() <= 1.0)


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """scikit-learn's log loss (the true class's probability clipped to [eps, 1 - eps]) without
    its input checks, which cost ten times the sum: an ensemble selection scores hundreds of
    blends (`automl.ensemble`). y holds class codes (columns of `proba`)."""
    proba = np.asarray(proba)
    codes = np.asarray(y)
    if not (np.issubdtype(proba.dtype, np.floating) and _checked(proba)):
        return float(skm.log_loss(codes, proba, labels=np.arange(proba.shape[1])))
    eps = np.finfo(proba.dtype).eps
    true_class = proba[np.arange(len(codes)), codes.astype(int)]
    return float(-np.mean(np.log(np.clip(true_class, eps, 1 - eps))))


def _binary_roc_auc(y: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic on average ranks (ties count half): the same value
    as scikit-learn's `roc_auc_score`, fifteen times faster on a few thousand rows."""
    is_positive = np.asarray(y) == 1
    positives = int(is_positive.sum())
    negatives = len(is_positive) - positives
    if positives == 0 or negatives == 0 or not _checked(positive):
        return float(skm.roc_auc_score(y, positive))  # undefined or bad input: its error
    ranks = rankdata(positive)
    return float(
        (ranks[is_positive].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    )


def _roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    if proba.shape[1] == 2:
        return _binary_roc_auc(y, np.asarray(proba)[:, 1])
    present = np.unique(y)
    sub = proba[:, present] / proba[:, present].sum(axis=1, keepdims=True)
    return float(skm.roc_auc_score(y, sub, multi_class="ovr", labels=present))


UNIT = (0.0, 1.0)
NON_NEGATIVE = (0.0, None)
_BINARY = frozenset({Task.BINARY})
_CLASSIFICATION = frozenset({Task.BINARY, Task.MULTICLASS})
_REGRESSION = frozenset({Task.REGRESSION})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("roc_auc", "maximize", _CLASSIFICATION, _roc_auc, UNIT),
        Metric("log_loss", "minimize", _CLASSIFICATION, _log_loss, NON_NEGATIVE),
        Metric(
            "accuracy",
            "maximize",
            _CLASSIFICATION,
            lambda y, p: skm.accuracy_score(y, _labels(p)),
            UNIT,
            scores_labels=True,
        ),
        Metric(
            "balanced_accuracy",
            "maximize",
            _CLASSIFICATION,
            lambda y, p: skm.balanced_accuracy_score(y, _labels(p)),
            UNIT,
            scores_labels=True,
        ),
        Metric(
            "f1",
            "maximize",
            _BINARY,
            lambda y, p: skm.f1_score(y, _labels(p)),
            UNIT,
            scores_labels=True,
        ),
        Metric(
            "f1_macro",
            "maximize",
            _CLASSIFICATION,
            lambda y, p: skm.f1_score(y, _labels(p), average="macro"),
            UNIT,
            scores_labels=True,
        ),
        Metric(
            "average_precision",
            "maximize",
            _BINARY,
            lambda y, p: skm.average_precision_score(y, p[:, 1]),
            UNIT,
        ),
        Metric(
            "rmse",
            "minimize",
            _REGRESSION,
            lambda y, p: skm.root_mean_squared_error(y, p),
            NON_NEGATIVE,
        ),
        Metric(
            "mae", "minimize", _REGRESSION, lambda y, p: skm.mean_absolute_error(y, p), NON_NEGATIVE
        ),
        Metric("r2", "maximize", _REGRESSION, lambda y, p: skm.r2_score(y, p), (None, 1.0)),
    ]
}

DEFAULT_METRIC = {Task.BINARY: "roc_auc", Task.MULTICLASS: "log_loss", Task.REGRESSION: "rmse"}


def metric_names() -> str:
    """The metrics per task, for help texts: 'binary: roc_auc (default), ...; regression: ...'."""
    parts = []
    for task in Task:
        names = [
            f"{name} (default)" if name == DEFAULT_METRIC[task] else name
            for name, metric in METRICS.items()
            if task in metric.tasks
        ]
        parts.append(f"{task.value}: {', '.join(names)}")
    return "; ".join(parts)


def get_metric(name: str | None, task: Task) -> Metric:
    """The metric called `name` (or the task's default), checked against the task."""
    name = name or DEFAULT_METRIC[task]
    metric = METRICS.get(name)
    valid = sorted(n for n, m in METRICS.items() if task in m.tasks)
    if metric is None:
        close = difflib.get_close_matches(name, list(METRICS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(
            f"unknown metric '{name}'{hint}; for {task.value} use one of: {', '.join(valid)}"
        )
    if task not in metric.tasks:
        raise ConfigError(
            f"metric '{name}' does not apply to {task.value}; use one of: {', '.join(valid)}"
        )
    return metric
