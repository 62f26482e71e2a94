"""Score one configuration on the evaluation splits; keeps validation predictions for ensembling."""

from __future__ import annotations

import contextlib
import math
import pickle
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone

from automl._plugins import Plugins
from automl.data import Dataset, EvaluationPlan
from automl.exceptions import AutoMLError
from automl.executors import OutOfTime, Reporter, thread_cap
from automl.fidelity import FidelityPlan, NestedSubsamples
from automl.metrics import Metric
from automl.models import Validation, fit_estimator, get_family
from automl.pipeline import build_pipeline, model_params

DEADLINE_SHARE = 0.6
"""Share of a trial's time limit that boosting may use; the rest is for predicting and scoring."""


@dataclass
class TrialResult:
    """What one evaluated configuration produced.

    `predictions` holds out-of-fold (CV) or validation (holdout) predictions for the rows in
    `indices`; `rounds` is the early-stopped number of boosting rounds, for the refit;
    `threads` is what the fits could use (the refit on all rows may use more); `cut_short` says
    a fit was still training when its deadline came (it kept what it had);
    `fold_models` are the pickled fitted pipelines of the splits, when the objective keeps them
    (the model to fall back on when a refit on all rows cannot finish in time); `folds` are
    the splits scored, when not all of them (random-fold evaluation); `family` is the model
    family's name.
    """

    score: float
    fold_scores: list[float]
    indices: np.ndarray
    predictions: np.ndarray
    rounds: int | None = None
    fit_seconds: float = 0.0
    threads: int = 1
    predict_ms_per_1k_rows: float = 0.0
    model_bytes: int = 0
    cut_short: bool = False
    fold_models: bytes | None = None
    folds: list[int] | None = None
    family: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class TabularObjective:
    """Evaluate a tabular configuration: fit the pipeline per split, score the held-out rows.

    Picklable (it is sent once to a worker process). What it reports depends on `fidelity`:
    the score after each fold, the first split's score on growing data fractions before the
    full evaluation, or the first split's validation score at growing LightGBM boosting rounds
    or after each MLP epoch.
    """

    def __init__(
        self,
        dataset: Dataset,
        splits: list[tuple[np.ndarray, np.ndarray]],
        metric: Metric,
        seed: int,
        measure_size: bool = False,
        fidelity: FidelityPlan | None = None,
        families: tuple[str, ...] = (),
        keep_fold_models: bool = False,
        plan: EvaluationPlan | None = None,
    ) -> None:
        self.dataset = dataset
        self.splits = splits
        self.plan = plan or EvaluationPlan(len(splits))
        self.metric = metric
        self.seed = seed
        self.plugins = Plugins.current()
        self.measure_size = measure_size  # pickling a large model to weigh it takes seconds
        self.fidelity = fidelity or FidelityPlan()
        self._subsamples: dict[int, NestedSubsamples] = {}
        self.families = families
        self.keep_fold_models = keep_fold_models

    def warm_up(self) -> None:
        """Let each family the space may use load its libraries (torch takes seconds) before
        the first trial's clock starts; one not installed fails its trials with a clear error."""
        self.plugins.install()
        for name in self.families:
            with contextlib.suppress(ImportError, AutoMLError):
                get_family(name).warm_up()

    def __call__(self, config: dict[str, Any], report: Reporter) -> TrialResult:
        return self.evaluate(config, report, self.plan.folds_for(config, self.seed))

    def evaluate(
        self, config: dict[str, Any], report: Reporter, folds: list[int], rescore: bool = False
    ) -> TrialResult:
        """Score `config` on the splits numbered `folds`: the first one climbs the fidelity
        rungs and draws the learning curve, unless `rescore` (a finished trial scored on more
        folds: full fidelity only)."""
        self.plugins.install()
        data = self.dataset
        splits = [self.splits[fold] for fold in folds]
        trial_start = time.monotonic()
        allowance = (
            None if report.deadline is None else DEADLINE_SHARE * (report.deadline - trial_start)
        )

        def fold_deadline(fold: int) -> float | None:
            if allowance is None:
                return None
            return trial_start + allowance * (fold + 1) / len(splits)

        def rungs_deadline() -> float | None:
            """The rungs' share of the first split's time, in proportion to their rows (1/9 +
            1/3 against 1 for all rows): rungs that run to it leave the full fit its part."""
            if allowance is None:
                return None
            rows = sum(self.fidelity.fractions)
            return trial_start + allowance * rows / (rows + 1) / len(splits)

        pipeline = build_pipeline(config, data.roles, data.task, self.seed)
        family, _ = model_params(config)
        timer = StageTimer(report.deadline, enabled=not family.stops_at_deadline)
        last: FoldFit | None = None
        if self.fidelity.kind == "data_fraction" and not rescore:
            last = self._climb_rungs(config, pipeline, report, rungs_deadline(), timer, folds[0])
        fits: list[FoldFit] = []
        on_curve = (
            not rescore
            and family.curve_unit is not None
            and family.curve_unit == self.fidelity.kind
        )
        for fold, (train, valid) in enumerate(splits):
            if last is not None:
                ahead = sum(last.predicted_seconds(len(t)) for t, _ in splits[fold:])
                what = (
                    "the evaluation on all rows"
                    if not fits
                    else f"{len(splits) - fold} more fold(s)"
                )
                timer.check(ahead, what)
            curve_report = report if on_curve and fold == 0 else None
            last = self._fit_and_score(
                config, pipeline, train, valid, fold_deadline(fold), curve_report
            )
            fits.append(last)
            if self.fidelity.kind == "folds" and fold < len(splits) - 1:
                # a finished trial is never pruned, so the last fold is not reported
                report(float(np.mean([f.score for f in fits])), fold, len(fits) / len(splits))
        indices = np.concatenate([valid for _, valid in splits])
        rounds = [f.rounds for f in fits if f.rounds is not None]
        predict_seconds = sum(f.predict_seconds for f in fits)
        return TrialResult(
            score=float(np.mean([f.score for f in fits])),
            fold_scores=[f.score for f in fits],
            indices=indices,
            predictions=np.concatenate([f.predictions for f in fits]),
            rounds=int(np.mean(rounds)) if rounds else None,
            fit_seconds=sum(f.fit_seconds for f in fits),
            threads=thread_cap(),
            predict_ms_per_1k_rows=1e6 * predict_seconds / max(len(indices), 1),
            model_bytes=len(pickle.dumps(fits[-1].pipeline)) if self.measure_size else 0,
            cut_short=any(f.cut_short for f in fits),
            fold_models=pickle.dumps([f.pipeline for f in fits]) if self.keep_fold_models else None,
            folds=None if len(folds) == len(self.splits) else list(folds),
            family=family.name,
        )

    def _climb_rungs(
        self,
        config: dict[str, Any],
        pipeline: Any,
        report: Reporter,
        deadline: float | None,
        timer: StageTimer,
        fold: int,
    ) -> FoldFit:
        """Score split `fold` trained on each data-fraction rung; the report may prune, and
        the timer stops the trial before a rung it cannot finish. Returns the last rung's fit."""
        train, valid = self.splits[fold]
        if fold not in self._subsamples:
            labels = self.dataset.y if self.dataset.task.is_classification else None
            self._subsamples[fold] = NestedSubsamples(train, labels, self.seed)
        fit: FoldFit | None = None
        for fraction in self.fidelity.fractions:
            rows = self._subsamples[fold].take(fraction)
            if fit is not None:
                what = f"training on {fraction:.0%} of the rows"
                timer.check(fit.predicted_seconds(len(rows)), what)
            fit = self._fit_and_score(config, pipeline, rows, valid, deadline, None)
            report(fit.score, self.fidelity.step_of(fraction), fraction)
        assert fit is not None, "a data-fraction plan has at least one rung"
        return fit

    def _fit_and_score(
        self,
        config: dict[str, Any],
        pipeline: Any,
        train: np.ndarray,
        valid: np.ndarray,
        deadline: float | None,
        curve_report: Reporter | None,
    ) -> FoldFit:
        """Fit a fresh copy of `pipeline` on `train`, predict and score `valid`."""
        data = self.dataset
        family, _ = model_params(config)
        pipe = clone(pipeline)
        start = time.perf_counter()
        X_train = pipe[:-1].fit_transform(data.features.iloc[train], data.y[train])
        X_valid = pipe[:-1].transform(data.features.iloc[valid])
        probe = None
        if curve_report is not None:
            probe = BestSoFar(self.fidelity, curve_report, data.y[valid], self.metric, data)
        validation = Validation(X_valid, data.y[valid], deadline, probe)
        found = fit_estimator(family, pipe[-1], X_train, data.y[train], validation)
        cut_short = (
            family.stops_at_deadline
            and deadline is not None
            and (validation.cut_short or time.monotonic() >= deadline)
        )
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        predictions = predict_scores(pipe[-1], X_valid, data)
        predict_seconds = time.perf_counter() - start
        score = self.metric.score(data.y[valid], predictions)
        if not math.isfinite(score):
            raise ValueError(f"metric {self.metric.name} is {score} on a validation split")
        return FoldFit(
            score, predictions, found, fit_seconds, predict_seconds, pipe, cut_short, len(train)
        )


