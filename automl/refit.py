"""After the search: choose the ensemble, refit its members on all rows within the budget."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from optuna.trial import FrozenTrial

from automl._plugins import Plugins
from automl.budget import Budget
from automl.data import Dataset, EvaluationPlan
from automl.ensemble import blend_or_best
from automl.evaluation import TrialResult, fit_final, refit_config
from automl.executors import ExecutorSettings, make_executor, run_within, usable_cpus
from automl.metrics import Metric
from automl.model import FittedModel
from automl.record import TrialRecord
from automl.result import SearchResult
from automl.space import MODEL_PARAM
from automl.storage import PredictionStore

logger = logging.getLogger(__name__)
MAX_CANDIDATES = 20
RESERVED_MEMBERS = 3
SAFETY_SECONDS = 0.5


PARALLEL_SHARE = 0.57
"""The share of a fit that runs in parallel (Amdahl's law): 16 LightGBM trials on Adult ran
1.40x faster on two threads than on one (benchmarks/results/executors.md)."""


def thread_speedup(threads: int) -> float:
    """How many times faster a fit runs on `threads` threads than on one."""
    return 1.0 / (1.0 - PARALLEL_SHARE + PARALLEL_SHARE / max(threads, 1))


def refit_seconds(
    fit_seconds: float, plan: EvaluationPlan, threads: int = 1, refit_threads: int | None = None
) -> float:
    """Expected time to refit on all rows, from the summed fit time over the trial's splits
    fitted on `threads` threads; the refit runs alone, on `refit_threads` (default: every
    usable CPU)."""
    on_all_rows = fit_seconds / plan.folds_per_trial / plan.train_fraction
    faster = thread_speedup(refit_threads or usable_cpus()) / thread_speedup(threads)
    return on_all_rows / max(faster, 1.0)


PRIOR_RESERVE_SHARE = 0.2
"""Share of the time budget held back before any trial has finished: trials running side by
side start before there is a fit time to estimate the refit from."""


class BestTrialCosts:
    """The expected seconds of some later work (refit, re-scoring) for the `size` best trials
    so far: what the reserves that hold time back for that work are sized on."""

    def __init__(self, size: int, maximize: bool) -> None:
        self.size = size
        self.sign = 1.0 if maximize else -1.0
        self._top: list[tuple[float, float]] = []  # (signed score, seconds), best first

    def add(self, score: float, seconds: float) -> None:
        self._top = sorted([*self._top, (self.sign * score, seconds)], reverse=True)
        del self._top[self.size :]

    @property
    def seconds(self) -> list[float]:
        """The costs, the best trial's first."""
        return [seconds for _, seconds in self._top]


class RefitReserve:
    """Seconds to hold back for refitting the best few trials (the likely ensemble) on all rows."""

    def __init__(self, plan: EvaluationPlan, maximize: bool, time_budget: float = 0.0) -> None:
        self.plan = plan
        self.prior = PRIOR_RESERVE_SHARE * time_budget
        self.best = BestTrialCosts(RESERVED_MEMBERS, maximize)

    def update(self, result: TrialResult) -> None:
        self.best.add(result.score, refit_seconds(result.fit_seconds, self.plan, result.threads))

    def __call__(self) -> float:
        """All of the best trial's refit, half of the next ones' (members that do not fit in
        the end are left out of the ensemble), and a second for starting the worker; before
        any trial has finished, a share of the budget."""
        if not self.best.seconds:
            return self.prior
        best, *others = self.best.seconds
        return 1.3 * best + 0.5 * sum(others) + 1.0


class RefitWork:
    """Fit the final pipeline for a config on all rows (run in a worker so it can be stopped)."""

    def __init__(self, dataset: Dataset, seed: int) -> None:
        self.dataset = dataset
        self.seed = seed
        self.plugins = Plugins.current()

    def __call__(self, config: dict[str, Any], report: Any) -> Any:
        self.plugins.install()
        return fit_final(config, self.dataset, self.seed)


def ensemble_candidates(
    ranked: list[int], family_of: Mapping[int, str], limit: int = MAX_CANDIDATES
) -> list[int]:
    """The `limit` best trials of `ranked` (numbers, best first), each model family's best among
    them even where it ranks lower (in place of the last of the best): Caruana's selection can
    only mix the families it is offered, and the best trials of a search are often all of one
    family."""
    family_bests: dict[str, int] = {}
    for number in ranked:
        family_bests.setdefault(family_of[number], number)
    chosen = set(list(family_bests.values())[:limit])
    for number in ranked:
        if len(chosen) >= limit:
            break
        chosen.add(number)
    return [number for number in ranked if number in chosen]


def ensemble_weights(
    result: SearchResult,
    store: PredictionStore,
    dataset: Dataset,
    metric: Metric,
    ranked: list[FrozenTrial] | None = None,
) -> dict[int, float]:
    """Caruana weights over the best trials (or the `ranked` ones, best first) and each
    family's best (`ensemble_candidates`) whose predictions cover the same rows; the best
    trial alone where the blend does not beat it out of sample (`blend_or_best`)."""
    if ranked is None:
        sign = 1.0 if metric.greater_is_better else -1.0
        ranked = sorted(result.completed, key=lambda t: sign * t.values[0], reverse=True)
    families = {t.number: str(t.params.get(MODEL_PARAM, "")) for t in ranked}
    numbers = ensemble_candidates([t.number for t in ranked], families)
    rows, candidates = predictions_on_shared_rows(numbers, store.load)
    if rows is None:
        return {(ranked[0] if ranked else result.best_trial).number: 1.0}
    return blend_or_best(candidates, dataset.y[rows], metric)


def predictions_on_shared_rows(
    numbers: Iterable[int], load: Callable[[int], tuple[np.ndarray, np.ndarray] | None]
) -> tuple[np.ndarray | None, dict[int, np.ndarray]]:
    """(rows, predictions per trial) of the trials in `numbers` whose stored predictions
    (`load(number)`: row indices and predictions) cover the same rows as the first stored
    one's: trials evaluated on other rows (another fidelity, random folds) cannot be blended.
    Rows are None when none is stored."""
    rows: np.ndarray | None = None
    shared: dict[int, np.ndarray] = {}
    for number in numbers:
        stored = load(number)
        if stored is None:
            continue
        indices, predictions = stored
        rows = indices if rows is None else rows
        if np.array_equal(indices, rows):
            shared[number] = predictions
    return rows, shared


def validation_score(
    weights: dict[int, float], store: PredictionStore, dataset: Dataset, metric: Metric
) -> float | None:
    """The weighted blend's score on the members' stored validation predictions: the model's
    own validation score (an ensemble scores differently from its best member); None when the
    members' predictions do not cover the same rows."""
    blend: np.ndarray | None = None
    rows: np.ndarray | None = None
    for number, weight in weights.items():
        stored = store.load(number)
        if stored is None or (rows is not None and not np.array_equal(stored[0], rows)):
            return None
        rows = stored[0]
        part = weight * stored[1].astype(float)
        blend = part if blend is None else blend + part
    if blend is None or rows is None:
        return None
    return float(metric.score(dataset.y[rows], blend))


def refit_members(
    result: SearchResult,
    weights: dict[int, float],
    dataset: Dataset,
    metric: Metric,
    plan: EvaluationPlan,
    budget: Budget,
    executors: ExecutorSettings,
    seed: int,
    split_models: Callable[[int], list[Any] | None] | None = None,
) -> tuple[FittedModel | None, list[str]]:
    """Refit the members, heaviest first, skipping any that would overrun the budget. A member
    that is not refit keeps its place with its split models from the search (`split_models`:
    a trial's, None where not kept), so the ensemble stays the one its weights were chosen for;
    members with neither are left out and the weights renormalised."""
    trials = {t.number: t for t in result.completed}
    executor = make_executor(executors, RefitWork(dataset, seed))
    refit_threads = executors.resources.threads(executor.slots)
    fitted: list[tuple[float, Any, FrozenTrial]] = []
    notes: list[str] = []
    missed: list[tuple[int, float]] = []
    try:
        for number, weight in sorted(weights.items(), key=lambda item: -item[1]):
            trial = trials[number]
            record = TrialRecord.of(trial)
            timeout = budget.hard_remaining - SAFETY_SECONDS
            expected = refit_seconds(
                record.fit_seconds or 0.0, plan, record.threads or 1, refit_threads
            )
            if (fitted and expected > timeout) or timeout <= 0:
                missed.append((number, weight))
                continue
            config = refit_config(record.config, record.iterations, plan)
            outcome = run_within(executor, config, timeout)
            if outcome.status == "ok":
                fitted.append((weight, outcome.value, trial))
            else:
                missed.append((number, weight))
                notes.append(f"refitting trial {number} did not finish: {outcome.error}")
    finally:
        executor.close()
    if not fitted:
        return None, notes or [
            "the time budget ran out before the best configuration could be refit"
        ]
    substituted, left_out = [], []
    for number, weight in missed:
        pipelines = split_models(number) if split_models is not None else None
        if pipelines:
            fitted += split_members(weight, pipelines, trials[number])
            substituted.append(number)
        else:
            left_out.append(number)
    if missed:
        notes.append(members_note(len(weights), substituted, left_out, plan))
    for note in notes:
        logger.info(note)  # the caller shows the notes
    return assemble_model(fitted, result.study_name, dataset, metric, plan), notes


def split_members(
    weight: float, pipelines: list[Any], trial: FrozenTrial
) -> list[tuple[float, Any, FrozenTrial]]:
    """A member as its split models: its weight shared equally among them."""
    return [(weight / len(pipelines), p, trial) for p in pipelines]


def members_note(
    n_members: int, substituted: list[int], left_out: list[int], plan: EvaluationPlan
) -> str:
    """What became of the ensemble's members that could not be refit within the budget."""
    refit = n_members - len(substituted) - len(left_out)
    parts = [f"ensemble: {refit} of {n_members} members refit within the time budget"]
    if substituted:
        parts.append(
            f"trials {', '.join(map(str, substituted))} kept as their split models from the"
            f" search (each on {plan.train_fraction:.0%} of the rows)"
        )
    if left_out:
        parts.append(f"left out trials {', '.join(map(str, left_out))}; weights renormalised")
    return "; ".join(parts)


def assemble_model(
    fitted: list[tuple[float, Any, FrozenTrial]],
    study_name: str,
    dataset: Dataset,
    metric: Metric,
    plan: EvaluationPlan,
) -> FittedModel:
    """The FittedModel of the fitted pipelines (a trial may bring several: its split models),
    weights renormalised over those that made it."""
    total = sum(w for w, _, _ in fitted)
    best = fitted[0][2]
    members: dict[int, float] = {}
    for weight, _, trial in fitted:
        members[trial.number] = members.get(trial.number, 0.0) + weight / total
    info = {
        "study": study_name,
        "ensemble": {number: round(weight, 4) for number, weight in members.items()},
        "evaluation": plan.name,
        "n_rows": dataset.n_rows,
    }
    return FittedModel(
        [p for _, p, _ in fitted],
        [w / total for w, _, _ in fitted],
        dataset.task,
        dataset.target,
        dataset.classes,
        TrialRecord.of(best).config,
        metric.name,
        info,
        tuple(sorted({str(TrialRecord.of(t).config.get(MODEL_PARAM)) for _, _, t in fitted})),
    )
