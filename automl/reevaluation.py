"""Random-fold evaluation's second half: the best trials, each scored on the one fold drawn for
it, are scored on the other folds before the final choice and the ensemble.

A holdout that differs from configuration to configuration is less prone to be overfit than one
fixed split (Nagler et al., NeurIPS 2024); the finalists are then compared on every row, so the
model chosen is the best on all folds, not the luckiest draw. Re-evaluated trials have the
out-of-fold predictions the ensemble needs, and one split model per fold for bagging.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from optuna.trial import FrozenTrial

from automl.bagging import FoldModels
from automl.budget import Budget
from automl.data import EvaluationPlan
from automl.evaluation import TabularObjective, TrialResult
from automl.executors import ExecutorSettings, make_executor, run_within
from automl.metrics import Metric
from automl.record import TrialRecord
from automl.refit import SAFETY_SECONDS, BestTrialCosts
from automl.result import SearchResult
from automl.storage import PredictionStore

logger = logging.getLogger(__name__)

FINALISTS = 5
"""At most this many of the best trials are scored on every fold."""
RESERVE_SHARE = 0.25
"""At most this share of the time budget is held back for scoring them."""


Finalist = tuple[FrozenTrial, TrialRecord]
"""A trial to re-score, with its parsed record."""


class ReevaluationReserve:
    """Seconds to hold back for scoring the current finalists on their other folds."""

    def __init__(
        self, plan: EvaluationPlan, maximize: bool, time_budget: float, slots: int
    ) -> None:
        self.plan = plan
        self.slots = max(1, slots)
        self.cap = RESERVE_SHARE * time_budget
        self.best = BestTrialCosts(FINALISTS, maximize)

    def update(self, result: TrialResult) -> None:
        self.best.add(result.score, other_folds_seconds(result.fit_seconds, self.plan))

    def __call__(self) -> float:
        """The finalists' other folds, run as trials are (`slots` at once), and a second for
        starting the workers, capped at a share of the budget; before any trial has finished,
        the cap."""
        if not self.best.seconds:
            return self.cap
        return min(self.cap, sum(self.best.seconds) / self.slots + 1.0)


def other_folds_seconds(fit_seconds: float, plan: EvaluationPlan) -> float:
    """Expected seconds to fit a one-fold trial on its other folds (as many threads as it had:
    the finalists run side by side as trials do)."""
    return fit_seconds * (plan.n_folds - 1)


@dataclass
class Reevaluated:
    """What scoring the finalists on every fold gave: their mean fold scores, best first."""

    scores: dict[int, float]
    skipped: list[int]
    plan: EvaluationPlan

    def ranked(self, result: SearchResult) -> list[FrozenTrial]:
        """The re-evaluated trials, best on all folds first."""
        trials = {t.number: t for t in result.completed}
        return [trials[n] for n in self.scores]

    def describe(self, result: SearchResult) -> str:
        if not self.scores:
            return (
                f"random-fold evaluation: no finalist could be scored on all {self.plan.n_folds}"
                " folds in the time left; the best single-fold trial is kept"
            )
        trials = {t.number: t for t in result.completed}
        shown = ", ".join(
            f"#{n} {score:.4f} (its fold {trials[n].values[0]:.4f})"
            for n, score in list(self.scores.items())[:3]
        )
        note = (
            f"random-fold evaluation: the {len(self.scores)} best trials re-scored on all"
            f" {self.plan.n_folds} folds: {shown}"
        )
        if self.skipped:
            note += f"; not in time: {', '.join(f'#{n}' for n in self.skipped)}"
        return note


class OtherFoldsWork:
    """Score a configuration on the given folds (run in a worker so it can be stopped)."""

    def __init__(self, objective: TabularObjective) -> None:
        self.objective = objective

    def __call__(self, request: dict[str, Any], report: Any) -> TrialResult:
        return self.objective.evaluate(request["config"], report, request["folds"], rescore=True)


def reevaluate(
    result: SearchResult,
    objective: TabularObjective,
    store: PredictionStore,
    fold_models: FoldModels | None,
    budget: Budget,
    executors: ExecutorSettings,
    metric: Metric,
    keep_seconds: float,
) -> Reevaluated:
    """Score the best one-fold trials on their other folds, as many as fit in the time left
    after `keep_seconds` (the final model's refit), several at once; their stored predictions
    become out-of-fold predictions on every row and their split models all folds'."""
    plan = objective.plan
    sign = 1.0 if metric.greater_is_better else -1.0
    records = (
        (t, TrialRecord.of(t)) for t in sorted(result.completed, key=lambda t: -sign * t.values[0])
    )
    finalists = [(trial, record) for trial, record in records if record.folds][:FINALISTS]
    executor = make_executor(executors, OtherFoldsWork(objective))
    slots = max(1, executor.slots)
    ends_by = time.monotonic() + budget.hard_remaining - keep_seconds - SAFETY_SECONDS
    chosen, skipped = _fitting(finalists, plan, slots, ends_by - time.monotonic())
    scores: dict[int, float] = {}
    try:

        def run(finalist: Finalist) -> tuple[Finalist, Any]:
            _, record = finalist
            folds = [f for f in range(plan.n_folds) if f not in (record.folds or [])]
            request = {"config": record.config, "folds": folds}
            return finalist, run_within(executor, request, ends_by - time.monotonic())

        with ThreadPoolExecutor(max_workers=slots) as pool:
            for (trial, record), outcome in pool.map(run, chosen):
                if outcome.status != "ok":
                    skipped.append(trial.number)
                    logger.info(
                        "re-scoring trial %d did not finish: %s", trial.number, outcome.error
                    )
                    continue
                scores[trial.number] = _merge(
                    trial, record, outcome.value, store, fold_models, objective.splits
                )
    finally:
        executor.close()
    ranked = dict(sorted(scores.items(), key=lambda item: -sign * item[1]))
    return Reevaluated(ranked, skipped, plan)


def _fitting(
    finalists: list[Finalist], plan: EvaluationPlan, slots: int, seconds: float
) -> tuple[list[Finalist], list[int]]:
    """The finalists, best first, whose other folds fit in `seconds` on `slots` slots (the
    best always, when any time is left), and the numbers of those left out."""
    chosen: list[Finalist] = []
    skipped: list[int] = []
    load = 0.0
    for trial, record in finalists:
        cost = other_folds_seconds(record.fit_seconds or 0.0, plan)
        if seconds > 0 and (not chosen or (load + cost) / slots <= seconds):
            chosen.append((trial, record))
            load += cost
        else:
            skipped.append(trial.number)
    return chosen, skipped


def _merge(
    trial: FrozenTrial,
    record: TrialRecord,
    others: TrialResult,
    store: PredictionStore,
    fold_models: FoldModels | None,
    splits: list[tuple[np.ndarray, np.ndarray]],
) -> float:
    """Store the trial's predictions on every fold (in fold order, as cross-validation stores
    them) and add its other split models; returns its mean fold score."""
    first = store.load(trial.number)
    assert first is not None and record.folds, "a one-fold trial stores its predictions"
    parts = {record.folds[0]: first}
    start = 0
    for fold in (f for f in range(len(splits)) if f not in record.folds):
        valid = splits[fold][1]
        parts[fold] = (valid, others.predictions[start : start + len(valid)])
        start += len(valid)
    ordered = [parts[f] for f in range(len(splits))]
    store.save(
        trial.number,
        np.concatenate([idx for idx, _ in ordered]),
        np.concatenate([pred for _, pred in ordered]),
    )
    if fold_models is not None:
        fold_models.add(trial.number, others)
    return float(np.mean([trial.values[0], *others.fold_scores]))