@dataclass
class FoldFit:
    """One fitted split: its validation score and predictions, rounds kept, timings, and
    whether the fit ended at its deadline rather than by itself."""

    score: float
    predictions: np.ndarray
    rounds: int | None
    fit_seconds: float
    predict_seconds: float
    pipeline: Any
    cut_short: bool = False
    train_rows: int = 0

    def predicted_seconds(self, train_rows: int) -> float:
        """This fit's time scaled to `train_rows` training rows: fitting grows in proportion to
        the rows (a first-order guess), predicting the same validation rows does not."""
        return self.fit_seconds * train_rows / max(self.train_rows, 1) + self.predict_seconds


@dataclass(frozen=True)
class StageTimer:
    """Stops a trial before a stage (a data-fraction rung, the full evaluation, the next folds)
    that it predicts cannot finish before the trial's `deadline`: killed there, it would leave
    nothing, while stopped here it keeps its last report. Families that stop at their deadline
    with what they have are never stopped here (`enabled` False): they are cut short inside the
    stage and scored, so even a tiny budget ends with a model."""

    deadline: float | None
    enabled: bool = True

    def check(self, predicted: float, what: str) -> None:
        """`predicted`: the seconds of the work left, as the trial's last fit foresees them."""
        if not self.enabled or self.deadline is None:
            return
        left = self.deadline - time.monotonic()
        if predicted > left:
            raise OutOfTime(
                f"{what} would take about {predicted:.1f}s, with {max(left, 0.0):.1f}s left for it"
            )


