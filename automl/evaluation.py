"""Score one configuration on the evaluation splits; keeps validation predictions for ensembling."""

from __future__ import annotations

import math
import pickle
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone

from automl.data import Dataset, EvaluationPlan
from automl.executors import Reporter
from automl.metrics import Metric
from automl.models import fit_estimator
from automl.pipeline import build_pipeline, model_params

DEADLINE_SHARE = 0.6
"""Share of a trial's time limit that boosting may use; the rest is for predicting and scoring."""


@dataclass
class TrialResult:
    """What one evaluated configuration produced.

    `predictions` holds out-of-fold (CV) or validation (holdout) predictions for the rows in
    `indices`; `rounds` is the early-stopped number of boosting rounds, for the refit.
    """

    score: float
    fold_scores: list[float]
    indices: np.ndarray
    predictions: np.ndarray
    rounds: int | None = None
    fit_seconds: float = 0.0
    predict_ms_per_1k_rows: float = 0.0
    model_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class TabularObjective:
    """Evaluate a tabular configuration: fit the pipeline per split, score the held-out rows.

    Picklable (it is sent once to a worker process); `report(score_so_far, fold)` after each fold.
    """

    def __init__(
        self,
        dataset: Dataset,
        splits: list[tuple[np.ndarray, np.ndarray]],
        metric: Metric,
        seed: int,
        measure_size: bool = False,
    ) -> None:
        self.dataset = dataset
        self.splits = splits
        self.metric = metric
        self.seed = seed
        self.measure_size = measure_size  # pickling a large model to weigh it takes seconds

    def __call__(self, config: dict[str, Any], report: Reporter) -> TrialResult:
        data = self.dataset
        trial_start = time.monotonic()
        allowance = (
            None if report.deadline is None else DEADLINE_SHARE * (report.deadline - trial_start)
        )
        family, _ = model_params(config)
        fold_scores: list[float] = []
        preds: list[np.ndarray] = []
        rounds: list[int] = []
        fit_seconds = predict_seconds = 0.0
        pipeline = build_pipeline(config, data.roles, data.task, self.seed)
        for fold, (train, valid) in enumerate(self.splits):
            pipe = clone(pipeline)
            start = time.perf_counter()
            X_train = pipe[:-1].fit_transform(data.features.iloc[train], data.y[train])
            X_valid = pipe[:-1].transform(data.features.iloc[valid])
            deadline = (
                None
                if allowance is None
                else trial_start + allowance * (fold + 1) / len(self.splits)
            )
            found = fit_estimator(
                family, pipe[-1], X_train, data.y[train], X_valid, data.y[valid], deadline
            )
            fit_seconds += time.perf_counter() - start
            start = time.perf_counter()
            fold_pred = _predict(pipe[-1], X_valid, data)
            predict_seconds += time.perf_counter() - start
            score = self.metric.score(data.y[valid], fold_pred)
            if not math.isfinite(score):
                raise ValueError(f"metric {self.metric.name} is {score} on fold {fold}")
            fold_scores.append(score)
            preds.append(fold_pred)
            if found is not None:
                rounds.append(found)
            if fold < len(self.splits) - 1:  # a finished trial is never pruned
                report(float(np.mean(fold_scores)), fold)
        indices = np.concatenate([valid for _, valid in self.splits])
        return TrialResult(
            score=float(np.mean(fold_scores)),
            fold_scores=fold_scores,
            indices=indices,
            predictions=np.concatenate(preds),
            rounds=int(np.mean(rounds)) if rounds else None,
            fit_seconds=fit_seconds,
            predict_ms_per_1k_rows=1e6 * predict_seconds / max(len(indices), 1),
            model_bytes=len(pickle.dumps(pipe)) if self.measure_size else 0,
        )


def _predict(model: Any, X: Any, data: Dataset) -> np.ndarray:
    if not data.task.is_classification:
        return np.asarray(model.predict(X), dtype=float)
    proba = np.asarray(model.predict_proba(X), dtype=float)
    n_classes = len(data.classes or ())
    if proba.shape[1] == n_classes:
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, np.asarray(model.classes_, dtype=int)] = proba
    return full


def refit_config(
    config: dict[str, Any], rounds: int | None, plan: EvaluationPlan
) -> dict[str, Any]:
    """The config to refit on all rows: early-stopped rounds, scaled up for the larger training set."""
    family, _ = model_params(config)
    if rounds is None or family.rounds_param is None:
        return dict(config)
    scaled = max(1, round(rounds / plan.train_fraction))
    return {**config, f"{family.name}.{family.rounds_param}": scaled}


def fit_final(config: dict[str, Any], dataset: Dataset, seed: int) -> Any:
    """Fit the whole pipeline for `config` on every row of `dataset`."""
    pipeline = build_pipeline(config, dataset.roles, dataset.task, seed)
    family, _ = model_params(config)
    X = pipeline[:-1].fit_transform(dataset.features, dataset.y)
    fit_estimator(family, pipeline[-1], X, dataset.y)
    return pipeline