class BestSoFar:
    """An IterationProbe that reports the best validation score so far, in the search's metric,
    at the plan's steps of an iterative fit (boosting rounds, epochs). A prune decision raises."""

    def __init__(
        self,
        plan: FidelityPlan,
        report: Reporter,
        y_valid: np.ndarray,
        metric: Metric,
        data: Dataset,
    ) -> None:
        self.plan = plan
        self.report = report
        self.y_valid = y_valid
        self.metric = metric
        self.data = data
        self.best: float | None = None

    def wants(self, iteration: int) -> bool:
        return self.plan.reports_at(iteration)

    def __call__(self, iteration: int, predictions: np.ndarray, classes: Any) -> None:
        if self.data.task.is_classification:
            predictions = _full_proba(np.asarray(predictions, dtype=float), classes, self.data)
        score = self.metric.score(self.y_valid, predictions)
        if not math.isfinite(score):
            return
        if self.best is None or (
            score > self.best if self.metric.greater_is_better else score < self.best
        ):
            self.best = score
        self.report(self.best, iteration, self.plan.fidelity_of(iteration))


def predict_scores(model: Any, X: Any, data: Dataset) -> np.ndarray:
    """What the metric scores: values for regression, a probability per class otherwise."""
    if not data.task.is_classification:
        return np.asarray(model.predict(X), dtype=float)
    return _full_proba(np.asarray(model.predict_proba(X), dtype=float), model.classes_, data)


def _full_proba(proba: np.ndarray, classes: Any, data: Dataset) -> np.ndarray:
    """One column per class of the dataset (a training split may lack a rare class)."""
    n_classes = len(data.classes or ())
    if proba.shape[1] == n_classes:
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, np.asarray(classes, dtype=int)] = proba
    return full


def refit_config(
    config: dict[str, Any], rounds: int | None, plan: EvaluationPlan
) -> dict[str, Any]:
    """The config to refit on all rows: early-stopped rounds, scaled up for the larger training set."""
    family, _ = model_params(config)
    if rounds is None or family.iterations_param is None:
        return dict(config)
    scaled = max(1, round(rounds / plan.train_fraction))
    return {**config, f"{family.name}.{family.iterations_param}": scaled}


def fit_final(config: dict[str, Any], dataset: Dataset, seed: int) -> Any:
    """Fit the whole pipeline for `config` on every row of `dataset`."""
    pipeline = build_pipeline(config, dataset.roles, dataset.task, seed)
    family, _ = model_params(config)
    X = pipeline[:-1].fit_transform(dataset.features, dataset.y)
    fit_estimator(family, pipeline[-1], X, dataset.y)
    return pipeline
